import { WorkerClient } from '../app/worker-client';
import { startWorker } from '../app/workers';
import type { RawFrame } from '../media/pam';
import type { DetectReply, DetectRequest, DetectedFace } from './landmark-protocol';

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
  private readonly worker = new WorkerClient<{ backend: string }, DetectReply>(
    startWorker('face/landmark-worker'),
    'face landmark worker',
  );

  /** False once the worker failed, exited or was closed: make a new detector. */
  get alive(): boolean {
    return this.worker.alive;
  }

  /** Resolves with the tfjs backend name once the model is loaded. */
  async whenReady(): Promise<string> {
    try {
      return (await this.worker.ready).backend;
    } catch (error) {
      throw new Error(`face landmark model failed to load: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  /** Faces in a frame (grey frames are expanded to RGB): the largest of those it is sure of first. */
  async detect(frame: RawFrame, signal?: AbortSignal): Promise<Detection> {
    await this.whenReady();
    signal?.throwIfAborted();
    const rgb = toRgb(frame).buffer as ArrayBuffer;
    const reply = await this.worker.request(
      (id): DetectRequest => ({ id, width: frame.width, height: frame.height, rgb }),
      [rgb],
    );
    signal?.throwIfAborted();
    if (!reply.ok) throw new Error(`face landmarks: ${reply.error}`);
    return { faces: byPreference(reply.faces), milliseconds: reply.milliseconds };
  }

  async close(): Promise<void> {
    await this.worker.close();
  }
}

/**
 * How far below the surest face another still counts as sure: a false face (a pattern, a fold of
 * clothing) scores well below a real one (0.37 against 0.75 in a 72 px photo).
 */
const SURE_MARGIN = 0.2;

/** The faces the detector is sure of, largest first, then the others, largest first. */
function byPreference(faces: DetectedFace[]): DetectedFace[] {
  const surest = Math.max(0, ...faces.map((face) => face.boxScore));
  const sure = (face: DetectedFace) => face.boxScore >= surest - SURE_MARGIN;
  const area = (face: DetectedFace) => face.box[2] * face.box[3];
  return [...faces].sort((a, b) => Number(sure(b)) - Number(sure(a)) || area(b) - area(a));
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
