import { spawnFfmpeg } from './ffmpeg';
import type { RawFrame } from './pam';
import type { VideoIndex } from './video-index';

const EMPTY = Buffer.alloc(0);

/** How often ffmpeg was started for video frames, and how often a seek had to be redone from the start. */
export const videoDecodeStats = { runs: 0, restartsFromStart: 0 };

export interface VideoRunOptions {
  grey: boolean;
  signal?: AbortSignal;
  /** Receives each frame of [first, last] as soon as it is decoded. */
  onFrame: (index: number, frame: RawFrame) => void;
}

/**
 * Decodes frames first..last of a video in one ffmpeg process: seeks to the keyframe before
 * `first` and decodes forward, naming every decoded frame by its timestamp (showinfo, -copyts),
 * so each frame is matched to its index exactly, whatever the GOP or B-frame structure.
 * Returns the indexes of the run that could not be decoded (empty when all arrived).
 */
export async function decodeVideoRun(
  video: VideoIndex,
  first: number,
  last: number,
  options: VideoRunOptions,
): Promise<number[]> {
  const wanted = new Set<number>();
  for (let i = first; i <= last; i++) wanted.add(i);
  await runFrom(video, first, last, wanted, options, true);
  if (wanted.size > 0 && first > 0 && !options.signal?.aborted) {
    // The seek landed after the frame (a damaged index or an open GOP): decode from the start.
    videoDecodeStats.restartsFromStart++;
    await runFrom(video, first, last, wanted, options, false);
  }
  return [...wanted].sort((a, b) => a - b);
}

async function runFrom(
  video: VideoIndex,
  first: number,
  last: number,
  wanted: Set<number>,
  options: VideoRunOptions,
  seek: boolean,
): Promise<void> {
  videoDecodeStats.runs++;
  const seekArgs = seek && first > 0 ? ['-ss', seekSeconds(video, first).toFixed(6)] : [];
  const headers: Array<{ index: number; width: number; height: number }> = [];
  const chunks: Buffer[] = [];
  let buffered = 0;
  let consumed = 0;
  const channels = options.grey ? 1 : 3;
  const drain = () => {
    while (consumed < headers.length) {
      const { index, width, height } = headers[consumed];
      const size = width * height * channels;
      if (buffered < size) return;
      consumed++;
      if (!wanted.has(index)) {
        take(size, false);
      } else {
        wanted.delete(index);
        const data = take(size, true);
        options.onFrame(index, {
          width,
          height,
          channels,
          data: new Uint8Array(data.buffer, data.byteOffset, data.length),
        });
      }
      if (index >= last) run.stop();
    }
  };
  /** Copies the next `size` bytes out of the queued chunks (never re-copying what stays queued). */
  const take = (size: number, keep: boolean): Buffer => {
    const out = keep ? Buffer.allocUnsafeSlow(size) : EMPTY;
    let filled = 0;
    while (filled < size) {
      const head = chunks[0];
      const part = Math.min(size - filled, head.length);
      if (keep) head.copy(out, filled, 0, part);
      filled += part;
      if (part === head.length) chunks.shift();
      else chunks[0] = head.subarray(part);
    }
    buffered -= size;
    return out;
  };
  const run = spawnFfmpeg(
    [
      '-copyts',
      '-noaccurate_seek',
      ...seekArgs,
      '-i',
      video.file,
      '-map',
      '0:v:0',
      '-an',
      '-sn',
      '-vf',
      'showinfo',
      '-vsync',
      '0',
      '-pix_fmt',
      options.grey ? 'gray' : 'rgb24',
      '-f',
      'rawvideo',
      '-',
    ],
    {
      signal: options.signal,
      loglevel: 'info',
      onStderrLine: (line) => {
        const info = /showinfo.*\bn:\s*\d+\s+pts:\s*(-?\d+).*?\bs:(\d+)x(\d+)/.exec(line);
        if (!info) return;
        const index = video.indexOfPts.get(Number(info[1])) ?? -1;
        headers.push({ index, width: Number(info[2]), height: Number(info[3]) });
        drain();
      },
      onStdout: (chunk) => {
        chunks.push(chunk);
        buffered += chunk.length;
        drain();
      },
    },
  );
  await run.done;
  drain();
}

/** A moment just before frame `index`, relative to the file's start, for input seeking. */
function seekSeconds(video: VideoIndex, index: number): number {
  const previous = video.seconds[index - 1];
  const target = video.seconds[index];
  const before = previous === undefined ? target : (previous + target) / 2;
  return Math.max(0, before - video.startTime);
}
