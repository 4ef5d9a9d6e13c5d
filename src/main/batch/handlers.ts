import { randomUUID } from 'node:crypto';
import type { ParsedArgsOf } from '../../shared/contract';
import type {
  BatchResults,
  BatchStart,
  BatchRow,
  BatchStatus,
  batchRequests,
} from '../../shared/contract/batch';
import type { HandlersFor } from '../app/handler';
import { NotFoundError, type AppContext } from '../app/context';
import { annotationStore } from '../annotations/handlers';
import { importedExpressions, refreshImportedAnnotations } from '../annotations/imported';
import { modelSession } from '../model/handlers';
import { predictionsOf } from '../model/predictions';
import { modelFileSha256, ResultCache } from './cache';
import { ClipEngine } from './engine';
import { ownAnnotations, planBatch } from './plan';
import { metricsOfRows, modelInfoOf } from './results';
import { inputKeys, runBatch } from './runner';

interface Job {
  /** The dataset the batch ran on: its results are shown and exported only there. */
  datasetRoot: string;
  status: BatchStatus;
  controller: AbortController;
  results: Omit<BatchResults, 'metrics' | 'state' | 'complete'>;
  finished: Promise<void>;
}

interface BatchState {
  jobs: Map<string, Job>;
  /** The latest job per dataset root: a view asking without a job id sees its own dataset's. */
  latest: Map<string, string>;
  engine: ClipEngine | null;
  /** A start is between its checks and its job's registration. */
  starting: boolean;
}

const states = new WeakMap<AppContext, BatchState>();

function stateOf(ctx: AppContext): BatchState {
  let state = states.get(ctx);
  if (!state) {
    const created: BatchState = {
      jobs: new Map(),
      latest: new Map(),
      engine: null,
      starting: false,
    };
    states.set(ctx, created);
    ctx.onClose(async () => {
      for (const job of created.jobs.values()) job.controller.abort();
      await Promise.all([...created.jobs.values()].map((job) => job.finished));
      await created.engine?.close();
      created.engine = null;
    });
    state = created;
  }
  return state;
}

/** A job of the open dataset (by id, else its latest); `anyDataset` for cancelling. */
function jobOf(ctx: AppContext, jobId: string | undefined, anyDataset = false): Job | null {
  const state = stateOf(ctx);
  const id = jobId ?? (ctx.dataset ? state.latest.get(ctx.dataset.root) : undefined);
  if (id === undefined) return null;
  const job = state.jobs.get(id);
  if (!job) throw new NotFoundError(`no batch job ${JSON.stringify(id)}`);
  if (!anyDataset && job.datasetRoot !== ctx.dataset?.root) {
    throw new NotFoundError(`batch ${id} ran on ${job.datasetRoot}, which is not the open dataset`);
  }
  return job;
}

export const batchHandlers: HandlersFor<typeof batchRequests> = {
  'batch.start': async (args, ctx) => {
    const state = stateOf(ctx);
    const running = [...state.jobs.values()].find((job) => job.status.state === 'running');
    if (running) {
      throw new Error(
        `a batch is already running on ${running.datasetRoot} (${running.status.jobId}): ` +
          'cancel it or wait',
      );
    }
    if (state.starting) throw new Error('a batch is already starting: wait for it');
    state.starting = true;
    try {
      return await startJob(args, ctx, state);
    } finally {
      state.starting = false;
    }
  },
  'batch.cancel': async ({ jobId }, ctx) => {
    const job = jobOf(ctx, jobId, true);
    if (!job || job.status.state !== 'running') return { cancelled: false };
    job.controller.abort();
    await job.finished;
    return { cancelled: true };
  },
  'batch.status': async ({ jobId }, ctx) => {
    const job = jobOf(ctx, jobId);
    return job ? { ...job.status } : null;
  },
  'batch.results': async ({ jobId }, ctx) => batchResultsOf(ctx, jobId),
};

async function startJob(
  args: ParsedArgsOf<'batch.start'>,
  ctx: AppContext,
  state: BatchState,
): Promise<BatchStart> {
  const dataset = ctx.requireDataset();
  await refreshImportedAnnotations(dataset, ctx.dataFolder); // another process may have saved one
  const session = await modelSession(ctx);
  const sha256 = await modelFileSha256(session.path);
  const mine = await ownAnnotations(annotationStore(ctx, args.coder));
  const plan = planBatch(dataset, {
    ...args,
    ...mine,
    expressionsOf: (clipId) => importedExpressions(dataset, clipId),
  });
  if (plan.items.length === 0) {
    const why = plan.skipped.slice(0, 3).map((skip) => `${skip.clipId}: ${skip.reason}`);
    throw new Error(`no clip can be classified: ${why.join('; ') || 'the selection is empty'}`);
  }
  const cache = await ResultCache.open(dataset, ctx.dataFolder, session.card.id, sha256);
  const keys = await inputKeys(dataset, plan.items, sha256);
  const cached = args.recompute ? 0 : keys.filter((key) => cache.get(key)).length;
  state.engine ??= new ClipEngine(session);
  const engine = state.engine;
  const jobId = randomUUID().slice(0, 8);
  const controller = new AbortController();
  const status: BatchStatus = {
    jobId,
    state: 'running',
    done: 0,
    total: plan.items.length,
    failed: 0,
    cached: 0,
    rate: 0,
    etaSeconds: null,
    startedAt: new Date().toISOString(),
    finishedAt: null,
    message: null,
  };
  const rows: BatchRow[] = [];
  const job: Job = {
    datasetRoot: dataset.root,
    status,
    controller,
    results: {
      jobId,
      source: args.source,
      model: modelInfoOf(session, sha256),
      rows,
      skipped: plan.skipped,
    },
    finished: Promise.resolve(),
  };
  const predictions = predictionsOf(ctx, dataset);
  job.finished = runBatch({
    dataset,
    items: plan.items,
    engine,
    cache,
    recompute: args.recompute,
    keys,
    signal: controller.signal,
    onRow: (row) => {
      rows.push(row);
      if (row.predicted && row.probabilities) {
        predictions.set(row.clipId, {
          clipId: row.clipId,
          probabilities: row.probabilities,
          predicted: row.predicted,
          provider: row.provider,
          modelId: session.card.id,
        });
      }
      if (row.status === 'failed' && !row.fromCache) {
        ctx.emit('job.error', {
          jobId,
          kind: 'batch',
          item: row.clipId,
          message: `${row.clipId}: ${row.reasons.join('; ')}`,
        });
      }
    },
    onProgress: (progress) => {
      Object.assign(status, {
        done: progress.done,
        total: progress.total,
        failed: progress.failed,
        cached: progress.cached,
        rate: progress.rate,
        etaSeconds: progress.etaSeconds,
      });
      ctx.emit('job.progress', {
        jobId,
        kind: 'batch',
        done: progress.done,
        total: progress.total,
        rate: progress.rate,
        etaSeconds: progress.etaSeconds,
        message: progress.failed > 0 ? `${progress.failed} failed` : undefined,
      });
    },
  }).then(
    (outcome) => {
      rows.splice(0, rows.length, ...outcome.rows);
      finish(ctx, job, outcome.state, outcome.message, outcome.failed);
    },
    (error: Error) => finish(ctx, job, 'failed', error.message, status.failed),
  );
  // The landmark workers (≈100 MB each) live for one batch; a failed one leaves nothing broken.
  void job.finished.then(async () => {
    if (state.engine !== engine || state.starting) return;
    state.engine = null;
    await engine.close().catch(() => undefined);
  });
  state.jobs.set(jobId, job);
  state.latest.set(dataset.root, jobId);
  return { jobId, total: plan.items.length, cached, skipped: plan.skipped };
}

/** A job's results so far (without jobId: the open dataset's latest); null when none ran. */
export async function batchResultsOf(
  ctx: AppContext,
  jobId?: string,
): Promise<BatchResults | null> {
  const job = jobOf(ctx, jobId);
  if (!job) return null;
  const rows = [...job.results.rows];
  return {
    ...job.results,
    rows,
    state: job.status.state,
    complete: job.status.state === 'done',
    metrics: metricsOfRows(rows),
  };
}

function finish(
  ctx: AppContext,
  job: Job,
  state: BatchStatus['state'],
  message: string | null,
  failed: number,
): void {
  Object.assign(job.status, { state, message, failed, finishedAt: new Date().toISOString() });
  ctx.emit('job.done', {
    jobId: job.status.jobId,
    kind: 'batch',
    cancelled: state === 'cancelled',
    failed,
    message: message ?? (state === 'done' ? undefined : `batch ${state}`),
  });
}
