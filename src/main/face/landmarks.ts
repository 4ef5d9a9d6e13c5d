import type { Worker } from 'node:worker_threads';
import { startWorker } from '../app/workers';
import type { RawFrame } from '../media/pam';
import type { DetectReply, DetectRequest, DetectedFace, WorkerReady } from './landmark-protocol';

export type { DetectedFace } from './landmark-protocol';

export interface Detection {
  faces: DetectedFace[];
  /** Time spent in the worker (model inference), in milliseconds. */
  milliseconds: number;
}

/**
 * FaceMesh landmarks off the main thread: one worker (src/main/face/landmark-worker.ts) loads the
 * model once and answers detect() calls in order. An idle worker does not keep the process alive.
 */
export class LandmarkDetector {
  private readonly worker: Worker;
  private readonly ready: Promise<string>;
  private readonly pending = new Map<number, (reply: DetectReply) => void>();
  private nextId = 1;
  private failure: Error | null = null;
  private rejectReady: (error: Error) => void = () => {};

  constructor() {
    this.worker = startWorker('face/landmark-worker');
    this.ready = new Promise<string>((resolve, reject) => {
      this.rejectReady = reject;
      this.worker.once('message', (message: WorkerReady) => {
        this.updateRef();
        if (message.ready) resolve(message.backend);
        else reject(new Error(`face landmark model failed to load: ${message.error}`));
        this.worker.on('message', (reply: DetectReply) => this.settle(reply));
      });
    });
    this.ready.catch((error: Error) => this.fail(error));
    this.worker.on('error', (error) =>
      this.fail(new Error(`face landmark worker: ${error.message}`)),
    );
    this.worker.on('exit', (code) => this.fail(new Error(`face landmark worker exited (${code})`)));
  }

  /** False once the worker failed, exited or was closed: make a new detector. */
  get alive(): boolean {
    return this.failure === null;
  }

  /** Resolves with the tfjs backend name once the model is loaded. */
  whenReady(): Promise<string> {
    return this.ready;
  }

  /** Faces in a frame (grey frames are expanded to RGB), largest first. */
  async detect(frame: RawFrame, signal?: AbortSignal): Promise<Detection> {
    await this.ready;
    if (this.failure) throw this.failure;
    signal?.throwIfAborted();
    const id = this.nextId++;
    const rgb = toRgb(frame).buffer as ArrayBuffer;
    const request: DetectRequest = { id, width: frame.width, height: frame.height, rgb };
    const reply = await new Promise<DetectReply>((resolve) => {
      this.pending.set(id, resolve);
      this.updateRef();
      this.worker.postMessage(request, [rgb]);
    });
    signal?.throwIfAborted();
    if (!reply.ok) throw new Error(`face landmarks: ${reply.error}`);
    const faces = [...reply.faces].sort((a, b) => b.box[2] * b.box[3] - a.box[2] * a.box[3]);
    return { faces, milliseconds: reply.milliseconds };
  }

  async close(): Promise<void> {
    this.failure ??= new Error('face landmark detector closed');
    await this.worker.terminate();
  }

  private settle(reply: DetectReply): void {
    const resolve = this.pending.get(reply.id);
    this.pending.delete(reply.id);
    this.updateRef();
    resolve?.(reply);
  }

  /** Keeps the process alive only while the model loads or a request is in flight. */
  private updateRef(): void {
    if (this.pending.size > 0) this.worker.ref();
    else this.worker.unref();
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.rejectReady(this.failure);
    for (const [id, resolve] of this.pending)
      resolve({ id, ok: false, error: this.failure.message });
    this.pending.clear();
  }
}

function toRgb(frame: RawFrame): Uint8Array {
  if (frame.channels === 3)
    return Uint8Array.from(frame.data.subarray(0, frame.width * frame.height * 3));
  const rgb = new Uint8Array(frame.width * frame.height * 3);
  for (let i = 0; i < frame.width * frame.height; i++) {
    rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = frame.data[i];
  }
  return rgb;
}

let shared: LandmarkDetector | null = null;

/** The process-wide detector, started on first use (the model loads once; again after a crash). */
export function sharedLandmarkDetector(): LandmarkDetector {
  if (!shared?.alive) {
    const detector = new LandmarkDetector();
    shared = detector;
    detector.whenReady().catch(() => {
      if (shared === detector) shared = null;
    });
  }
  return shared;
}

export async function closeSharedLandmarkDetector(): Promise<void> {
  const detector = shared;
  shared = null;
  await detector?.close();
}
