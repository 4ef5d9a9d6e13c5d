/** Messages between LandmarkDetector (main thread) and landmark-worker (worker thread). */
import type { WorkerReadyMessage } from '../app/worker-client';

export interface DetectRequest {
  id: number;
  width: number;
  height: number;
  /** Interleaved RGB, width × height × 3 bytes (the buffer is transferred). */
  rgb: ArrayBuffer;
}

/** One face found by BlazeFace + FaceMesh, in pixels of the image it was found in. */
export interface DetectedFace {
  /** [x, y, width, height] of the detector's box. */
  box: [number, number, number, number];
  /** Overall confidence in [0, 1]. */
  score: number;
  /** The face detector's confidence in the box: about half for a face upside down. */
  boxScore: number;
  /** The mesh's confidence. */
  faceScore: number;
  /** 468 FaceMesh points (478 with iris) as x0, y0, x1, y1, … */
  mesh: Float32Array;
}

export type DetectReply =
  | { id: number; ok: true; faces: DetectedFace[]; milliseconds: number }
  | { id: number; ok: false; error: string };

export type WorkerReady = WorkerReadyMessage<{ backend: string }>;
