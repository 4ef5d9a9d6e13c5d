import { createHash } from 'node:crypto';
import { access, readFile } from 'node:fs/promises';
import { THREE_CLASSES, type ExecutionProvider, type ThreeClass } from '../../shared/domain';
import { projectFile } from '../app/paths';
import { WorkerClient } from '../app/worker-client';
import { startWorker } from '../app/workers';
import { MAP_CHANNELS, MAP_SIZE } from '../face/maps';
import { cardPathFor, readModelCard, type ModelCard } from './card';
import type {
  ClassifyReply,
  ClassifyRequest,
  GraphDescription,
  ModelWorkerData,
  ModelWorkerInfo,
} from './model-protocol';

export { MAP_CHANNELS, MAP_SIZE };
const SAMPLE_LENGTH = MAP_CHANNELS * MAP_SIZE * MAP_SIZE;

export function shippedModelPath(): string {
  return projectFile('models/ahmsa-net.onnx');
}

/**
 * One onnxruntime session per model, created once, in its own worker thread
 * (src/main/model/model-worker.ts), so inference never stalls the event loop. The CUDA execution
 * provider is asked for first; when it is not installed or fails to start, the CPU provider runs.
 */
export class ModelSession {
  private constructor(
    readonly path: string,
    readonly card: ModelCard,
    readonly provider: ExecutionProvider,
    readonly providerNote: string | undefined,
    private readonly worker: WorkerClient<ModelWorkerInfo, ClassifyReply>,
    /** A graph exported for one batch size only: maps go in runs of that size. */
    private readonly fixedBatch: number | null,
  ) {}

  static async open(
    modelPath = shippedModelPath(),
    wanted: ExecutionProvider = 'cuda',
  ): Promise<ModelSession> {
    await access(modelPath).catch(() => {
      throw new Error(`${modelPath}: model file not found`);
    });
    const card = await readModelCard(modelPath);
    await checkDigest(modelPath, card);
    const workerData: ModelWorkerData = { modelPath, wanted };
    const worker = new WorkerClient<ModelWorkerInfo, ClassifyReply>(
      startWorker('model/model-worker', { workerData }),
      'model worker',
    );
    try {
      const { provider, providerNote, graph } = await worker.ready;
      checkCardAgainstGraph(modelPath, card, graph);
      const batch = graph.shapes[card.input.name]?.[0];
      const fixedBatch = typeof batch === 'number' && batch > 0 ? batch : null;
      return new ModelSession(modelPath, card, provider, providerNote, worker, fixedBatch);
    } catch (error) {
      await worker.close();
      throw error;
    }
  }

  /** Classifies N maps laid out [N, 3, 28, 28]; returns class probabilities per sample. */
  async classify(maps: Float32Array): Promise<Array<Record<ThreeClass, number>>> {
    if (maps.length === 0 || maps.length % SAMPLE_LENGTH !== 0) {
      throw new Error(`model input must be N×3×28×28 floats, got ${maps.length} values`);
    }
    const count = maps.length / SAMPLE_LENGTH;
    if (this.fixedBatch === null || this.fixedBatch === count) return this.run(maps, count);
    const results: Array<Record<ThreeClass, number>> = [];
    for (let start = 0; start < count; start += this.fixedBatch) {
      const run = new Float32Array(this.fixedBatch * SAMPLE_LENGTH); // the last run padded
      run.set(maps.subarray(start * SAMPLE_LENGTH, (start + this.fixedBatch) * SAMPLE_LENGTH));
      const rows = await this.run(run, this.fixedBatch);
      results.push(...rows.slice(0, Math.min(this.fixedBatch, count - start)));
    }
    return results;
  }

  private async run(maps: Float32Array, count: number): Promise<Array<Record<ThreeClass, number>>> {
    const copy = Float32Array.from(maps).buffer; // transferred to the worker
    const reply = await this.worker.request(
      (id): ClassifyRequest => ({
        id,
        inputName: this.card.input.name,
        outputName: this.card.output.name,
        count,
        maps: copy,
      }),
      [copy],
    );
    if (!reply.ok) throw new Error(`${this.path}: inference failed (${reply.error})`);
    const values = new Float32Array(reply.values);
    const rows = Array.from({ length: count }, (_, i) =>
      Array.from(values.subarray(i * 3, i * 3 + 3)),
    );
    for (const row of rows) checkOutputRow(this.path, this.card, row);
    if (this.card.output.kind === 'logits' && rows.every(looksLikeProbabilities)) {
      throw new ModelOutputError(
        `${this.path}: the card says the output is logits, but every row is already probabilities ` +
          '(between 0 and 1, summing to 1); set output.kind to "probabilities" in its card',
      );
    }
    return rows.map((row) => toRecord(this.card.output.kind === 'logits' ? softmax(row) : row));
  }

  async close(): Promise<void> {
    await this.worker.close();
  }
}

/** The card names the model file it describes by its SHA-256 (when it says one). */
async function checkDigest(modelPath: string, card: ModelCard): Promise<void> {
  if (!card.sha256) return;
  const actual = createHash('sha256')
    .update(await readFile(modelPath))
    .digest('hex');
  if (actual !== card.sha256.toLowerCase()) {
    throw new Error(
      `${modelPath}: not the model its card ${cardPathFor(modelPath)} describes (the card's ` +
        `sha256 is ${card.sha256.slice(0, 12)}…, the file's ${actual.slice(0, 12)}…); ` +
        'export the model with its own card',
    );
  }
}

/** The model answered, but not with what its card promises: a problem of the model, not the maps. */
export class ModelOutputError extends Error {
  override name = 'ModelOutputError';
}

function looksLikeProbabilities(row: number[]): boolean {
  const sum = row.reduce((a, b) => a + b, 0);
  return row.every((value) => value >= 0 && value <= 1) && Math.abs(sum - 1) < 1e-4;
}

/** Probabilities must be probabilities, and nothing may be NaN: else every answer is wrong. */
function checkOutputRow(modelPath: string, card: ModelCard, row: number[]): void {
  const shown = row.map((value) => value.toPrecision(4)).join(', ');
  if (!row.every(Number.isFinite)) {
    throw new ModelOutputError(`${modelPath}: the model returned non-finite outputs (${shown})`);
  }
  if (card.output.kind !== 'probabilities') return;
  const sum = row.reduce((a, b) => a + b, 0);
  if (row.some((value) => value < -1e-4 || value > 1 + 1e-4) || Math.abs(sum - 1) > 1e-3) {
    throw new ModelOutputError(
      `${modelPath}: the card says the output is probabilities, but a row is (${shown}), ` +
        'summing to ' +
        `${sum.toPrecision(4)}; if the model outputs logits, set output.kind to "logits" in its card`,
    );
  }
}

/**
 * A session for the app's own pipeline, which makes whole-face maps: a model for another layout
 * (HTNet's region mosaic) would read them wrongly. Precomputed maps (classify --flow-maps) go in
 * as they are, so ModelSession.open takes any layout.
 */
export async function openPipelineModel(
  modelPath?: string,
  wanted?: ExecutionProvider,
): Promise<ModelSession> {
  const session = await ModelSession.open(modelPath, wanted);
  const layout = session.card.input.layout;
  if (layout !== undefined && layout !== 'whole-face') {
    await session.close();
    throw new Error(
      `${session.path}: its card says the input layout is "${layout}"; the app computes ` +
        'whole-face maps, so this model can classify only precomputed maps (classify --flow-maps)',
    );
  }
  return session;
}

/** The card must describe the graph: same input/output names, 3×28×28 in, 3 classes out. */
function checkCardAgainstGraph(modelPath: string, card: ModelCard, graph: GraphDescription) {
  const problems: string[] = [];
  if (!graph.inputNames.includes(card.input.name)) {
    problems.push(`input "${card.input.name}" not in graph (${graph.inputNames.join(', ')})`);
  }
  if (!graph.outputNames.includes(card.output.name)) {
    problems.push(`output "${card.output.name}" not in graph (${graph.outputNames.join(', ')})`);
  }
  if (card.input.shape.slice(1).join('x') !== '3x28x28') {
    problems.push(`card input shape is ${shapeText(card.input.shape)}, expected [N, 3, 28, 28]`);
  }
  const inputShape = graph.shapes[card.input.name];
  if (inputShape && inputShape.slice(1).join('x') !== '3x28x28') {
    problems.push(`graph input shape is ${shapeText(inputShape)}, expected [N, 3, 28, 28]`);
  }
  const outputShape = graph.shapes[card.output.name];
  if (outputShape && outputShape[outputShape.length - 1] !== THREE_CLASSES.length) {
    problems.push(`graph output shape is ${shapeText(outputShape)}, expected [N, 3]`);
  }
  if (problems.length > 0) {
    throw new Error(`${modelPath}: model does not match its card: ${problems.join('; ')}`);
  }
}

/** A shape as written in messages: a free (batch) dimension is N. */
function shapeText(shape: ReadonlyArray<number | string | null>): string {
  return `[${shape.map((size) => (size === null || size === -1 ? 'N' : size)).join(', ')}]`;
}

function softmax(values: number[]): number[] {
  const max = Math.max(...values);
  const exps = values.map((value) => Math.exp(value - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((value) => value / sum);
}

function toRecord(values: number[]): Record<ThreeClass, number> {
  return Object.fromEntries(THREE_CLASSES.map((name, i) => [name, values[i]])) as Record<
    ThreeClass,
    number
  >;
}

export function argmaxClass(probabilities: Record<ThreeClass, number>): ThreeClass {
  return THREE_CLASSES.reduce((best, name) =>
    probabilities[name] > probabilities[best] ? name : best,
  );
}
