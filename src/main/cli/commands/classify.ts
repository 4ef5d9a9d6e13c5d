import path from 'node:path';
import type { BatchRow, BatchSkip } from '../../../shared/contract/batch';
import type { RejectedRow } from '../../../shared/contract/annotations';
import type { ReportKind } from '../../../shared/contract/report';
import { THREE_CLASSES, type ExecutionProvider, type Problem } from '../../../shared/domain';
import { metricsReport, type MetricsReport } from '../../../shared/metrics';
import { AppContext } from '../../app/context';
import { defaultDataFolder } from '../../app/paths';
import { annotationStore } from '../../annotations/handlers';
import { datasetStorageFolder } from '../../annotations/location';
import { listCoders } from '../../annotations/store';
import { attachImportedAnnotations, importedExpressions } from '../../annotations/imported';
import { importAnnotationFile } from '../../annotations/import/import';
import { modelFileSha256, ResultCache } from '../../batch/cache';
import { ClipEngine } from '../../batch/engine';
import {
  matchLabelsToMaps,
  readFlowMaps,
  readMapLabels,
  type MapLabel,
} from '../../batch/flow-maps';
import { ownAnnotations, planBatch } from '../../batch/plan';
import { metricsOfRows, modelInfoOf } from '../../batch/results';
import { inputKeys, runBatch, type BatchProgress } from '../../batch/runner';
import { openDataset } from '../../dataset/index';
import { closeSharedLandmarkDetector } from '../../face/landmarks';
import { readModelCard, trainedOn, type ModelCard } from '../../model/card';
import {
  argmaxClass,
  ModelOutputError,
  ModelSession,
  openPipelineModel,
  shippedModelPath,
} from '../../model/session';
import { buildReport } from '../../report/build';
import { toCsv, type CsvCell } from '../../report/csv';
import { megcRows } from '../../report/megc';
import { metricsSummaryHeader, metricsSummaryRows } from '../../report/metrics-csv';
import { confusionMatrixPng } from '../../report/matrix-image';
import { unwritableReason } from '../../report/output';
import { writeFileAtomic } from '../../app/atomic-write';
import type { CliCommand, CliIO } from '../command';
import { ExitCode, UserError } from '../command';
import { parseCommandArgs, positiveInteger, printJson } from '../options';

const usage =
  'mer-studio classify <dataset-dir> [--model m.onnx] [--provider cuda|cpu] [--annotations file] ' +
  '[--out report.csv] [--json]\n       mer-studio classify --flow-maps <dir> [--labels <csv>] [--model m.onnx] [--json]';

const options = {
  model: { type: 'string' },
  provider: { type: 'string' },
  annotations: { type: 'string' },
  coder: { type: 'string' },
  'suggested-apex': { type: 'boolean' },
  recompute: { type: 'boolean' },
  workers: { type: 'string' },
  out: { type: 'string' },
  'metrics-out': { type: 'string' },
  'megc-out': { type: 'string' },
  'matrix-png': { type: 'string' },
  normalised: { type: 'boolean' },
  bom: { type: 'boolean' },
  'flow-maps': { type: 'string' },
  labels: { type: 'string' },
} as const;

type Values = ReturnType<typeof parseCommandArgs<typeof options>>['values'];

export const classifyCommand: CliCommand = {
  name: 'classify',
  summary: 'classify a dataset (or precomputed 28×28 flow maps) with AHMSA-Net; UF1/UAR',
  help: `usage: ${usage}

Classifies every clip with onset and apex (the dataset's own annotations, imported spreadsheets,
--annotations, or a coder's own with --coder): decode onset + apex → face landmarks → alignment →
TV-L1 flow → 28×28 maps → AHMSA-Net. Results are cached per clip under <dataset>/.mer-studio/results
(or the app data folder), so an interrupted run resumes where it stopped. Bad clips are reported
and skipped. With ground truth, prints UF1/UAR overall and per source dataset.

  --model m.onnx          model (default: the shipped models/ahmsa-net.onnx; its .card.json beside it)
  --provider cuda|cpu     execution provider to ask for first (default cuda, falling back to cpu)
  --annotations FILE      annotation file (CSV/XLSX) for this dataset: its onset/apex/labels are used
  --coder NAME            use this coder's own annotations first (else the official ones)
  --suggested-apex        clips with an onset but no apex: use the frame of strongest motion
  --recompute             ignore cached results
  --workers N             face landmark workers (default: one per core)
  --out FILE              per-clip CSV report (with --flow-maps: per-map predictions, and
                          whether the model was trained on the map)
  --metrics-out FILE      metrics summary CSV (overall, per source dataset, per subject)
  --megc-out FILE         predictions as MEGC csv: db,subject,clip,label
  --matrix-png FILE       confusion matrix as PNG (--normalised for row shares)
  --bom                   write CSV with a UTF-8 byte-order mark (for spreadsheet programs)
  --flow-maps DIR         classify 28×28 maps instead: PNG RGB = u, v, strain (like 3db/flow), .npy or .f32
  --labels FILE           with --flow-maps: labels CSV dataset,sub,filename_o,label (maps <sub>_<filename_o>.png)
                          or MEGC2019's headerless db,subject,clip,label (combined_3class_gt.csv)
  --json                  print the results as JSON`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, options, usage);
    const provider = parseProvider(values.provider);
    await checkOutputs(values);
    if (values['flow-maps'] !== undefined) {
      if (positionals.length > 0) {
        throw new UserError(`--flow-maps takes no dataset folder\nusage: ${usage}`, ExitCode.usage);
      }
      return classifyFlowMaps(values, provider, io);
    }
    if (values.labels !== undefined)
      throw new UserError('--labels goes with --flow-maps', ExitCode.usage);
    if (positionals.length !== 1) throw new UserError(`usage: ${usage}`, ExitCode.usage);
    return classifyDataset(path.resolve(positionals[0]), values, provider, io);
  },
};

function parseProvider(text: string | undefined): ExecutionProvider {
  if (text === undefined || text === 'cuda' || text === 'cpu') return text ?? 'cuda';
  throw new UserError(
    `--provider must be cuda or cpu, got ${JSON.stringify(text)}`,
    ExitCode.usage,
  );
}

const OUTPUTS = ['out', 'metrics-out', 'megc-out', 'matrix-png'] as const;

const INPUTS = ['labels', 'annotations', 'model'] as const;

/** Every output path must be writable before any work starts, and none may be an input. */
async function checkOutputs(values: Values): Promise<void> {
  const problems: string[] = [];
  const inputs = INPUTS.filter((option) => values[option] !== undefined).map((option) => ({
    option,
    file: path.resolve(values[option] as string),
  }));
  const seen = new Map<string, string>();
  for (const option of OUTPUTS) {
    const file = values[option];
    if (file === undefined) continue;
    const resolved = path.resolve(file);
    const input = inputs.find((candidate) => candidate.file === resolved);
    if (input) {
      problems.push(`--${option} ${file} is the --${input.option} file: it would be overwritten`);
      continue;
    }
    if (seen.has(resolved)) {
      problems.push(`--${option} ${file} is also --${seen.get(resolved)}`);
      continue;
    }
    seen.set(resolved, option);
    const reason = await unwritableReason(file);
    if (reason) problems.push(`--${option} ${reason}`);
  }
  if (problems.length > 0)
    throw new UserError(`cannot write the report(s):\n  ${problems.join('\n  ')}`);
}

function modelPathOf(values: Values): string {
  return path.resolve(values.model ?? (process.env.MER_MODEL || shippedModelPath()));
}

/** `pipeline`: the maps come from the app's own flow pipeline (whole-face maps). */
async function openModel(
  values: Values,
  provider: ExecutionProvider,
  io: CliIO,
  pipeline: boolean,
): Promise<ModelSession> {
  const modelPath = modelPathOf(values);
  try {
    const session = pipeline
      ? await openPipelineModel(modelPath, provider)
      : await ModelSession.open(modelPath, provider);
    if (session.providerNote && provider === 'cuda')
      io.err(`note: running on CPU: ${session.providerNote}`);
    return session;
  } catch (error) {
    throw new UserError((error as Error).message);
  }
}

async function classifyDataset(
  dir: string,
  values: Values,
  provider: ExecutionProvider,
  io: CliIO,
): Promise<number> {
  const session = await openModel(values, provider, io, true);
  const coder = values.coder?.normalize('NFC').trim();
  const ctx = new AppContext('cli', defaultDataFolder(), coder || 'coder1');
  let engine: ClipEngine | null = null;
  try {
    const dataset = await openDataset(dir).catch((error: Error) => {
      throw new UserError(error.message);
    });
    ctx.setDataset(dataset);
    printDatasetProblems(dataset.problems, dir, io);
    await attachImportedAnnotations(dataset, ctx.dataFolder);
    const fromFile =
      values.annotations === undefined
        ? { annotations: {}, rejected: [] }
        : await useAnnotationFile(path.resolve(values.annotations), dataset);
    const expressionsOf = (clipId: string) =>
      fromFile.annotations[clipId] ?? importedExpressions(dataset, clipId);
    const mine = coder ? await coderAnnotations(ctx, coder, dir) : { own: new Map() };
    const own = mine.own;
    const plan = planBatch(dataset, {
      source: coder ? 'own' : 'official',
      ...mine,
      useSuggestedApex: values['suggested-apex'] ?? false,
      expressionsOf,
    });
    explainUnannotated(plan.skipped, fromFile.rejected, values.annotations ?? '');
    for (const skip of plan.skipped.slice(0, 10)) io.err(`skipped ${skip.clipId}: ${skip.reason}`);
    if (plan.skipped.length > 10) io.err(`… and ${plan.skipped.length - 10} more clips skipped`);
    if (plan.items.length === 0) {
      throw new UserError(
        `${dir}: no clip has onset and apex to classify (${plan.skipped.length} skipped): give --annotations, ` +
          '--coder, or --suggested-apex',
      );
    }
    const sha256 = await modelFileSha256(session.path);
    const cache = await ResultCache.open(dataset, ctx.dataFolder, session.card.id, sha256);
    const keys = await inputKeys(dataset, plan.items, sha256);
    engine = new ClipEngine(session, {
      detectors: values.workers ? positiveInteger(values.workers, '--workers', 1) : undefined,
    });
    const bar = progressBar(io);
    const outcome = await runBatch({
      dataset,
      items: plan.items,
      engine,
      cache,
      keys,
      recompute: values.recompute,
      signal: io.signal,
      onProgress: bar.update,
      onRow: (row) => {
        if (row.status === 'failed' && !row.fromCache)
          bar.note(`failed ${rowName(row)}: ${row.reasons.join('; ')}`);
      },
    });
    bar.end();
    const model = modelInfoOf(session, sha256);
    const metrics = metricsOfRows(outcome.rows);
    const complete = outcome.state === 'done';
    const written: Array<{ kind: ReportKind; path: string }> = [];
    if (complete) {
      const batch = {
        jobId: 'cli',
        state: outcome.state,
        complete,
        source: coder ? ('own' as const) : ('official' as const),
        model,
        rows: outcome.rows,
        skipped: plan.skipped,
        metrics,
      };
      const targets: Array<[ReportKind, string | undefined]> = [
        ['clips', values.out],
        ['metrics', values['metrics-out']],
        ['megc', values['megc-out']],
        ['matrix', values['matrix-png']],
      ];
      for (const [kind, file] of targets) {
        if (!file) continue;
        const built = await buildReport(kind, {
          dataset,
          own,
          predictions: new Map(),
          batch,
          bom: values.bom ?? false,
          normalised: values.normalised,
          expressionsOf,
        }).catch((error: Error) => {
          throw new UserError(error.message);
        });
        await writeFileAtomic(path.resolve(file), built.bytes);
        written.push({ kind, path: path.resolve(file) });
      }
    }
    const summary = {
      dataset: dataset.root,
      state: outcome.state,
      complete,
      message: outcome.message,
      model,
      counts: {
        planned: plan.items.length,
        finished: outcome.rows.length,
        computed: outcome.computed,
        cached: outcome.cached,
        failed: outcome.failed,
        skipped: plan.skipped.length,
      },
      seconds: round(outcome.seconds, 2),
      clipsPerSecond: outcome.seconds > 0 ? round(outcome.computed / outcome.seconds, 2) : null,
      resultsCache: cache.file,
      written,
      metrics,
      failures: outcome.rows
        .filter((row) => row.status === 'failed')
        .map((row) => ({ clipId: row.clipId, expression: row.expression, reasons: row.reasons })),
      skipped: plan.skipped,
      rows: values.json ? outcome.rows : undefined,
    };
    if (values.json) printJson(io, summary);
    else io.out(describeDatasetRun(summary, outcome.rows));
    if (outcome.state === 'failed') return ExitCode.failure;
    if (outcome.state === 'cancelled') {
      io.err(
        `cancelled after ${outcome.rows.length} of ${plan.items.length} clips: no report written; run again to resume`,
      );
      return ExitCode.failure;
    }
    if (outcome.rows.length > 0 && outcome.rows.every((row) => row.status === 'failed')) {
      io.err(`every clip failed: nothing was classified (the reasons are listed above)`);
      return ExitCode.badInput;
    }
    return ExitCode.ok;
  } finally {
    await engine?.close();
    await session.close();
    await ctx.close();
    await closeSharedLandmarkDetector();
  }
}

/** The dataset-wide problems (left-out folders, unreadable settings…); clip problems show as skips. */
function printDatasetProblems(problems: Problem[], dir: string, io: CliIO): void {
  const wide = problems.filter((problem) => problem.clipId === undefined);
  for (const problem of wide.slice(0, 10))
    io.err(`${problem.severity}: ${problem.path ? `${problem.path}: ` : ''}${problem.message}`);
  if (wide.length > 10)
    io.err(`… and ${wide.length - 10} more (mer-studio info ${dir} lists them all)`);
}

/** Uses an annotation file's onset/apex/labels as the dataset's official annotations. */
async function useAnnotationFile(file: string, dataset: Awaited<ReturnType<typeof openDataset>>) {
  let outcome;
  try {
    outcome = await importAnnotationFile(file, { dataset });
  } catch (error) {
    throw new UserError((error as Error).message);
  }
  const matched = Object.keys(outcome.annotations).length;
  if (matched === 0) {
    const examples = outcome.report.rejected
      .slice(0, 3)
      .map((row) => `row ${row.row} ${row.subject}/${row.clip}: ${row.reason}`);
    throw new UserError(
      `${file}: none of its ${outcome.report.rowsRead} rows matches a clip of ${dataset.root} — ` +
        `is it the annotation file of another dataset?${examples.length ? `\n  ${examples.join('\n  ')}` : ''}`,
    );
  }
  for (const [clipId, list] of Object.entries(outcome.annotations))
    dataset.official[clipId] = list[0];
  return { annotations: outcome.annotations, rejected: outcome.report.rejected };
}

/** A coder's own annotations; a coder with no file here is refused, naming the coders there are. */
async function coderAnnotations(ctx: AppContext, coder: string, dir: string) {
  const store = annotationStore(ctx);
  const mine = await ownAnnotations(store);
  if (mine.own.size > 0) return mine;
  const root = ctx.requireDataset().root;
  const folders = new Set([(await store.where()).folder, datasetStorageFolder(root)]);
  const coders = new Set<string>();
  for (const folder of folders) for (const name of await listCoders(folder)) coders.add(name);
  coders.delete(coder);
  const known =
    coders.size > 0
      ? `coders found here: ${[...coders].sort().join(', ')}`
      : 'no coder has annotated this dataset yet';
  throw new UserError(`--coder ${coder}: no annotations of this coder in ${dir} (${known})`);
}

/** A clip skipped for want of an annotation whose row the file had but rejected: say why. */
function explainUnannotated(skipped: BatchSkip[], rejected: RejectedRow[], file: string): void {
  const rowsOf = new Map<string, RejectedRow[]>();
  for (const row of rejected) {
    if (row.clipId) rowsOf.set(row.clipId, [...(rowsOf.get(row.clipId) ?? []), row]);
  }
  for (const skip of skipped) {
    const rows = rowsOf.get(skip.clipId);
    if (!rows || !skip.reason.includes('(no annotation)')) continue;
    const why = rows.map(
      (row) => `row ${row.row} of ${path.basename(file)} rejected: ${row.reason}`,
    );
    skip.reason = `${why.join('; ')} (so the clip has no annotation)`;
  }
}

function progressBar(io: CliIO) {
  let last = 0;
  let drawn = false;
  const width = 28;
  return {
    update(progress: BatchProgress) {
      const now = Date.now();
      // A log file (no terminal) gets a plain line every half minute instead of a redrawn bar.
      const interval = io.isTTY ? 100 : 30_000;
      if (now - last < interval && progress.done < progress.total) return;
      if (!io.isTTY && (progress.done === 0 || now - last < 1000)) return;
      last = now;
      const share = progress.total > 0 ? progress.done / progress.total : 1;
      const filled = Math.round(share * width);
      const eta = progress.etaSeconds === null ? '' : `  ETA ${formatSeconds(progress.etaSeconds)}`;
      const failed = progress.failed ? `  ${progress.failed} failed` : '';
      const cached = progress.cached ? `  ${progress.cached} cached` : '';
      const figures =
        `${progress.done}/${progress.total}  ` +
        `${progress.rate.toFixed(1)} clips/s${eta}${cached}${failed}`;
      if (!io.isTTY) return io.err(`progress ${figures}\n`);
      io.err(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${figures}\u001b[K`);
      drawn = true;
    },
    note(text: string) {
      io.err(`${drawn ? '\r\u001b[K' : ''}${text}\n`);
    },
    end() {
      if (drawn) io.err('\n');
    },
  };
}

/** A row's clip, and which of its expressions when it holds several. */
function rowName(row: BatchRow): string {
  return row.expression ? `${row.clipId} (expression ${row.expression})` : row.clipId;
}

function formatSeconds(seconds: number): string {
  if (seconds < 90) return `${Math.ceil(seconds)} s`;
  return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}

function describeDatasetRun(
  summary: {
    state: string;
    model: { id: string; provider: string };
    counts: Record<string, number>;
    seconds: number;
    clipsPerSecond: number | null;
    metrics: MetricsReport | null;
    written: Array<{ kind: string; path: string }>;
    resultsCache: string;
  },
  rows: BatchRow[],
): string {
  const c = summary.counts;
  const lines = [
    `${summary.state === 'done' ? 'classified' : summary.state + ':'} ${c.finished} of ${c.planned} clips ` +
      `(${c.computed} computed, ${c.cached} from cache, ${c.failed} failed, ${c.skipped} skipped) ` +
      `in ${summary.seconds} s${summary.clipsPerSecond ? ` (${summary.clipsPerSecond} clips/s)` : ''}`,
    `model ${summary.model.id} on ${summary.model.provider}`,
  ];
  const metricsLines = describeMetrics(summary.metrics, rows.filter((row) => row.predicted).length);
  // Figures of an unfinished run describe the clips done so far, not the dataset.
  const partial = summary.state === 'done' ? '' : `partial (${c.finished} of ${c.planned} clips): `;
  lines.push(...metricsLines.map((line, i) => (i === 0 ? partial + line : line)));
  for (const file of summary.written) lines.push(`wrote ${file.kind}: ${file.path}`);
  lines.push(`results cache: ${summary.resultsCache}`);
  return lines.join('\n');
}

function describeMetrics(metrics: MetricsReport | null, predicted: number): string[] {
  if (predicted === 0) return ['no clip was classified: no UF1/UAR'];
  if (!metrics) return [`no ground truth: ${predicted} predictions, no UF1/UAR`];
  const figure = (value: number | null) => (value === null ? '—' : value.toFixed(4));
  return [
    `UF1 ${figure(metrics.overall.uf1)}  UAR ${figure(metrics.overall.uar)}  (${metrics.overall.count} clips with truth)`,
    ...(metrics.bySource.length > 1
      ? metrics.bySource.map(
          (group) =>
            `  ${group.group.padEnd(10)} UF1 ${figure(group.uf1)}  UAR ${figure(group.uar)}  (${group.count})`,
        )
      : []),
    `confusion matrix (rows truth, columns predicted: ${THREE_CLASSES.join(', ')}): ${JSON.stringify(metrics.overall.matrix)}`,
  ];
}

const INFERENCE_BATCH = 256;

/** Figures on a model's own training maps are no estimate of its accuracy: say so, and give one. */
function trainingOverlapNote(
  card: ModelCard,
  inTraining: number,
  total: number,
  unseen: MetricsReport | null,
): string {
  const loso = card.loso
    ? `; its honest estimate is the card's LOSO figure, UF1 ${card.loso.uf1.toFixed(4)} / UAR ${card.loso.uar.toFixed(4)}`
    : '';
  const onUnseen = unseen
    ? `\non the ${unseen.overall.count} labelled map${unseen.overall.count === 1 ? '' : 's'} it was not trained on: UF1 ${unseen.overall.uf1?.toFixed(4) ?? '—'}  UAR ${unseen.overall.uar?.toFixed(4) ?? '—'}`
    : '';
  return (
    `warning: ${inTraining} of ${total} maps are maps model ${card.id} was trained on; UF1/UAR ` +
    `over them measure how well it learnt them, not how well it classifies new clips${loso}${onUnseen}`
  );
}

async function classifyFlowMaps(
  values: Values,
  provider: ExecutionProvider,
  io: CliIO,
): Promise<number> {
  const dir = path.resolve(values['flow-maps']!);
  if ((values['metrics-out'] || values['matrix-png']) && values.labels === undefined) {
    throw new UserError(
      '--metrics-out and --matrix-png need ground truth: give --labels',
      ExitCode.usage,
    );
  }
  const card = await readModelCard(modelPathOf(values)).catch(() => null); // openModel says why
  const layout = card?.input.layout ?? 'whole-face';
  const { maps, problems } = await readFlowMaps(dir, layout).catch((error: Error) => {
    throw new UserError(error.message);
  });
  for (const problem of problems) io.err(`skipped ${problem.file}: ${problem.message}`);
  if (maps.length === 0) {
    throw new UserError(
      `${dir}: no usable 28×28 maps (.png RGB, .npy or .f32)${problems.length ? `; ${problems.length} files rejected` : ''}`,
    );
  }
  let labels: MapLabel[] = [];
  const labelProblems: string[] = [];
  if (values.labels !== undefined) {
    const read = await readMapLabels(path.resolve(values.labels)).catch((error: Error) => {
      throw new UserError(error.message);
    });
    labels = read.labels;
    labelProblems.push(...read.problems.map((problem) => problem.message));
  }
  const matched = matchLabelsToMaps(
    labels,
    maps.map((map) => map.name),
    dir,
  );
  const labelOf = matched.labelOf;
  labelProblems.push(...matched.problems);
  const labelsFile = values.labels ? path.resolve(values.labels) : '';
  for (const problem of labelProblems.slice(0, 20)) io.err(`labels ${labelsFile}: ${problem}`);
  if (labelProblems.length > 20) io.err(`… and ${labelProblems.length - 20} more label problems`);
  if (values.labels !== undefined && labelOf.size === 0) {
    throw new UserError(
      `${labelsFile}: no label matches a map in ${dir} (maps are named <sub>_<filename_o>.png or <clip>.png)`,
    );
  }
  if (labelProblems.length > labelOf.size) {
    io.err(
      `warning: ${labelProblems.length} label problems against ${labelOf.size} maps labelled: ` +
        'the figures below cover only those maps',
    );
  }
  const session = await openModel(values, provider, io, false);
  try {
    const started = performance.now();
    const predictions: Array<{
      map: (typeof maps)[number];
      probabilities: Record<(typeof THREE_CLASSES)[number], number>;
    }> = [];
    for (let i = 0; i < maps.length; i += INFERENCE_BATCH) {
      io.signal.throwIfAborted();
      const batch = maps.slice(i, i + INFERENCE_BATCH);
      const joined = new Float32Array(batch.length * batch[0].maps.length);
      batch.forEach((map, j) => joined.set(map.maps, j * map.maps.length));
      const results = await session.classify(joined).catch((error: Error) => {
        throw error instanceof ModelOutputError ? new UserError(error.message) : error;
      });
      batch.forEach((map, j) => predictions.push({ map, probabilities: results[j] }));
      if (io.isTTY) io.err(`\rclassified ${predictions.length}/${maps.length}\u001b[K`);
    }
    if (io.isTTY) io.err('\n');
    const seconds = (performance.now() - started) / 1000;
    const inTrainingData = trainedOn(session.card);
    const rows = predictions.map(({ map, probabilities }) => {
      const label = labelOf.get(map.name);
      return {
        file: path.relative(dir, map.file),
        dataset: label?.dataset ?? '',
        subject: label?.subject ?? '',
        clip: label?.clip ?? map.name,
        truth: label?.label ?? null,
        predicted: argmaxClass(probabilities),
        probabilities,
        inTraining: inTrainingData(map.maps),
      };
    });
    const scoredOf = (selected: typeof rows) =>
      selected.flatMap((row) =>
        row.truth
          ? [
              {
                truth: row.truth,
                predicted: row.predicted,
                source: row.dataset,
                subject: row.subject,
              },
            ]
          : [],
      );
    const scored = scoredOf(rows);
    const metrics = scored.length > 0 ? metricsReport(scored) : null;
    const inTraining = rows.filter((row) => row.inTraining).length;
    const unseen = inTraining > 0 ? scoredOf(rows.filter((row) => !row.inTraining)) : [];
    const metricsOnUnseenMaps = unseen.length > 0 ? metricsReport(unseen) : null;
    const sha256 = await modelFileSha256(session.path);
    const written = await writeMapReports(values, rows, metrics);
    const summary = {
      maps: dir,
      labels: values.labels ? labelsFile : null,
      model: modelInfoOf(session, sha256),
      counts: {
        maps: maps.length,
        rejected: problems.length,
        labelled: scored.length,
        unlabelled: rows.length - scored.length,
        labelProblems: labelProblems.length,
        inTraining,
      },
      seconds: round(seconds, 3),
      mapsPerSecond: round(maps.length / Math.max(seconds, 1e-9), 1),
      metrics,
      metricsOnUnseenMaps,
      rejected: problems,
      labelProblems,
      written,
      rows: values.json ? rows : undefined,
    };
    if (inTraining > 0) {
      io.err(trainingOverlapNote(session.card, inTraining, maps.length, metricsOnUnseenMaps));
    }
    if (values.json) printJson(io, summary);
    else {
      io.out(
        [
          `classified ${maps.length} maps in ${summary.seconds} s on ${session.provider} (model ${session.card.id})` +
            `${problems.length ? `; ${problems.length} files rejected` : ''}` +
            `${rows.length - scored.length ? `; ${rows.length - scored.length} maps without a label` : ''}`,
          ...describeMetrics(metrics, rows.length),
          ...written.map((file) => `wrote ${file.kind}: ${file.path}`),
        ].join('\n'),
      );
    }
    return ExitCode.ok;
  } finally {
    await session.close();
  }
}

async function writeMapReports(
  values: Values,
  rows: Array<{
    file: string;
    dataset: string;
    subject: string;
    clip: string;
    truth: string | null;
    predicted: (typeof THREE_CLASSES)[number];
    probabilities: Record<(typeof THREE_CLASSES)[number], number>;
    inTraining: boolean;
  }>,
  metrics: MetricsReport | null,
): Promise<Array<{ kind: ReportKind; path: string }>> {
  const written: Array<{ kind: ReportKind; path: string }> = [];
  const bom = values.bom ?? false;
  const write = async (kind: ReportKind, file: string | undefined, content: string | Buffer) => {
    if (!file) return;
    await writeFileAtomic(path.resolve(file), content);
    written.push({ kind, path: path.resolve(file) });
  };
  const header = [
    'file',
    'dataset',
    'subject',
    'clip',
    'label',
    'prediction',
    ...THREE_CLASSES.map((c) => `p_${c}`),
    'in_training',
  ];
  const cells: CsvCell[][] = rows.map((row) => [
    row.file,
    row.dataset,
    row.subject,
    row.clip,
    row.truth,
    row.predicted,
    ...THREE_CLASSES.map((c) => round(row.probabilities[c], 4)),
    row.inTraining ? 'yes' : 'no',
  ]);
  await write('clips', values.out, toCsv(header, cells, { bom }));
  const megc = megcRows(
    rows.map((row) => ({
      db: row.dataset,
      subject: row.subject,
      clip: row.clip,
      predicted: row.predicted,
    })),
  );
  await write(
    'megc',
    values['megc-out'],
    (bom ? '\uFEFF' : '') + megc.map((r) => r.join(',')).join('\n') + '\n',
  );
  if (metrics) {
    await write(
      'metrics',
      values['metrics-out'],
      toCsv(metricsSummaryHeader(THREE_CLASSES), metricsSummaryRows(metrics), { bom }),
    );
    if (values['matrix-png']) {
      await write(
        'matrix',
        values['matrix-png'],
        await confusionMatrixPng(metrics.overall, { normalised: values.normalised }),
      );
    }
  }
  return written;
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
