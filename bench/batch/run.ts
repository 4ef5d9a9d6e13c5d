/**
 * Batch classification benchmark (issue 8): end to end on a generated 200-clip 640×480 demo
 * dataset — decode onset + apex, FaceMesh landmarks, alignment, TV-L1 flow, maps, AHMSA-Net —
 * with the real runner and result cache.
 *
 *   npx tsx bench/batch/run.ts [--clips-per-subject 10] [--subjects 20] [--workers 1,2,3] [--sweep 40]
 *
 * Prints: clips/s of a clean full run (target ≥ 8 on 2 cores), peak RSS (target ≤ 1 GiB), the
 * per-stage mean times, a resume after a cancel half-way (computed + cached must equal the total,
 * no clip computed twice), and references measured in the same run: decode alone and the flow
 * stage alone on the same clips. The dataset is generated once under the temp folder and reused.
 * The machine may be shared: the load average is printed. Asserts nothing.
 */
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generateDemoDataset } from '../../src/main/dataset/demo/generate';
import { openDataset } from '../../src/main/dataset/index';
import { decodeFrame } from '../../src/main/media/frames';
import { frameCache } from '../../src/main/media/frame-cache';
import { computeFlow, computeStrain } from '../../src/main/flow';
import { buildModelInput } from '../../src/main/face/model-input';
import { ModelSession } from '../../src/main/model/session';
import { modelFileSha256, ResultCache } from '../../src/main/batch/cache';
import { ClipEngine } from '../../src/main/batch/engine';
import { planBatch, type PlannedClip } from '../../src/main/batch/plan';
import { runBatch, type BatchRunOutcome } from '../../src/main/batch/runner';
import { metricsOfRows } from '../../src/main/batch/results';
import type { DatasetIndex } from '../../src/shared/domain';

const { values } = parseArgs({
  options: {
    subjects: { type: 'string', default: '20' },
    'clips-per-subject': { type: 'string', default: '10' },
    workers: { type: 'string', default: '1,2,3' },
    sweep: { type: 'string', default: '40' },
  },
});
const subjects = Number(values.subjects);
const perSubject = Number(values['clips-per-subject']);
const total = subjects * perSubject;
const dir = path.join(os.tmpdir(), `mer-bench-batch-${subjects}x${perSubject}-640x480`);
const dataFolder = path.join(os.tmpdir(), 'mer-bench-batch-appdata');

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const round = (value: number, digits = 2) => Number(value.toFixed(digits));

async function main() {
  console.log(
    `batch benchmark: ${total} clips 640×480, ${os.availableParallelism()} cores, load ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  if (!existsSync(path.join(dir, 'mer-demo.json'))) {
    const started = performance.now();
    await generateDemoDataset(
      dir,
      { subjects, clipsPerSubject: perSubject, width: 640, height: 480 },
      (done, all) => {
        if (done % 20 === 0) process.stderr.write(`\rgenerating ${done}/${all}`);
      },
    );
    console.log(`\ngenerated ${dir} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  const dataset = await openDataset(dir);
  const session = await ModelSession.open(undefined, 'cpu');
  const sha256 = await modelFileSha256(session.path);
  const plan = planBatch(dataset, { source: 'official', own: new Map(), useSuggestedApex: false });
  console.log(
    `dataset ${dir}: ${dataset.clips.length} clips, ${plan.items.length} planned; model ${session.card.id} on ${session.provider}`,
  );

  const decode = await decodeReference(dataset, plan.items);
  console.log(
    `reference, decode alone (onset + apex, 4 clips in flight): ${round(decode.clipsPerSecond, 1)} clips/s`,
  );

  const sweepCount = Math.min(Number(values.sweep), plan.items.length);
  const sweep: Array<{ workers: number; clipsPerSecond: number }> = [];
  for (const workers of values.workers.split(',').map(Number)) {
    const outcome = await runFresh(
      dataset,
      plan.items.slice(0, sweepCount),
      session,
      sha256,
      workers,
    );
    sweep.push({ workers, clipsPerSecond: outcome.computed / outcome.seconds });
    console.log(
      `sweep: ${workers} landmark worker(s), ${sweepCount} clips: ${round(outcome.computed / outcome.seconds, 1)} clips/s`,
    );
  }
  const best = sweep.reduce((a, b) => (b.clipsPerSecond > a.clipsPerSecond ? b : a));

  peakRss = process.memoryUsage().rss;
  const full = await runFresh(dataset, plan.items, session, sha256, best.workers);
  const fullRate = full.computed / full.seconds;
  const fullPeak = peakRss;
  const stages = meanTimings(full);
  const metrics = metricsOfRows(full.rows);
  console.log(
    `full run: ${full.computed} clips in ${round(full.seconds, 1)} s = ${round(fullRate, 2)} clips/s ` +
      `(${best.workers} landmark workers; target ≥ 8), ${full.failed} failed, peak RSS ${mib(fullPeak)} (target ≤ 1024 MiB)`,
  );
  console.log(
    `mean stage times per clip (ms, overlapping across clips): ${JSON.stringify(stages)}`,
  );
  if (metrics)
    console.log(
      `demo truth: UF1 ${metrics.overall.uf1?.toFixed(4)} UAR ${metrics.overall.uar?.toFixed(4)} over ${metrics.overall.count} clips`,
    );

  const flow = await flowReference(dataset, plan.items.slice(0, 20));
  console.log(
    `reference, flow stage alone (landmarks + align + TV-L1 + maps, sequential, 20 clips): ${round(flow.flowMs, 1)} ms TV-L1, ${round(flow.totalMs, 1)} ms whole face stage per clip`,
  );

  const resume = await cancelAndResume(dataset, plan.items, session, sha256, best.workers);
  console.log(
    `resume: cancelled after ${resume.firstComputed} clips; resumed run computed ${resume.secondComputed}, took ${resume.secondCached} from the cache; ` +
      `cache lines ${resume.lines} for ${resume.distinct} distinct clips (total ${plan.items.length}) → ` +
      `${resume.secondComputed + resume.secondCached === plan.items.length && resume.lines === resume.distinct ? 'no clip redone' : 'CLIPS REDONE'}`,
  );

  const summary = {
    clips: plan.items.length,
    loadAverage: os.loadavg().map((l) => round(l, 2)),
    clipsPerSecond: round(fullRate, 2),
    landmarkWorkers: best.workers,
    sweep: sweep.map((s) => ({ workers: s.workers, clipsPerSecond: round(s.clipsPerSecond, 2) })),
    peakRssMiB: round(fullPeak / 2 ** 20, 0),
    decodeOnlyClipsPerSecond: round(decode.clipsPerSecond, 1),
    ratioEndToEndToDecodeOnly: round(fullRate / decode.clipsPerSecond, 3),
    flowStageMsPerClip: round(flow.flowMs, 1),
    faceStageMsPerClip: round(flow.totalMs, 1),
    endToEndMsPerClip: round(1000 / fullRate, 1),
    ratioEndToEndToSequentialFaceStage: round(flow.totalMs / (1000 / fullRate), 2),
    stagesMs: stages,
    resume,
  };
  console.log(JSON.stringify(summary, null, 2));
  await session.close();
}

async function runFresh(
  dataset: DatasetIndex,
  items: PlannedClip[],
  session: ModelSession,
  sha256: string,
  workers: number,
  signal?: AbortSignal,
  keep = false,
): Promise<BatchRunOutcome> {
  if (!keep)
    await rm(path.join(dataset.root, '.mer-studio', 'results'), { recursive: true, force: true });
  frameCache.clear();
  const cache = await ResultCache.open(dataset, dataFolder, session.card.id, sha256);
  const engine = new ClipEngine(session, { detectors: workers });
  try {
    // Warm the landmark workers (model load) outside the timed run.
    const first = items[0];
    await engine.classify(dataset, first.clip, { ...first, apex: first.apex }, undefined);
    frameCache.clear();
    return await runBatch({
      dataset,
      items,
      engine,
      cache,
      signal,
      onProgress: (p) =>
        process.stderr.write(`\r  ${p.done}/${p.total} ${p.rate.toFixed(1)} clips/s   `),
    }).finally(() => process.stderr.write('\r\u001b[K'));
  } finally {
    await engine.close();
  }
}

async function cancelAndResume(
  dataset: DatasetIndex,
  items: PlannedClip[],
  session: ModelSession,
  sha256: string,
  workers: number,
) {
  const controller = new AbortController();
  const half = Math.floor(items.length / 2);
  const watcher = setInterval(async () => {
    const lines = await cacheLines(dataset, session).catch(() => []);
    if (lines.length >= half) controller.abort();
  }, 100);
  const first = await runFresh(dataset, items, session, sha256, workers, controller.signal);
  clearInterval(watcher);
  const second = await runFresh(dataset, items, session, sha256, workers, undefined, true);
  const lines = await cacheLines(dataset, session);
  const distinct = new Set(lines.map((line) => (JSON.parse(line) as { clipId: string }).clipId))
    .size;
  return {
    firstState: first.state,
    firstComputed: first.computed,
    secondComputed: second.computed,
    secondCached: second.cached,
    lines: lines.length,
    distinct,
  };
}

async function cacheLines(dataset: DatasetIndex, session: ModelSession): Promise<string[]> {
  const file = path.join(
    dataset.root,
    '.mer-studio',
    'results',
    `${session.card.id.replace(/[^\w.-]+/g, '_')}.jsonl`,
  );
  return (await readFile(file, 'utf8')).split('\n').filter((line) => line.trim());
}

async function decodeReference(dataset: DatasetIndex, items: PlannedClip[]) {
  frameCache.clear();
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++];
      await Promise.all([
        decodeFrame(dataset, item.clip, item.onset),
        decodeFrame(dataset, item.clip, item.apex!),
      ]);
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  const seconds = (performance.now() - started) / 1000;
  frameCache.clear();
  return { clipsPerSecond: items.length / seconds };
}

/** The face stage of one clip at a time (shared detector), and TV-L1 alone on its crops. */
async function flowReference(dataset: DatasetIndex, items: PlannedClip[]) {
  let flowMs = 0;
  let totalMs = 0;
  for (const item of items) {
    const [onset, apex] = await Promise.all([
      decodeFrame(dataset, item.clip, item.onset),
      decodeFrame(dataset, item.clip, item.apex!),
    ]);
    const started = performance.now();
    const input = await buildModelInput(onset, apex);
    totalMs += performance.now() - started;
    if (!input.crops) continue;
    const crop = (data: Float32Array) => ({ width: input.cropSize, height: input.cropSize, data });
    const flowStart = performance.now();
    computeStrain(
      await computeFlow(crop(input.crops.onset), crop(input.crops.apex), { preset: 'fast' }),
    );
    flowMs += performance.now() - flowStart;
  }
  return { flowMs: flowMs / items.length, totalMs: totalMs / items.length };
}

function meanTimings(outcome: BatchRunOutcome): Record<string, number> {
  const sums: Record<string, number> = {};
  let count = 0;
  for (const row of outcome.rows) {
    if (row.fromCache) continue;
    count++;
    for (const [stage, ms] of Object.entries(row.timings)) sums[stage] = (sums[stage] ?? 0) + ms;
  }
  return Object.fromEntries(
    Object.entries(sums).map(([stage, sum]) => [stage, round(sum / Math.max(count, 1), 1)]),
  );
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(async () => {
    clearInterval(sampler);
    const { closeSharedLandmarkDetector } = await import('../../src/main/face/landmarks');
    await closeSharedLandmarkDetector();
  });
