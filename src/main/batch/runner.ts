import { setMaxListeners } from 'node:events';
import type { BatchRow, BatchState } from '../../shared/contract/batch';
import type { DatasetIndex } from '../../shared/domain';
import { argmaxClass } from '../model/session';
import type { CachedResult, ResultCache } from './cache';
import { inputKey } from './cache';
import type { ClipEngine, ClipOutcome } from './engine';
import type { PlannedClip } from './plan';

export interface BatchProgress {
  done: number;
  total: number;
  failed: number;
  cached: number;
  /** Clips computed in this run (cached ones excluded). */
  computed: number;
  /** Computed clips per second. */
  rate: number;
  etaSeconds: number | null;
}

export interface BatchRunOptions {
  dataset: DatasetIndex;
  items: PlannedClip[];
  engine: ClipEngine;
  cache: ResultCache;
  /** Ignore cached results (they are replaced). */
  recompute?: boolean;
  /** The items' input keys when already computed (see inputKeys). */
  keys?: string[];
  /** Clips in flight at once (default: two per landmark worker). */
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?(progress: BatchProgress): void;
  /** Each finished clip, cached or computed, as soon as it is known. */
  onRow?(row: BatchRow): void;
  /** Milliseconds between progress reports (the last one always comes). */
  progressInterval?: number;
}

export interface BatchRunOutcome {
  state: Exclude<BatchState, 'running'>;
  /** Finished clips in plan order; fewer than planned unless state is 'done'. */
  rows: BatchRow[];
  computed: number;
  cached: number;
  failed: number;
  message: string | null;
  seconds: number;
}

/** Consecutive machinery failures (landmark worker down) after which the batch stops. */
const MAX_TRANSIENT_FAILURES = 3;

/**
 * Runs a planned batch: cached clips are taken as they are, the others go through the engine a
 * few at a time; each result is appended to the cache as it finishes, so a crash or a cancel
 * loses at most the clips in flight. A bad clip is reported (status 'failed') and the batch
 * goes on; a failing model or landmark worker stops it with state 'failed'.
 */
export async function runBatch(options: BatchRunOptions): Promise<BatchRunOutcome> {
  const { dataset, items, engine, cache, signal } = options;
  const started = performance.now();
  const rows = new Array<BatchRow | undefined>(items.length);
  const pending: Array<{ index: number; key: string }> = [];
  let cached = 0;
  let failed = 0;
  let computed = 0;
  let firstComputeStart: number | null = null;
  const keys = options.keys ?? (await inputKeys(dataset, items, cache.modelSha256));
  items.forEach((item, index) => {
    const hit = options.recompute ? undefined : cache.get(keys[index]);
    if (hit) {
      rows[index] = rowOf(item, hit, true);
      cached++;
      if (hit.status === 'failed') failed++;
      options.onRow?.(rows[index]);
    } else pending.push({ index, key: keys[index] });
  });

  let lastReport = 0;
  const report = (force = false) => {
    const now = performance.now();
    if (!force && now - lastReport < (options.progressInterval ?? 200)) return;
    lastReport = now;
    const done = cached + computed;
    const elapsed = firstComputeStart === null ? 0 : (now - firstComputeStart) / 1000;
    const rate = elapsed > 0 ? computed / elapsed : 0;
    options.onProgress?.({
      done,
      total: items.length,
      failed,
      cached,
      computed,
      rate,
      etaSeconds: rate > 0 ? (items.length - done) / rate : null,
    });
  };
  report(true);

  let next = 0;
  let transientRun = 0;
  let fatal: Error | null = null;
  const stop = new AbortController();
  // Every clip in flight (decode, flow, landmarks) listens for cancel on this one signal.
  setMaxListeners(0, stop.signal);
  const onAbort = () => stop.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  const worker = async () => {
    while (!stop.signal.aborted && next < pending.length) {
      const { index, key } = pending[next++];
      const item = items[index];
      firstComputeStart ??= performance.now();
      let outcome: ClipOutcome;
      try {
        outcome = await engine.classify(dataset, item.clip, item, stop.signal);
        // A clip cut short by a cancel or by another clip's fatal error is not a result.
        if (stop.signal.aborted) return;
      } catch (error) {
        if (stop.signal.aborted) return;
        fatal ??= new Error(`${item.clip.id}: ${(error as Error).message}`);
        stop.abort();
        return;
      }
      if (outcome.transient) {
        if (++transientRun >= MAX_TRANSIENT_FAILURES) {
          fatal ??= new Error(`stopped: ${outcome.reasons.join('; ')}`);
          stop.abort();
          return;
        }
        pending.push({ index, key });
        continue;
      }
      transientRun = 0;
      const result = resultOf(key, item, outcome, engine.session.provider);
      rows[index] = rowOf(item, { ...result, modelSha256: cache.modelSha256 }, false);
      computed++;
      if (outcome.status === 'failed') failed++;
      options.onRow?.(rows[index]);
      report();
      // The row is shown either way; a cache that cannot be written stops the run, clearly.
      const problem = await cache.put(result).then(
        () => null,
        (error: NodeJS.ErrnoException) => error,
      );
      if (problem) {
        fatal ??= new Error(cacheProblem(cache.file, problem));
        stop.abort();
        return;
      }
    }
  };
  const concurrency = Math.max(1, options.concurrency ?? engine.detectorCount * 2);
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  report(true);
  const finished = rows.filter((row): row is BatchRow => row !== undefined);
  const state = fatal ? 'failed' : finished.length === items.length ? 'done' : 'cancelled';
  return {
    state,
    rows: finished,
    computed,
    cached,
    failed,
    message: fatal ? (fatal as Error).message : null,
    seconds: (performance.now() - started) / 1000,
  };
}

function cacheProblem(file: string, error: NodeJS.ErrnoException): string {
  const why = error.code === 'ENOSPC' ? 'the disk is full' : error.message;
  return (
    `stopped: the results cannot be saved in ${file} (${why}); ` +
    'the clips saved so far are kept and a new run starts after them'
  );
}

/** The cache key of each planned clip (see inputKey). */
export function inputKeys(
  dataset: DatasetIndex,
  items: PlannedClip[],
  modelSha256: string,
): Promise<string[]> {
  return Promise.all(
    items.map((item) =>
      inputKey(dataset, item.clip, item.onset, item.apex, item.offset, modelSha256),
    ),
  );
}

function resultOf(
  key: string,
  item: PlannedClip,
  outcome: ClipOutcome,
  provider: string,
): Omit<CachedResult, 'modelSha256'> {
  return {
    key,
    clipId: item.clip.id,
    onset: outcome.onset,
    apex: outcome.apex,
    apexSource: outcome.apexSource,
    status: outcome.status,
    reasons: outcome.reasons,
    probabilities: outcome.probabilities,
    provider,
    timings: roundTimings(outcome.timings),
    finishedAt: new Date().toISOString(),
  };
}

function rowOf(item: PlannedClip, result: CachedResult, fromCache: boolean): BatchRow {
  const probabilities = result.status === 'failed' ? null : result.probabilities;
  // What the clip itself warns of (frames missing, variable frame rate …) goes with its result.
  const clipWarnings = item.clip.problems
    .filter((problem) => problem.severity === 'warning')
    .map((problem) => `clip: ${problem.message}`);
  const status = result.status === 'ok' && clipWarnings.length > 0 ? 'warning' : result.status;
  return {
    clipId: item.clip.id,
    subject: item.clip.subject,
    clip: item.clip.name,
    expression: item.expression,
    source: item.source,
    fps: item.clip.fps,
    onset: result.onset,
    apex: result.apex,
    offset: item.offset,
    apexSource: result.apexSource,
    annotation: item.annotation,
    truth: item.truth,
    status,
    reasons: [...result.reasons, ...clipWarnings],
    predicted: probabilities ? argmaxClass(probabilities) : null,
    probabilities,
    fromCache,
    provider: result.provider === 'cuda' ? 'cuda' : 'cpu',
    timings: result.timings,
  };
}

function roundTimings(timings: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(timings).map(([stage, ms]) => [stage, Math.round(ms * 10) / 10]),
  );
}
