import { DecodedFrames } from './decoded-frames';
import { passEveryFrame } from './ffmpeg';
import { spawnFfmpegFrames, type FrameFfmpeg, type FrameTransport } from './ffmpeg-frames';
import type { RawFrame } from './pam';
import type { VideoIndex } from './video-index';

/** How often ffmpeg was started for video frames, a seek was redone earlier, and from the start. */
export const videoDecodeStats = { runs: 0, seeksRedone: 0, fromStart: 0 };

export interface VideoDecodeOptions {
  grey: boolean;
  /** The first frame wanted: decoding seeks to the keyframe before it and skips what precedes it. */
  first: number;
  /** Decoding pauses once this frame has been delivered, until demand() asks for more. */
  until: number;
  /** Receives each frame from `first` on, in order, as soon as it is decoded. */
  onFrame: (index: number, frame: RawFrame) => void;
  /** How frames are read from ffmpeg (default: the fastest this platform has). */
  transport?: FrameTransport;
}

/**
 * Decodes a video forward from frame `first` in one ffmpeg process, for as long as frames are
 * demanded: a reader going through a clip keeps one process streaming instead of starting (and
 * seeking) one per run of frames. Every decoded frame is named by its timestamp (-copyts,
 * -debug_ts's decoder line), so it is matched to its index exactly whatever the GOP or B-frame
 * structure. When the seek lands after `first`, yields nothing (an open GOP, MPEG-TS, a damaged
 * index) or fails, it seeks again from a second and then four seconds earlier, and at last decodes
 * from the start of the file.
 */
export class VideoDecode {
  /** Settles when decoding ends: at the end of the video or after stop(); rejects on failure. */
  readonly done: Promise<void>;
  private delivered: number;
  private until: number;
  private process: FrameFfmpeg | null = null;
  private stopped = false;
  private paused = false;
  private alive = true;

  constructor(
    private readonly video: VideoIndex,
    private readonly options: VideoDecodeOptions,
  ) {
    this.delivered = options.first - 1;
    this.until = options.until;
    this.done = this.run();
  }

  /** The last frame delivered (first − 1 before any). */
  get position(): number {
    return this.delivered;
  }

  /** Lets decoding go on until frame `until` has been delivered. */
  demand(until: number): void {
    if (until <= this.until) return;
    this.until = until;
    if (this.paused && this.delivered < until) {
      this.paused = false;
      this.process?.resume();
    }
  }

  stop(): void {
    this.stopped = true;
    this.process?.stop();
  }

  /** Whether ffmpeg keeps the event loop alive; an idle decoder lets the app exit. */
  keepAlive(alive: boolean): void {
    this.alive = alive;
    this.process?.keepAlive(alive);
  }

  private async run(): Promise<void> {
    for (const from of seekPoints(this.options.first, this.video.fps)) {
      if (this.stopped) return;
      if (from === 0 && this.options.first > 0) videoDecodeStats.fromStart++;
      const seekMissed = await this.decodeOnce(from);
      if (!seekMissed) return;
      videoDecodeStats.seeksRedone++;
    }
  }

  /** One ffmpeg process; true when its seek failed, landed after `first` or found nothing. */
  private async decodeOnce(seekTo: number): Promise<boolean> {
    videoDecodeStats.runs++;
    const { grey, first } = this.options;
    const seek = seekTo > 0;
    const channels = grey ? 1 : 3;
    const output = new DecodedFrames();
    let identified = false;
    let seekMissed = false;
    let failure: Error | null = null;
    const fail = (message: string) => {
      failure ??= new Error(message);
      run?.stop();
    };
    const drain = () => {
      for (let next = output.next(); next && !failure && !seekMissed; next = output.next()) {
        const { index, data, size } = next;
        if (size !== data.length) return fail(sizeChanged(size, output.geometry));
        if (!identified && index >= 0) {
          identified = true;
          if (seek && index > first) {
            seekMissed = true;
            return run?.stop();
          }
        }
        if (index < first || index <= this.delivered) continue;
        const { width, height } = output.geometry ?? { width: 0, height: 0 };
        this.delivered = index;
        this.options.onFrame(index, { width, height, channels, data });
        if (index >= this.until && !this.paused) {
          this.paused = true;
          run?.pause();
        }
      }
    };
    let run: FrameFfmpeg | null = null;
    run = await spawnFfmpegFrames(decodeArgs(this.video, seekTo, grey), {
      transport: this.options.transport,
      onStderrLine: (line) => {
        if (seek && SEEK_FAILED.test(line)) {
          seekMissed = true;
          return run?.stop();
        }
        const said = output.readLine(line, this.video);
        if (said === 'size') {
          run?.readFrames(output.frameBytes(channels));
        } else if (said === 'frame') {
          if (output.geometry) return drain();
          if (!output.takeVideoSize(this.video, channels)) {
            return fail('ffmpeg did not say the size of its output frames');
          }
          run?.readFrames(output.frameBytes(channels));
          drain();
        }
      },
      onFrame: (data) => {
        output.push(data);
        drain();
      },
    });
    this.process = run;
    this.paused = false;
    if (!this.alive) run.keepAlive(false);
    if (this.stopped || seekMissed) run.stop();
    await run.done;
    if (failure) throw failure;
    return seekMissed || (seek && !identified && !this.stopped);
  }
}

/**
 * ffmpeg goes on reading from wherever a failed seek left the demuxer: in an AVI with B-frames,
 * whose seeks ffmpeg moves 3/23 s earlier, a seek to one of the first frames ends up before the
 * first keyframe, fails, and decoding starts on the second packet (a P-frame without its
 * keyframe: grey blocks, stamped as the frames they should be).
 */
const SEEK_FAILED = /could not seek to position/;

/** Where to seek for frame `first`: there, then a second and four seconds before, then the start. */
function seekPoints(first: number, fps: number): number[] {
  const points = [first, first - Math.round(fps), first - Math.round(4 * fps)].filter((p) => p > 0);
  return [...new Set(points), 0];
}

function sizeChanged(size: number, geometry: { width: number; height: number } | null): string {
  const { width, height } = geometry ?? { width: 0, height: 0 };
  return `a decoded frame of ${size} bytes does not fit the video's ${width}×${height} frames (its size changes mid-stream?)`;
}

function decodeArgs(video: VideoIndex, seekTo: number, grey: boolean): string[] {
  const seek = seekTo > 0 ? ['-ss', seekSeconds(video, seekTo).toFixed(6)] : [];
  return [
    '-nostats',
    '-debug_ts',
    '-copyts',
    '-noaccurate_seek',
    ...seek,
    '-i',
    video.file,
    '-map',
    '0:v:0',
    '-an',
    '-sn',
    ...passEveryFrame(),
    '-pix_fmt',
    grey ? 'gray' : 'rgb24',
    '-f',
    'rawvideo',
    '-',
  ];
}

/** A moment just before frame `index`, relative to the file's start, for input seeking. */
function seekSeconds(video: VideoIndex, index: number): number {
  const previous = video.seconds[index - 1];
  const target = video.seconds[index];
  const before = previous === undefined ? target : (previous + target) / 2;
  return Math.max(0, before - video.startTime);
}
