import { decodedFrame, muxedSize } from './debug-ts';
import type { VideoIndex } from './video-index';

const OUTPUT_VIDEO = /Stream #\S+: Video: .*?, (\d+)x(\d+)/;

/**
 * ffmpeg's frames matched to what it says about them: which frame comes next is said on stderr
 * (a decoder line with its timestamp, then a muxer line with its size, both before its bytes),
 * the pixels arrive on stdout. The two are read independently, so a frame is complete when both
 * have arrived.
 */
export class DecodedFrames {
  /** Output size, from the output stream's header line (said before the first frame). */
  geometry: { width: number; height: number } | null = null;
  private inOutputHeader = false;
  private readonly indexes: number[] = [];
  private readonly sizes: number[] = [];
  private readonly frames: Uint8Array[] = [];

  /** Reads one stderr line: whether it said the output size or announced a frame. */
  readLine(line: string, video: VideoIndex): 'size' | 'frame' | null {
    const decoded = decodedFrame(line);
    if (decoded) {
      const index = decoded.pts === null ? undefined : video.indexOfPts.get(decoded.pts);
      this.indexes.push(index ?? -1);
      return null;
    }
    const size = muxedSize(line);
    if (size !== null) {
      this.sizes.push(size);
      return 'frame';
    }
    if (line.startsWith('Output #')) this.inOutputHeader = true;
    const header = this.inOutputHeader && !this.geometry ? OUTPUT_VIDEO.exec(line) : null;
    if (!header) return null;
    this.geometry = { width: Number(header[1]), height: Number(header[2]) };
    return 'size';
  }

  /**
   * ffmpeg 7 and later write their output header from one thread and frame lines from others, so
   * a header line can come broken or late: the frames are then the video's own size, when the
   * first frame's byte count says so.
   */
  takeVideoSize(video: VideoIndex, channels: number): boolean {
    const { width, height } = video;
    if (!width || !height || this.sizes[0] !== width * height * channels) return false;
    this.geometry = { width, height };
    return true;
  }

  frameBytes(channels: number): number {
    const { width, height } = this.geometry ?? { width: 0, height: 0 };
    return width * height * channels;
  }

  push(frame: Uint8Array): void {
    this.frames.push(frame);
  }

  /** The next frame whose pixels and description have both arrived (index −1: unknown timestamp). */
  next(): { index: number; size: number; data: Uint8Array } | null {
    if (this.indexes.length === 0 || this.sizes.length === 0 || this.frames.length === 0) {
      return null;
    }
    const index = this.indexes.shift() as number;
    const size = this.sizes.shift() as number;
    return { index, size, data: this.frames.shift() as Uint8Array };
  }
}
