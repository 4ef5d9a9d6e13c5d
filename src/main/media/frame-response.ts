import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp, { type Sharp } from 'sharp';
import type { Clip, DatasetIndex } from '../../shared/domain';
import type { AppContext } from '../app/context';
import { findClip } from '../dataset/handlers';
import { frameCache } from './frame-cache';
import { checkIndex, decodeFrame, frameKey, isAbort } from './frames';
import { decodeBmp } from './bmp';
import { jpegInfo } from './image-decode';
import { Prefetcher } from './prefetch';

export interface FrameRequest {
  clipId: string;
  index: number;
  grey: boolean;
  /** Longest side for display; 0 = native size. */
  maxSide: number;
  /** Decode the frames around this one afterwards (default true; off for one-off requests). */
  prefetch?: boolean;
}

const JPEG_QUALITY = 90;

/**
 * A frame as an image the renderer can show, for the web host's /frames route and Electron's
 * mer-frame: protocol alike. Only clips of the open dataset can be named, by id and index,
 * so a request can never reach a file outside it. Encoded images are cached, so a repeated
 * request costs a map lookup; then the frames around it are prefetched.
 */
export async function frameImage(
  ctx: AppContext,
  request: FrameRequest,
  signal?: AbortSignal,
): Promise<Buffer> {
  const dataset = ctx.requireDataset();
  const clip = findClip(ctx, request.clipId);
  checkIndex(clip, request.index);
  const { index, grey, maxSide } = request;
  const image = await encodedFrame(dataset, clip, index, grey, maxSide, signal);
  if (request.prefetch !== false) schedulePrefetch(dataset, clip, request);
  return image;
}

/** One frame being made: shared by all who ask for it meanwhile, stopped once all gave up. */
interface EncodeJob {
  done: Promise<Buffer>;
  stop: AbortController;
  waiting: number;
}

const inFlight = new Map<string, EncodeJob>();

/** The frame as JPEG bytes: from the cache, the original file when it fits as is, or encoded. */
export function encodedFrame(
  dataset: DatasetIndex,
  clip: Clip,
  index: number,
  grey: boolean,
  maxSide: number,
  signal?: AbortSignal,
): Promise<Buffer> {
  const key = frameKey(dataset, clip, index, `jpeg-${grey ? 'grey' : 'rgb'}-${maxSide}`);
  const cached = frameCache.get(key);
  if (cached instanceof Uint8Array) return Promise.resolve(asBuffer(cached));
  let job = inFlight.get(key);
  if (!job || job.stop.signal.aborted) {
    const stop = new AbortController();
    const done = produceJpeg(dataset, clip, index, grey, maxSide, stop.signal).then((bytes) => {
      frameCache.set(key, bytes, bytes.byteLength);
      return bytes;
    });
    const started: EncodeJob = { done, stop, waiting: 0 };
    void done
      .catch(() => undefined)
      .finally(() => {
        if (inFlight.get(key) === started) inFlight.delete(key);
      });
    inFlight.set(key, started);
    job = started;
  }
  return waitFor(job, signal);
}

/** The job's result for one who asked; giving up (signal) stops the job if nobody else waits. */
function waitFor(job: EncodeJob, signal?: AbortSignal): Promise<Buffer> {
  job.waiting++;
  if (!signal) return job.done; // waits to the end: the job is never stopped
  return new Promise((resolve, reject) => {
    const giveUp = () => {
      if (--job.waiting === 0) job.stop.abort();
      reject(signal.reason instanceof Error ? signal.reason : abortError());
    };
    if (signal.aborted) return giveUp();
    signal.addEventListener('abort', giveUp, { once: true });
    job.done.finally(() => signal.removeEventListener('abort', giveUp)).then(resolve, reject);
  });
}

function abortError(): Error {
  const error = new Error('the frame is no longer wanted');
  error.name = 'AbortError';
  return error;
}

async function produceJpeg(
  dataset: DatasetIndex,
  clip: Clip,
  index: number,
  grey: boolean,
  maxSide: number,
  signal?: AbortSignal,
): Promise<Buffer> {
  if (clip.source.kind === 'images') {
    const file = path.join(dataset.root, clip.source.dir, clip.source.files[index]);
    const bytes = await readFile(file).catch(() => null);
    if (bytes && servesAsIs(bytes, grey, maxSide)) return bytes;
    if (bytes && bytes[0] === 0xff && bytes[1] === 0xd8) {
      // One libvips pipeline from the compressed file: JPEG shrink-on-load makes resizing cheap.
      return encodePipeline(sharp(bytes, { failOn: 'truncated' }).rotate(), grey, maxSide).catch(
        (error: Error) => {
          throw new Error(
            `${clip.id} frame ${index}: cannot decode ${path.basename(file)}: ${error.message.split('\n')[0]}`,
          );
        },
      );
    }
    if (bytes && bytes[0] === 0x42 && bytes[1] === 0x4d) {
      const frame = decodeBmp(bytes, grey, `${clip.id} frame ${index} (${path.basename(file)})`);
      return encodeRaw(frame.data, frame.width, frame.height, frame.channels, maxSide);
    }
  }
  const frame = await decodeFrame(dataset, clip, index, { grey, maxSide, signal });
  return encodeRaw(frame.data, frame.width, frame.height, frame.channels, 0);
}

/** A complete JPEG already at display size and in the wanted colours goes out unchanged. */
function servesAsIs(bytes: Buffer, grey: boolean, maxSide: number): boolean {
  const info = jpegInfo(bytes);
  if (!info?.complete || info.orientation !== 1) return false;
  if (info.components !== 1 && info.components !== 3) return false;
  if (grey && info.components !== 1) return false;
  return maxSide <= 0 || Math.max(info.width, info.height) <= maxSide;
}

function encodePipeline(image: Sharp, grey: boolean, maxSide: number): Promise<Buffer> {
  let pipeline = grey
    ? image.greyscale().toColourspace('b-w')
    : image.removeAlpha().toColourspace('srgb');
  if (maxSide > 0)
    pipeline = pipeline.resize(maxSide, maxSide, { fit: 'inside', withoutEnlargement: true });
  return pipeline.jpeg({ quality: JPEG_QUALITY }).toBuffer();
}

function encodeRaw(
  data: Uint8Array,
  width: number,
  height: number,
  channels: 1 | 3,
  maxSide: number,
): Promise<Buffer> {
  return encodePipeline(sharp(data, { raw: { width, height, channels } }), channels === 1, maxSide);
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

const prefetchers = new WeakMap<DatasetIndex, Prefetcher>();

function schedulePrefetch(dataset: DatasetIndex, clip: Clip, request: FrameRequest): void {
  let prefetcher = prefetchers.get(dataset);
  if (!prefetcher) {
    prefetcher = new Prefetcher();
    prefetchers.set(dataset, prefetcher);
  }
  const variant = `jpeg-${request.grey ? 'grey' : 'rgb'}-${request.maxSide}`;
  prefetcher.around(
    `${clip.id}\0${variant}`,
    request.index,
    clip.frameCount,
    (index) => frameCache.has(frameKey(dataset, clip, index, variant)),
    (index, signal) =>
      encodedFrame(dataset, clip, index, request.grey, request.maxSide, signal).catch(
        (error: unknown) => {
          if (!isAbort(error)) throw error;
        },
      ),
  );
}

/** Stops prefetching for a dataset (when it is closed or replaced). */
export function cancelPrefetch(dataset: DatasetIndex): void {
  prefetchers.get(dataset)?.cancel();
}

/** Parses `/<clipId>/<index>` plus query parameters; null when malformed. */
export function parseFrameRequest(pathPart: string, query: URLSearchParams): FrameRequest | null {
  const match = /^\/(.+)\/(\d{1,8})$/.exec(pathPart);
  if (!match) return null;
  let clipId: string;
  try {
    clipId = decodeURIComponent(match[1]);
  } catch {
    return null;
  }
  const maxSideText = query.get('maxSide') ?? '0';
  if (!/^\d{1,4}$/.test(maxSideText)) return null;
  const maxSide = Number(maxSideText);
  if (maxSide > 8192) return null;
  return {
    clipId,
    index: Number(match[2]),
    grey: query.get('grey') === '1',
    maxSide,
    prefetch: query.get('prefetch') !== '0',
  };
}
