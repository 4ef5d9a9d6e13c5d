import path from 'node:path';
import sharp from 'sharp';
import type { Clip, DatasetIndex } from '../../shared/domain';
import { NotFoundError } from '../app/context';
import { frameCache } from './frame-cache';
import { decodeImageFile } from './image-decode';
import type { RawFrame } from './pam';
import { frameKey } from './frame-key';
import { videoFrame } from './video-frames';

export type { RawFrame } from './pam';
export { frameKey } from './frame-key';

export interface FrameOptions {
  grey?: boolean;
  signal?: AbortSignal;
  /** Longest side wanted (display size); 0 or absent = native size. */
  maxSide?: number;
}

/**
 * Frame `index` (0-based) of a clip as pixels, from the frame cache when it is there. Image
 * sequences decode in-process; videos stream from an ffmpeg process that goes on decoding while
 * frames are read in order (video-frames.ts), every frame of which lands in the cache.
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
    const pending =
      clip.source.kind === 'images'
        ? (inFlight.get(key) ?? decodeImageFrame(dataset, clip, index, grey, key))
        : videoFrame(dataset, clip, index, grey, signal);
    try {
      return await abortable(pending, signal);
    } catch (error) {
      // The decoder shared with a cancelled request was stopped under us: decode again.
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
