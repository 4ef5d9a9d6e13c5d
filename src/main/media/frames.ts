import path from 'node:path';
import sharp from 'sharp';
import type { Clip, DatasetIndex } from '../../shared/domain';
import { NotFoundError } from '../app/context';
import { frameCache } from './frame-cache';
import { decodeImageFile } from './image-decode';
import type { RawFrame } from './pam';
import { decodeVideoRun } from './video-decode';
import { videoIndex } from './video-index';

export type { RawFrame } from './pam';

export interface FrameOptions {
  grey?: boolean;
  signal?: AbortSignal;
  /** Longest side wanted (display size); 0 or absent = native size. */
  maxSide?: number;
}

/**
 * Frame `index` (0-based) of a clip as pixels, from the frame cache when it is there. Image
 * sequences decode in-process; videos decode a run of frames around the index in one ffmpeg
 * process, every frame of which lands in the cache.
 */
export async function decodeFrame(
  dataset: DatasetIndex,
  clip: Clip,
  index: number,
  options: FrameOptions = {},
): Promise<RawFrame> {
  checkIndex(clip, index);
  const grey = options.grey ?? false;
  const maxSide = options.maxSide ?? 0;
  const native = await nativeFrame(dataset, clip, index, grey, options.signal);
  if (clip.source.kind === 'video') readAhead(dataset, clip, index, grey);
  if (maxSide <= 0 || Math.max(native.width, native.height) <= maxSide) return native;
  const key = frameKey(dataset, clip, index, `raw-${grey ? 'grey' : 'rgb'}-${maxSide}`);
  const cached = frameCache.get(key);
  if (cached && !(cached instanceof Uint8Array)) return cached;
  const resized = await resizeRaw(native, maxSide);
  frameCache.set(key, resized, resized.data.byteLength);
  return resized;
}

export function checkIndex(clip: Clip, index: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= clip.frameCount) {
    throw new NotFoundError(
      `${clip.id}: frame ${index} is outside the clip (0–${clip.frameCount - 1})`,
    );
  }
}

const datasetIds = new WeakMap<DatasetIndex, number>();
let nextDatasetId = 1;

/** Cache key of one variant of one frame; a reopened dataset gets fresh keys. */
export function frameKey(
  dataset: DatasetIndex,
  clip: Clip,
  index: number,
  variant: string,
): string {
  let id = datasetIds.get(dataset);
  if (id === undefined) {
    id = nextDatasetId++;
    datasetIds.set(dataset, id);
  }
  return `${id}\0${clip.id}\0${index}\0${variant}`;
}

const inFlight = new Map<string, Promise<RawFrame>>();

async function nativeFrame(
  dataset: DatasetIndex,
  clip: Clip,
  index: number,
  grey: boolean,
  signal?: AbortSignal,
): Promise<RawFrame> {
  const key = frameKey(dataset, clip, index, grey ? 'raw-grey' : 'raw-rgb');
  for (let attempt = 0; ; attempt++) {
    signal?.throwIfAborted();
    const cached = frameCache.get(key);
    if (cached && !(cached instanceof Uint8Array)) return cached;
    let pending = inFlight.get(key);
    if (!pending) {
      pending =
        clip.source.kind === 'images'
          ? decodeImageFrame(dataset, clip, index, grey, key)
          : startVideoRun(dataset, clip, index, grey, key, signal);
    }
    try {
      return await abortable(pending, signal);
    } catch (error) {
      // A shared prefetch run was cancelled under us: decode again for this request.
      if (isAbort(error) && !signal?.aborted && attempt < 2) continue;
      throw error;
    }
  }
}

function decodeImageFrame(
  dataset: DatasetIndex,
  clip: Clip,
  index: number,
  grey: boolean,
  key: string,
): Promise<RawFrame> {
  if (clip.source.kind !== 'images') throw new Error('not an image clip');
  const file = path.join(dataset.root, clip.source.dir, clip.source.files[index]);
  const pending = decodeImageFile(file, grey, `${clip.id} frame ${index}`)
    .then((frame) => {
      frameCache.set(key, frame, frame.data.byteLength);
      return frame;
    })
    .finally(() => inFlight.delete(key));
  inFlight.set(key, pending);
  return pending;
}

/** How many frames one video run decodes after and before the one asked for. */
export const videoRun = { ahead: 24, behind: 6, maxAhead: 192 };

/** Where the last run of each clip variant ended, to lengthen runs while frames are read in order. */
const streaks = new Map<string, { end: number; length: number }>();

/**
 * While frames are read in order, starts the next run when the reader is halfway through the
 * current one, so the next ffmpeg process is already decoding when the reader gets there.
 */
function readAhead(dataset: DatasetIndex, clip: Clip, index: number, grey: boolean): void {
  const variant = grey ? 'raw-grey' : 'raw-rgb';
  const streak = streaks.get(frameKey(dataset, clip, -1, variant));
  if (!streak || index < streak.end - streak.length / 2 || index > streak.end) return;
  const next = streak.end + 1;
  if (next >= clip.frameCount) return;
  const key = frameKey(dataset, clip, next, variant);
  if (frameCache.has(key) || inFlight.has(key)) return;
  startVideoRun(dataset, clip, next, grey, key).catch(() => undefined);
}

/** Runs double while each one starts where the previous ended (playback), else start short. */
function runLength(streakKey: string, index: number): number {
  const streak = streaks.get(streakKey);
  if (streak && index > streak.end - 4 && index <= streak.end + 2) {
    return Math.min(videoRun.maxAhead, streak.length * 2);
  }
  return videoRun.ahead;
}

interface Deferred {
  resolve(frame: RawFrame): void;
  reject(error: Error): void;
}

/**
 * Starts one ffmpeg run covering the frames around `index` that are neither cached nor already
 * being decoded; each of them becomes an in-flight promise others can wait on.
 */
function startVideoRun(
  dataset: DatasetIndex,
  clip: Clip,
  index: number,
  grey: boolean,
  key: string,
  signal?: AbortSignal,
): Promise<RawFrame> {
  if (clip.source.kind !== 'video') throw new Error('not a video clip');
  const variant = grey ? 'raw-grey' : 'raw-rgb';
  const frameBytes = (clip.width ?? 640) * (clip.height ?? 480) * (grey ? 1 : 3);
  const affordable = Math.max(1, Math.floor(frameCache.budgetBytes / 4 / frameBytes));
  const streakKey = frameKey(dataset, clip, -1, variant);
  const ahead = Math.min(runLength(streakKey, index), affordable);
  const first = Math.max(0, index - Math.min(videoRun.behind, affordable >> 2));
  const last = Math.min(clip.frameCount - 1, index + ahead);
  streaks.set(streakKey, { end: last, length: ahead });
  const waiting = new Map<number, Deferred>();
  for (let i = first; i <= last; i++) {
    const frameKeyI = frameKey(dataset, clip, i, variant);
    if (i !== index && (frameCache.has(frameKeyI) || inFlight.has(frameKeyI))) continue;
    const promise = new Promise<RawFrame>((resolve, reject) => waiting.set(i, { resolve, reject }));
    promise.catch(() => undefined);
    inFlight.set(frameKeyI, promise);
  }
  const settle = (i: number, outcome: RawFrame | Error) => {
    const deferred = waiting.get(i);
    if (!deferred) return;
    waiting.delete(i);
    inFlight.delete(frameKey(dataset, clip, i, variant));
    if (outcome instanceof Error) deferred.reject(outcome);
    else {
      frameCache.set(frameKey(dataset, clip, i, variant), outcome, outcome.data.byteLength);
      deferred.resolve(outcome);
    }
  };
  const file = path.join(dataset.root, clip.source.file);
  const indexes = [...waiting.keys()];
  void (async () => {
    try {
      const video = await videoIndex(file, signal);
      const missing = await decodeVideoRun(video, indexes[0], indexes[indexes.length - 1], {
        grey,
        signal,
        onFrame: (i, frame) => settle(i, frame),
      });
      for (const i of missing) {
        settle(
          i,
          new Error(
            `${clip.id}: frame ${i} could not be decoded from ${clip.source.kind === 'video' ? clip.source.file : ''} (damaged or truncated video?)`,
          ),
        );
      }
    } catch (error) {
      const failure = isAbort(error)
        ? abortError()
        : new Error(`${clip.id}: ${(error as Error).message}`);
      for (const i of [...waiting.keys()]) settle(i, failure);
    }
  })();
  return inFlight.get(key) as Promise<RawFrame>;
}

async function resizeRaw(frame: RawFrame, maxSide: number): Promise<RawFrame> {
  let image = sharp(frame.data, {
    raw: { width: frame.width, height: frame.height, channels: frame.channels },
  }).resize(maxSide, maxSide, { fit: 'inside' });
  // sharp writes sRGB unless told otherwise: a grey frame must stay one channel.
  if (frame.channels === 1) image = image.toColourspace('b-w');
  const { data, info } = await image.raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== frame.channels) {
    throw new Error(`resize changed ${frame.channels} channel(s) into ${info.channels}`);
  }
  return {
    width: info.width,
    height: info.height,
    channels: frame.channels,
    data: new Uint8Array(data.buffer, data.byteOffset, data.length),
  };
}

function abortable<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason ?? abortError());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function abortError(): Error {
  const error = new Error('frame decoding was cancelled');
  error.name = 'AbortError';
  return error;
}

export function isAbort(error: unknown): boolean {
  return (error as Error | undefined)?.name === 'AbortError';
}
