import { access } from 'node:fs/promises';
import { THREE_CLASSES, type ExecutionProvider, type ThreeClass } from '../../shared/domain';
import { projectFile } from '../app/paths';
import { WorkerClient } from '../app/worker-client';
import { startWorker } from '../app/workers';
import { MAP_CHANNELS, MAP_SIZE } from '../face/maps';
import { readModelCard, type ModelCard } from './card';
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
  ) {}

  static async open(
    modelPath = shippedModelPath(),
    wanted: ExecutionProvider = 'cuda',
  ): Promise<ModelSession> {
    await access(modelPath).catch(() => {
      throw new Error(`${modelPath}: model file not found`);
    });
    const card = await readModelCard(modelPath);
    const workerData: ModelWorkerData = { modelPath, wanted };
    const worker = new WorkerClient<ModelWorkerInfo, ClassifyReply>(
      startWorker('model/model-worker', { workerData }),
      'model worker',
    );
    try {
      const { provider, providerNote, graph } = await worker.ready;
      checkCardAgainstGraph(modelPath, card, graph);
      return new ModelSession(modelPath, card, provider, providerNote, worker);
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
    return Array.from({ length: count }, (_, i) => {
      const row = Array.from(values.subarray(i * 3, i * 3 + 3));
      return toRecord(this.card.output.kind === 'logits' ? softmax(row) : row);
    });
  }

  async close(): Promise<void> {
    await this.worker.close();
  }
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
  const inputShape = graph.shapes[card.input.name];
  if (inputShape && inputShape.slice(1).join('x') !== '3x28x28') {
    problems.push(`graph input shape is [${inputShape.join(', ')}], expected [N, 3, 28, 28]`);
  }
  const outputShape = graph.shapes[card.output.name];
  if (outputShape && outputShape[outputShape.length - 1] !== THREE_CLASSES.length) {
    problems.push(`graph output shape is [${outputShape.join(', ')}], expected [N, 3]`);
  }
  if (problems.length > 0) {
    throw new Error(`${modelPath}: model does not match its card: ${problems.join('; ')}`);
  }
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
