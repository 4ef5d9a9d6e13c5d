/** Messages between ModelSession (main thread) and model-worker (worker thread). */
import type { ExecutionProvider } from '../../shared/domain';

export interface ModelWorkerData {
  modelPath: string;
  wanted: ExecutionProvider;
}

/** What the graph declares, for the check against the model card. */
export interface GraphDescription {
  inputNames: readonly string[];
  outputNames: readonly string[];
  /** Shape of each tensor input/output by name (symbolic sizes as strings). */
  shapes: Record<string, Array<number | string>>;
}

/** The worker's ready message (after `ready: true`). */
export interface ModelWorkerInfo {
  provider: ExecutionProvider;
  /** Why the wanted provider was not used, if it was not. */
  providerNote?: string;
  graph: GraphDescription;
}

export interface ClassifyRequest {
  id: number;
  inputName: string;
  outputName: string;
  count: number;
  /** count × 3 × 28 × 28 float32 values (the buffer is transferred). */
  maps: ArrayBuffer;
}

export type ClassifyReply =
  { id: number; ok: true; values: ArrayBuffer } | { id: number; ok: false; error: string };
