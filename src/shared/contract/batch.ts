import { z } from 'zod';
import { request } from './define';
import { clipId, windowCoder } from './schemas';
import type { ExecutionProvider, ThreeClass } from '../domain';
import type { MetricsReport } from '../metrics';

/**
 * Batch classification of a whole dataset (or a selection). `batch.start` answers at once with
 * the job id; progress arrives as job.progress events (kind 'batch'), each bad clip as a
 * job.error, the end as job.done. Results are cached per clip on disk, so a batch started again
 * after a crash or a cancel re-does no finished clip.
 */
export type AnnotationSource = 'own' | 'official';

export type BatchState = 'running' | 'done' | 'cancelled' | 'failed';

export interface BatchSkip {
  clipId: string;
  reason: string;
}

export interface BatchStart {
  jobId: string;
  /** Clips that will be classified (cached ones included). */
  total: number;
  /** Of those, already finished in an earlier run with the same inputs and model. */
  cached: number;
  /** Clips left out before any work: no onset/apex, frames outside the clip … */
  skipped: BatchSkip[];
}

export interface BatchStatus {
  jobId: string;
  state: BatchState;
  done: number;
  total: number;
  /** Clips that failed (decode, no face …): reported and skipped. */
  failed: number;
  cached: number;
  /** Clips per second over the clips computed in this run (cached ones excluded). */
  rate: number;
  etaSeconds: number | null;
  startedAt: string;
  finishedAt: string | null;
  message: string | null;
}

export interface BatchModelInfo {
  id: string;
  path: string;
  sha256: string;
  provider: ExecutionProvider;
  providerNote?: string;
  architecture: string;
  inputLayout: string | null;
  loso: { uf1: number; uar: number } | null;
}

export interface BatchRow {
  clipId: string;
  subject: string;
  clip: string;
  /** Which of the clip's expressions (1-based; the coder's, else the official ones) when it has several; else null. */
  expression: number | null;
  /** Source dataset (CASME II, SAMM … in a composite; the dataset's name otherwise). */
  source: string;
  fps: number;
  onset: number;
  apex: number;
  offset: number | null;
  apexSource: 'annotated' | 'suggested';
  /** Whose annotation gave onset/apex and the truth. */
  annotation: 'own' | 'official' | 'none';
  truth: ThreeClass | null;
  status: 'ok' | 'warning' | 'failed';
  reasons: string[];
  predicted: ThreeClass | null;
  probabilities: Record<ThreeClass, number> | null;
  fromCache: boolean;
  /** The execution provider that computed this row (an earlier run's, when cached). */
  provider: ExecutionProvider;
  /** Milliseconds per stage (decode, landmarks, align, flow, maps, inference). */
  timings: Record<string, number>;
}

export interface BatchResults {
  jobId: string;
  state: BatchState;
  /** True only when every clip of the batch was classified or reported as failed. */
  complete: boolean;
  source: AnnotationSource;
  model: BatchModelInfo;
  rows: BatchRow[];
  skipped: BatchSkip[];
  /** Over the rows with a truth and a prediction; null when there is none. */
  metrics: MetricsReport | null;
}

export const batchRequests = {
  'batch.start': request(
    z.object({
      clipIds: z.array(clipId).max(100_000).optional(),
      /** Clips without an apex: use the frame of strongest motion after onset. */
      useSuggestedApex: z.boolean().default(false),
      source: z.enum(['own', 'official']).default('own'),
      /** Ignore the result cache and compute every clip again. */
      recompute: z.boolean().default(false),
      /** Whose annotations 'own' means. */
      coder: windowCoder,
    }),
  ).returns<BatchStart>(),
  'batch.cancel': request(z.object({ jobId: z.string().min(1).max(64) })).returns<{
    cancelled: boolean;
  }>(),
  /** The job's status; without jobId the latest job's (null when none ran). */
  'batch.status': request(
    z.object({ jobId: z.string().min(1).max(64).optional() }),
  ).returns<BatchStatus | null>(),
  'batch.results': request(
    z.object({ jobId: z.string().min(1).max(64).optional() }),
  ).returns<BatchResults | null>(),
};
