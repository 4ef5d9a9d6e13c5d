/** Events the backend pushes to every connected renderer. */
export interface JobProgress {
  jobId: string;
  kind: string;
  done: number;
  total: number;
  /** Items per second over the job so far. */
  rate: number;
  /** Seconds left, estimated; null until known. */
  etaSeconds: number | null;
  message?: string;
}

export interface JobDone {
  jobId: string;
  kind: string;
  cancelled: boolean;
  failed: number;
  message?: string;
}

export interface JobError {
  jobId: string;
  kind: string;
  message: string;
  /** The item (clip id, file) that failed, when the job goes on past it. */
  item?: string;
}

export interface EventMap {
  'job.progress': JobProgress;
  'job.done': JobDone;
  'job.error': JobError;
  /** The annotation set of a clip changed (another window, an import). */
  'annotations.changed': { clipId: string; coder: string };
}
