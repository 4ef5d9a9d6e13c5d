import path from 'node:path';
import type { Clip, DatasetIndex } from '../../shared/domain';
import { frameCache } from './frame-cache';
import { frameKey } from './frame-key';
import type { RawFrame } from './pam';
import { VideoDecode } from './video-decode';
import { videoFileVersion, videoIndex } from './video-index';

/**
 * How video frames are decoded around a request: from `behind` frames before it, and `ahead`
 * frames past it at first, doubling while requests follow in order up to `maxAhead` (and a
 * quarter of the frame cache, so frames decoded ahead are still cached when they are read). A
 * request at most `reach` frames past what a decoder was asked for is decoded through rather
 * than sought. A decoder nobody waits on stops after `idleMs`, and idle ones are stopped while
 * starting a new one would make more than `maxDecoders` (a paused ffmpeg holds ~25 MB at 640×480).
 * One whose callers all gave up stops after `abandonedMs`, unless a request it can serve comes
 * first (dragging the playhead forwards gives up each frame as it asks for the next).
 */
export const videoRun = {
  ahead: 24,
  behind: 6,
  maxAhead: 192,
  reach: 48,
  idleMs: 2000,
  abandonedMs: 150,
  maxDecoders: 2,
};

interface Waiter {
  promise: Promise<RawFrame>;
  resolve(frame: RawFrame): void;
  reject(error: Error): void;
  /** Some caller without a signal waits for it, whatever the others do. */
  kept: boolean;
  /** Callers with a signal that have not cancelled. */
  cancellable: number;
}

/** The live decoders of each clip variant (dataset, clip, grey or RGB). */
const sessions = new Map<string, VideoSession[]>();

/**
 * Frame `index` of a video clip, decoded by a streaming decoder of that clip: the one already
 * heading for it when there is one (reading in order never seeks), else a new one that seeks.
 * Every frame decoded lands in the frame cache. A cancelled request that was the last one
 * waiting on its decoder stops it (and its ffmpeg).
 */
export function videoFrame(
  dataset: DatasetIndex,
  clip: Clip,
  index: number,
  grey: boolean,
  signal?: AbortSignal,
): Promise<RawFrame> {
  const target = frameKey(dataset, clip, -1, grey ? 'raw-grey' : 'raw-rgb');
  const live = sessions.get(target) ?? [];
  const session =
    live.find((candidate) => candidate.isWaitingFor(index)) ??
    live.find((candidate) => candidate.canServe(index)) ??
    startSession(dataset, clip, index, grey, target);
  return session.request(index, signal);
}

/** Stops every video decoder of this thread (those waiting get an AbortError). */
export function stopVideoDecoders(): void {
  for (const session of [...sessions.values()].flat()) session.stop();
}

/** Decoders running (or idle, waiting to be reused) in this thread. */
export function videoSessionCount(): number {
  let count = 0;
  for (const list of sessions.values()) count += list.length;
  return count;
}

/**
 * A video replaced or rewritten since the dataset was opened: its frames no longer match the
 * clip's index (frame count, times), so none is decoded from it until the dataset is opened again.
 */
async function checkUnchanged(clipId: string, file: string, opened?: string): Promise<void> {
  if (opened === undefined || (await videoFileVersion(file)) === opened) return;
  throw new Error(
    `${clipId}: ${path.basename(file)} changed on disk since the dataset was opened: open the dataset again to read the new version`,
  );
}

function startSession(
  dataset: DatasetIndex,
  clip: Clip,
  index: number,
  grey: boolean,
  target: string,
): VideoSession {
  const frameBytes = (clip.width ?? 640) * (clip.height ?? 480) * (grey ? 1 : 3);
  const affordable = Math.max(1, Math.floor(frameCache.budgetBytes / 4 / frameBytes));
  const first = Math.max(0, index - Math.min(videoRun.behind, affordable >> 2));
  // A new position in this clip supersedes its idle decoders; beyond the cap, the longest idle go.
  for (const session of sessions.get(target) ?? []) if (session.idle) session.stop();
  const idle = [...sessions.values()].flat().filter((session) => session.idle);
  idle.sort((a, b) => a.lastUsed - b.lastUsed);
  while (videoSessionCount() >= videoRun.maxDecoders && idle.length > 0) idle.shift()?.stop();
  const session = new VideoSession({ dataset, clip, grey, target }, first, affordable);
  sessions.set(target, [...(sessions.get(target) ?? []), session]);
  return session;
}

interface Place {
  dataset: DatasetIndex;
  clip: Clip;
  grey: boolean;
  /** Key of the clip variant in `sessions`. */
  target: string;
}

class VideoSession {
  lastUsed = performance.now();
  private finished = false;
  private decode: VideoDecode | null = null;
  private readonly waiters = new Map<number, Waiter>();
  /** Last frame delivered. */
  private position: number;
  /** Frames up to here are decoded without further requests. */
  private limit: number;
  /** Frames decoded past the latest request. */
  private window: number;
  private lastRequest = -1;
  private idleTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly place: Place,
    private readonly first: number,
    private readonly affordable: number,
  ) {
    this.position = first - 1;
    this.limit = first - 1;
    this.window = Math.min(videoRun.ahead, affordable);
    void this.start();
  }

  get idle(): boolean {
    return this.waiters.size === 0;
  }

  isWaitingFor(index: number): boolean {
    return this.waiters.has(index);
  }

  /** Whether decoding on to `index` beats seeking to it. */
  canServe(index: number): boolean {
    return (
      !this.finished &&
      index > this.position &&
      index <= Math.max(this.limit, this.position) + videoRun.reach
    );
  }

  request(index: number, signal?: AbortSignal): Promise<RawFrame> {
    this.lastUsed = performance.now();
    if (index > this.lastRequest && index <= this.limit) {
      // Reading on in order: decode further ahead.
      this.window = Math.min(videoRun.maxAhead, this.affordable, this.window * 2);
    }
    this.lastRequest = index;
    this.limit = Math.max(this.limit, index + this.window);
    this.decode?.demand(this.limit);
    const waiter = this.waiterFor(index);
    if (!signal) {
      waiter.kept = true;
      return waiter.promise;
    }
    waiter.cancellable++;
    return new Promise<RawFrame>((resolve, reject) => {
      const onAbort = () => {
        waiter.cancellable--;
        this.release(index, waiter);
        reject(abortError());
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      waiter.promise
        .then(resolve, reject)
        .finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  /** Ends the decoder; whoever still waits gets an AbortError. */
  stop(): void {
    if (this.finished) return;
    this.close();
    this.decode?.stop();
    this.rejectWaiters(() => abortError());
  }

  private waiterFor(index: number): Waiter {
    this.busy();
    const existing = this.waiters.get(index);
    if (existing) return existing;
    const waiter: Waiter = { ...deferred(), kept: false, cancellable: 0 };
    this.waiters.set(index, waiter);
    return waiter;
  }

  /** A frame no caller waits for any more: when none is left, the decoder stops (soon). */
  private release(index: number, waiter: Waiter): void {
    if (waiter.kept || waiter.cancellable > 0 || this.waiters.get(index) !== waiter) return;
    this.waiters.delete(index);
    waiter.reject(abortError());
    if (this.waiters.size === 0) this.stopSoon();
  }

  /** Nobody waits any more: the decoder stops, unless a request it can serve comes first. */
  private stopSoon(): void {
    this.decode?.keepAlive(false);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.stop(), videoRun.abandonedMs);
    this.idleTimer.unref();
  }

  private async start(): Promise<void> {
    const { dataset, clip, grey } = this.place;
    if (clip.source.kind !== 'video') throw new Error(`${clip.id} is not a video clip`);
    try {
      const file = path.join(dataset.root, clip.source.file);
      await checkUnchanged(clip.id, file, clip.source.version);
      const video = await videoIndex(file);
      if (this.finished) return;
      this.decode = new VideoDecode(video, {
        grey,
        first: this.first,
        until: this.limit,
        onFrame: (index, frame) => this.deliver(index, frame),
      });
      if (this.idle) this.decode.keepAlive(false);
      await this.decode.done;
      this.end(null);
    } catch (error) {
      this.end(error as Error);
    }
  }

  private deliver(index: number, frame: RawFrame): void {
    const { dataset, clip, grey } = this.place;
    const previous = this.position;
    this.position = index;
    frameCache.set(
      frameKey(dataset, clip, index, grey ? 'raw-grey' : 'raw-rgb'),
      frame,
      frame.data.byteLength,
    );
    for (const [wanted, waiter] of this.waiters) {
      if (wanted > index) continue;
      this.waiters.delete(wanted);
      if (wanted === index) waiter.resolve(frame);
      else {
        const why = `the decoder went from frame ${previous} to frame ${index}`;
        waiter.reject(this.notDecoded(wanted, why));
      }
    }
    if (this.idle) this.becomeIdle();
  }

  /** The decoder ended (end of the video, or ffmpeg failed): what is still awaited never comes. */
  private end(failure: Error | null): void {
    if (this.finished) return;
    this.close();
    const { clip } = this.place;
    this.rejectWaiters((index) =>
      failure
        ? new Error(`${clip.id}: ${failure.message}`, { cause: failure })
        : this.notDecoded(
            index,
            this.position >= this.first
              ? `the video ends after frame ${this.position}`
              : `no frame from ${this.first} on could be decoded`,
          ),
    );
  }

  private notDecoded(index: number, why: string): Error {
    const { clip } = this.place;
    const file = clip.source.kind === 'video' ? clip.source.file : clip.id;
    return new Error(
      `${clip.id}: frame ${index} could not be decoded from ${file} (${why}: damaged or truncated video?)`,
    );
  }

  private rejectWaiters(reason: (index: number) => Error): void {
    const waiting = [...this.waiters];
    this.waiters.clear();
    for (const [index, waiter] of waiting) waiter.reject(reason(index));
  }

  private close(): void {
    this.finished = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    const left = (sessions.get(this.place.target) ?? []).filter((session) => session !== this);
    if (left.length > 0) sessions.set(this.place.target, left);
    else sessions.delete(this.place.target);
  }

  private busy(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    this.decode?.keepAlive(true);
  }

  private becomeIdle(): void {
    this.decode?.keepAlive(false);
    this.idleTimer ??= setTimeout(() => this.stop(), videoRun.idleMs);
    this.idleTimer.unref();
  }
}

function deferred(): Pick<Waiter, 'promise' | 'resolve' | 'reject'> {
  let resolve: (frame: RawFrame) => void = () => undefined;
  let reject: (error: Error) => void = () => undefined;
  const promise = new Promise<RawFrame>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

function abortError(): Error {
  const error = new Error('frame decoding was cancelled');
  error.name = 'AbortError';
  return error;
}
