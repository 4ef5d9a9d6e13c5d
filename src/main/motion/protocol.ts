import type { Clip, DatasetIndex } from '../../shared/domain';

/** Messages between the motion handlers and the motion worker. */
export interface CurveJob {
  dataset: DatasetIndex;
  clip: Clip;
  reference: number;
  maxSide: number;
}

export type WorkerMessage =
  | { type: 'progress'; done: number; total: number }
  | { type: 'done'; values: number[]; failedFrames: number[]; failures: string[] }
  | { type: 'failed'; message: string };
