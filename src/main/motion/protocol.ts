import type { Clip, DatasetIndex } from '../../shared/domain';

/** Messages between the motion handlers and the motion worker. */
export interface CurveJob {
  dataset: DatasetIndex;
  clip: Clip;
  reference: number;
  maxSide: number;
}

/** The handlers' request to stop: the worker ends its ffmpeg processes and answers 'cancelled'. */
export interface CancelMessage {
  type: 'cancel';
}

export type WorkerMessage =
  | { type: 'progress'; done: number; total: number }
  | { type: 'cancelled' }
  | { type: 'done'; values: number[]; failedFrames: number[]; failures: string[] }
  | { type: 'failed'; message: string };
