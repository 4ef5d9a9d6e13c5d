import { mkdir, mkdtemp, readFile, rm, stat, truncate } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchResults, BatchStart, BatchStatus } from '../../src/shared/contract/batch';
import type { JobDone, JobProgress } from '../../src/shared/contract/events';
import { AppContext } from '../../src/main/app/context';
import { dispatch } from '../../src/main/app/handlers';
import { generateDemoDataset, type DemoManifest } from '../../src/main/dataset/demo/generate';
import { parseCsv } from '../../src/main/report/csv';
import { openDataset } from '../../src/main/dataset/index';
import { ModelSession } from '../../src/main/model/session';
import { ResultCache } from '../../src/main/batch/cache';
import { ClipEngine } from '../../src/main/batch/engine';
import { planBatch } from '../../src/main/batch/plan';
import { runBatch } from '../../src/main/batch/runner';

/**
 * The batch on a generated demo dataset (real decode, FaceMesh, TV-L1, onnxruntime): a run end
 * to end with a truncated JPEG in the middle, a second run served from the cache, a cancel and a
 * resume that re-does no finished clip.
 */
describe('batch classification on the demo dataset', () => {
  let dir: string;
  let dataFolder: string;
  let manifest: DemoManifest;
  let ctx: AppContext;
  const corruptId = 'sub02/EP02';
  /** A clip whose last frame file was deleted: its marks still hold, its result says so. */
  const gappedId = 'sub03/EP01';

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mer-batch-'));
    dataFolder = await mkdtemp(path.join(os.tmpdir(), 'mer-batch-data-'));
    manifest = await generateDemoDataset(dir, {
      subjects: 3,
      clipsPerSubject: 3,
      framesPerClip: 40,
    });
    const corrupt = manifest.clips.find((clip) => `${clip.subject}/${clip.clip}` === corruptId)!;
    const apexFile = path.join(
      dir,
      corrupt.subject,
      corrupt.clip,
      `img${corrupt.apex + manifest.firstFrameNumber}.jpg`,
    );
    await truncate(apexFile, Math.floor((await stat(apexFile)).size / 3));
    const gapped = manifest.clips.find((clip) => `${clip.subject}/${clip.clip}` === gappedId)!;
    const secondLast = 38 + manifest.firstFrameNumber;
    await rm(path.join(dir, gapped.subject, gapped.clip, `img${secondLast}.jpg`));
    ctx = new AppContext('cli', dataFolder);
    await call('dataset.open', { path: dir });
  });

  afterAll(async () => {
    await ctx?.close();
    await rm(dir, { recursive: true, force: true });
    await rm(dataFolder, { recursive: true, force: true });
  });

  async function call<T>(name: string, args: unknown): Promise<T> {
    const reply = await dispatch(ctx, name, args);
    if (!reply.ok) throw new Error(`${name}: ${reply.error.message}`);
    return reply.result as T;
  }

  /** The job's end, whether it came before or after this call (a fully cached run ends at once). */
  async function whenDone(jobId: string): Promise<BatchStatus> {
    for (;;) {
      const status = await call<BatchStatus>('batch.status', { jobId });
      if (status.state !== 'running') return status;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  function doneEvent(jobId: string): Promise<JobDone> {
    return new Promise((resolve) => {
      const listener = (done: JobDone) => {
        if (done.jobId !== jobId) return;
        ctx.events.off('job.done', listener);
        resolve(done);
      };
      ctx.events.on('job.done', listener);
    });
  }

  async function cacheLines(): Promise<string[]> {
    const text = await readFile(
      path.join(dir, '.mer-studio', 'results', await cacheName()),
      'utf8',
    );
    return text.split('\n').filter((line) => line.trim());
  }

  async function cacheName(): Promise<string> {
    const info = await call<{ id: string }>('model.info', {});
    return `${info.id.replace(/[^\w.-]+/g, '_')}.jsonl`;
  }

  it('classifies every clip, reports the corrupted one and goes on', async () => {
    const progress: JobProgress[] = [];
    const onProgress = (event: JobProgress) => progress.push(event);
    ctx.events.on('job.progress', onProgress);
    const started = await call<BatchStart>('batch.start', { source: 'official' });
    const done = await doneEvent(started.jobId);
    ctx.events.off('job.progress', onProgress);
    expect(started.total).toBe(9);
    expect(started.cached).toBe(0);
    expect(done.cancelled).toBe(false);
    expect(done.failed).toBe(1);
    const results = await call<BatchResults>('batch.results', { jobId: started.jobId });
    expect(results.state).toBe('done');
    expect(results.complete).toBe(true);
    expect(results.rows).toHaveLength(9);
    const bad = results.rows.find((row) => row.clipId === corruptId)!;
    expect(bad.status).toBe('failed');
    expect(bad.reasons.join(' ')).toMatch(/cannot decode/);
    expect(bad.predicted).toBeNull();
    const good = results.rows.filter((row) => row.clipId !== corruptId);
    expect(good.every((row) => row.predicted !== null && row.status !== 'failed')).toBe(true);
    const gapped = results.rows.find((row) => row.clipId === gappedId)!;
    expect(gapped.status).toBe('warning');
    expect(gapped.reasons.join(' ')).toMatch(/clip: 1 frame number\(s\) missing between/);
    for (const row of good) {
      const truth = manifest.clips.find((clip) => `${clip.subject}/${clip.clip}` === row.clipId)!;
      expect(row.truth).toBe(truth.threeClass);
      expect(row.onset).toBe(truth.onset);
      expect(row.apex).toBe(truth.apex);
      const sum = Object.values(row.probabilities!).reduce((a, b) => a + b, 0);
      expect(sum).toBeCloseTo(1, 4);
    }
    expect(results.metrics!.overall.count).toBe(8);
    expect(results.metrics!.bySubject.map((group) => group.group)).toEqual([
      'sub01',
      'sub02',
      'sub03',
    ]);
    const last = progress.at(-1)!;
    expect(last.done).toBe(9);
    expect(last.total).toBe(9);
    expect(await cacheLines()).toHaveLength(9);
  });

  it('serves a second run from the cache without computing any clip', async () => {
    const started = await call<BatchStart>('batch.start', { source: 'official' });
    expect(started.cached).toBe(9);
    await whenDone(started.jobId);
    const results = await call<BatchResults>('batch.results', {});
    expect(results.rows.every((row) => row.fromCache)).toBe(true);
    expect(results.complete).toBe(true);
    expect(await cacheLines()).toHaveLength(9);
  });

  it('cancels, presents the partial run as incomplete, and resumes without redoing finished clips', async () => {
    const started = await call<BatchStart>('batch.start', { source: 'official', recompute: true });
    await new Promise<void>((resolve) => {
      const listener = (event: JobProgress) => {
        if (event.jobId === started.jobId && event.done >= 2) {
          ctx.events.off('job.progress', listener);
          resolve();
        }
      };
      ctx.events.on('job.progress', listener);
    });
    const cancelled = await call<{ cancelled: boolean }>('batch.cancel', { jobId: started.jobId });
    expect(cancelled.cancelled).toBe(true);
    const status = await call<BatchStatus>('batch.status', { jobId: started.jobId });
    expect(status.state).toBe('cancelled');
    const partial = await call<BatchResults>('batch.results', { jobId: started.jobId });
    expect(partial.complete).toBe(false);
    const refused = await call('report.export', { kind: 'metrics', jobId: started.jobId }).catch(
      (error: Error) => error,
    );
    expect(String(refused)).toMatch(/was cancelled .*a partial run would not be the dataset's/);
    const partialClips = await call<{ path: string; rows: number }>('report.export', {
      kind: 'clips',
      jobId: started.jobId,
    });
    expect(path.basename(partialClips.path)).toMatch(/^partial-clips-/);
    expect(partialClips.rows).toBe(partial.rows.length);
    const finishedBefore = partial.rows.length;
    expect(finishedBefore).toBeGreaterThanOrEqual(2);
    expect(finishedBefore).toBeLessThan(9);
    const linesBefore = (await cacheLines()).length;
    expect(linesBefore).toBe(9 + finishedBefore);

    const resumed = await call<BatchStart>('batch.start', { source: 'official' });
    expect(resumed.cached).toBe(9);
    await whenDone(resumed.jobId);
    expect((await cacheLines()).length).toBe(linesBefore);
    const results = await call<BatchResults>('batch.results', { jobId: resumed.jobId });
    expect(results.complete).toBe(true);
    expect(results.rows).toHaveLength(9);
    const metrics = await call<{ path: string; content: string }>('report.export', {
      kind: 'metrics',
    });
    expect(path.basename(metrics.path)).toMatch(/^metrics-/);
    const overall = parseCsv(metrics.content).find((row) => row[0] === 'overall')!;
    expect(overall[3]).toBe('8');
    const png = await call<{ content: string }>('report.export', {
      kind: 'matrix',
      normalised: true,
    });
    expect(png.content).toMatch(/^data:image\/png;base64,/);
  });

  it('resumes after a cancel of a fresh cache: computes exactly the unfinished clips', async () => {
    await rm(path.join(dir, '.mer-studio', 'results'), { recursive: true, force: true });
    const first = await call<BatchStart>('batch.start', { source: 'official' });
    await new Promise<void>((resolve) => {
      const listener = (event: JobProgress) => {
        if (event.jobId === first.jobId && event.done >= 3) {
          ctx.events.off('job.progress', listener);
          resolve();
        }
      };
      ctx.events.on('job.progress', listener);
    });
    await call('batch.cancel', { jobId: first.jobId });
    const finished = (await cacheLines()).length;
    expect(finished).toBeGreaterThanOrEqual(3);
    const resumed = await call<BatchStart>('batch.start', { source: 'official' });
    expect(resumed.cached).toBe(finished);
    await whenDone(resumed.jobId);
    const lines = await cacheLines();
    expect(lines).toHaveLength(9);
    const clipIds = lines.map((line) => (JSON.parse(line) as { clipId: string }).clipId);
    expect(new Set(clipIds).size).toBe(9);
  });

  it('uses the suggested apex for a clip the coder marked with an onset only, when allowed', async () => {
    const target = manifest.clips.find((c) => `${c.subject}/${c.clip}` === 'sub01/EP01')!;
    await call('annotations.save', {
      clipId: 'sub01/EP01',
      fields: {
        onset: target.onset,
        apex: null,
        offset: target.offset,
        emotion: null,
        threeClass: target.threeClass,
        aus: [],
        ausRaw: '',
        flags: { blink: false, occlusion: false, badFrames: false },
        notes: '',
      },
    });
    const refused = await call<BatchStart>('batch.start', {
      source: 'own',
      clipIds: ['sub01/EP01'],
    }).catch((error: Error) => error);
    expect(String(refused)).toMatch(/sub01\/EP01: no apex \(in your annotation\)/);
    const started = await call<BatchStart>('batch.start', {
      source: 'own',
      clipIds: ['sub01/EP01', 'sub01/EP02'],
      useSuggestedApex: true,
    });
    await whenDone(started.jobId);
    const results = await call<BatchResults>('batch.results', { jobId: started.jobId });
    const suggested = results.rows.find((row) => row.clipId === 'sub01/EP01')!;
    expect(suggested.annotation).toBe('own');
    expect(suggested.apexSource).toBe('suggested');
    expect(Math.abs(suggested.apex - target.apex)).toBeLessThanOrEqual(3);
    expect(suggested.predicted).not.toBeNull();
    const official = results.rows.find((row) => row.clipId === 'sub01/EP02')!;
    expect(official.annotation).toBe('official');
    expect(official.apexSource).toBe('annotated');
  });

  it('refuses a second batch while one is starting or running', async () => {
    const attempts = await Promise.allSettled([
      call<BatchStart>('batch.start', { source: 'official', recompute: true }),
      call<BatchStart>('batch.start', { source: 'official', recompute: true }),
    ]);
    const started = attempts.filter((a) => a.status === 'fulfilled');
    const refused = attempts.filter((a) => a.status === 'rejected');
    expect(started).toHaveLength(1);
    expect(String((refused[0] as PromiseRejectedResult).reason)).toMatch(
      /already (starting|running)/,
    );
    const { jobId } = (started[0] as PromiseFulfilledResult<BatchStart>).value;
    await call('batch.cancel', { jobId });
    await whenDone(jobId);
  });

  it("shows each dataset its own latest batch, not another dataset's", async () => {
    const latest = await call<BatchStatus>('batch.status', {});
    const other = await mkdtemp(path.join(os.tmpdir(), 'mer-batch-other-'));
    try {
      await generateDemoDataset(other, { subjects: 1, clipsPerSubject: 1, framesPerClip: 20 });
      await call('dataset.open', { path: other });
      expect(await call('batch.status', {})).toBeNull();
      expect(await call('batch.results', {})).toBeNull();
      // nor by its id: a view opened before the switch must not show or export it here
      const byId = [
        ['batch.status', { jobId: latest.jobId }],
        ['batch.results', { jobId: latest.jobId }],
        ['report.export', { kind: 'clips', jobId: latest.jobId }],
      ] as const;
      for (const [name, args] of byId) {
        await expect(call(name, args), name).rejects.toThrow(
          /ran on .*, which is not the open dataset/,
        );
      }
      // sub01/EP01 is also a clip of the first dataset, whose batch predicted it.
      const statuses = await call<Array<{ clipId: string; statuses: string[] }>>(
        'coding.clipStatus',
        {},
      );
      expect(statuses.map((status) => status.clipId)).toContain('sub01/EP01');
      expect(statuses.filter((status) => status.statuses.includes('predicted'))).toEqual([]);
      await call('dataset.open', { path: dir });
      expect((await call<BatchStatus>('batch.status', {})).jobId).toBe(latest.jobId);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it('exports the batch as a per-clip CSV that round-trips', async () => {
    const exported = await call<{ path: string; rows: number }>('report.exportCsv', {});
    const rows = parseCsv(await readFile(exported.path, 'utf8'));
    const header = rows[0];
    expect(rows).toHaveLength(10);
    const cell = (row: string[], name: string) => row[header.indexOf(name)];
    const withPrediction = rows.slice(1).filter((row) => cell(row, 'prediction') !== '');
    expect(withPrediction).toHaveLength(8);
  });

  it("classifies each of the coder's expressions of a clip and reports a row for each", async () => {
    const clipId = 'sub02/EP01';
    const target = manifest.clips.find((c) => `${c.subject}/${c.clip}` === clipId)!;
    const fields = (onset: number, apex: number, threeClass: string) => ({
      onset,
      apex,
      offset: null,
      emotion: null,
      threeClass,
      aus: [],
      ausRaw: '',
      flags: { blink: false, occlusion: false, badFrames: false },
      notes: '',
    });
    await call('annotations.save', {
      clipId,
      fields: fields(target.onset, target.apex, 'surprise'),
    });
    const refused = await call('annotations.save', {
      clipId,
      expression: 3,
      fields: fields(1, 2, 'negative'),
    }).catch((error: Error) => error);
    expect(String(refused)).toMatch(
      /expression 3 cannot be added: the clip has 1 \(add the next, 2\)/,
    );
    await call('annotations.save', {
      clipId,
      expression: 2,
      fields: fields(target.apex + 2, target.apex + 6, 'negative'),
    });
    const started = await call<BatchStart>('batch.start', { source: 'own', clipIds: [clipId] });
    await whenDone(started.jobId);
    const results = await call<BatchResults>('batch.results', { jobId: started.jobId });
    expect(results.rows.map((row) => [row.expression, row.onset, row.truth])).toEqual([
      [1, target.onset, 'surprise'],
      [2, target.apex + 2, 'negative'],
    ]);
    expect(results.rows.every((row) => row.annotation === 'own' && row.predicted)).toBe(true);
    const exported = await call<{ path: string }>('report.exportCsv', { clipIds: [clipId] });
    const [header, ...rows] = parseCsv(await readFile(exported.path, 'utf8'));
    const column = (name: string) => rows.map((row) => row[header.indexOf(name)]);
    expect(column('expression')).toEqual(['1', '2']);
    expect(column('onset')).toEqual([String(target.onset), String(target.apex + 2)]);
  });

  it('stops, naming the file, when the results cannot be saved, and keeps the rows computed', async () => {
    const dataset = await openDataset(dir);
    const session = await ModelSession.open(undefined, 'cpu');
    const cache = await ResultCache.open(dataset, dataFolder, 'unwritable-test', 'no-model');
    const engine = new ClipEngine(session, { detectors: 1 });
    const plan = planBatch(dataset, {
      source: 'official',
      own: new Map(),
      useSuggestedApex: false,
    });
    const items = plan.items.filter((item) => item.clip.id !== corruptId);
    // The cache file turns into a folder under the run: every later append fails (EISDIR).
    await rm(cache.file);
    await mkdir(cache.file);
    const outcome = await runBatch({
      dataset,
      items,
      engine,
      cache,
      recompute: true,
      concurrency: 1,
    });
    expect(outcome.state).toBe('failed');
    expect(outcome.message).toContain(`the results cannot be saved in ${cache.file}`);
    expect(outcome.rows).toHaveLength(1);
    expect(outcome.rows[0].predicted).not.toBeNull();
    await engine.close();
    await session.close();
  });

  it('stops the batch as failed, caching nothing, when the landmark workers are down', async () => {
    const dataset = await openDataset(dir);
    const session = await ModelSession.open(undefined, 'cpu');
    const cache = await ResultCache.open(dataset, dataFolder, 'machinery-test', 'no-model');
    const engine = new ClipEngine(session, { detectors: 1 });
    await engine.close();
    const plan = planBatch(dataset, {
      source: 'official',
      own: new Map(),
      useSuggestedApex: false,
    });
    const items = plan.items.filter((item) => item.clip.id !== corruptId);
    const outcome = await runBatch({ dataset, items, engine, cache, recompute: true });
    expect(outcome.state).toBe('failed');
    expect(outcome.message).toMatch(/face landmarks failed/);
    expect(outcome.computed).toBe(0);
    expect(cache.size).toBe(0);
    await session.close();
  });
});
