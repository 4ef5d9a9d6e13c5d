import { existsSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { THREE_CLASSES, type ExecutionProvider, type ThreeClass } from '../../shared/domain';
import { projectFile } from '../app/paths';
import { readModelCard, type ModelCard } from './card';

export const MAP_SIZE = 28;
export const MAP_CHANNELS = 3;
const SAMPLE_LENGTH = MAP_CHANNELS * MAP_SIZE * MAP_SIZE;

export function shippedModelPath(): string {
  return projectFile('models/ahmsa-net.onnx');
}

/**
 * One onnxruntime session per model, created once. Inference runs on onnxruntime's own threads
 * (session.run is asynchronous), so the event loop stays free. The CUDA execution provider is
 * asked for first; when it is not installed or fails to start, the CPU provider runs instead.
 */
export class ModelSession {
  private constructor(
    readonly path: string,
    readonly card: ModelCard,
    readonly provider: ExecutionProvider,
    readonly providerNote: string | undefined,
    private readonly session: ort.InferenceSession,
  ) {}

  static async open(
    modelPath = shippedModelPath(),
    wanted: ExecutionProvider = 'cuda',
  ): Promise<ModelSession> {
    await access(modelPath).catch(() => {
      throw new Error(`${modelPath}: model file not found`);
    });
    const card = await readModelCard(modelPath);
    const { session, provider, note } = await createSession(modelPath, wanted);
    checkCardAgainstGraph(modelPath, card, session);
    return new ModelSession(modelPath, card, provider, note, session);
  }

  /** Classifies N maps laid out [N, 3, 28, 28]; returns class probabilities per sample. */
  async classify(maps: Float32Array): Promise<Array<Record<ThreeClass, number>>> {
    if (maps.length === 0 || maps.length % SAMPLE_LENGTH !== 0) {
      throw new Error(`model input must be N×3×28×28 floats, got ${maps.length} values`);
    }
    const count = maps.length / SAMPLE_LENGTH;
    const feeds = {
      [this.card.input.name]: new ort.Tensor('float32', maps, [count, 3, MAP_SIZE, MAP_SIZE]),
    };
    const output = (await this.session.run(feeds))[this.card.output.name];
    const values = output.data as Float32Array;
    return Array.from({ length: count }, (_, i) => {
      const row = Array.from(values.subarray(i * 3, i * 3 + 3));
      return toRecord(this.card.output.kind === 'logits' ? softmax(row) : row);
    });
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

async function createSession(modelPath: string, wanted: ExecutionProvider) {
  const failures: string[] = [];
  if (wanted === 'cuda') {
    if (!cudaProviderInstalled()) {
      failures.push('CUDA provider not installed (run `npm run setup:cuda` on a GPU machine)');
    } else {
      try {
        const session = await ort.InferenceSession.create(modelPath, {
          executionProviders: ['cuda'],
        });
        return { session, provider: 'cuda' as const, note: undefined };
      } catch (error) {
        failures.push(`CUDA provider failed to start: ${(error as Error).message}`);
      }
    }
  }
  try {
    const session = await ort.InferenceSession.create(modelPath, { executionProviders: ['cpu'] });
    return { session, provider: 'cpu' as const, note: failures.join('; ') || undefined };
  } catch (error) {
    throw new Error(`${modelPath}: not a loadable ONNX model (${(error as Error).message})`, {
      cause: error,
    });
  }
}

/**
 * onnxruntime-node lists CUDA as a backend it can use but does not bundle: its provider library
 * arrives with `npm run setup:cuda`. Looking for the file first avoids a noisy failed load.
 */
function cudaProviderInstalled(): boolean {
  const listed = ort.listSupportedBackends().some((backend) => backend.name === 'cuda');
  if (!listed) return false;
  const require = createRequire(import.meta.url);
  const packageDir = path.dirname(require.resolve('onnxruntime-node/package.json'));
  const binaryDir = path.join(packageDir, 'bin', `napi-v6`, process.platform, process.arch);
  const library =
    process.platform === 'win32'
      ? 'onnxruntime_providers_cuda.dll'
      : 'libonnxruntime_providers_cuda.so';
  return existsSync(path.join(binaryDir, library));
}

/** The card must describe the graph: same input/output names, 3×28×28 in, 3 classes out. */
function checkCardAgainstGraph(modelPath: string, card: ModelCard, session: ort.InferenceSession) {
  const problems: string[] = [];
  if (!session.inputNames.includes(card.input.name)) {
    problems.push(`input "${card.input.name}" not in graph (${session.inputNames.join(', ')})`);
  }
  if (!session.outputNames.includes(card.output.name)) {
    problems.push(`output "${card.output.name}" not in graph (${session.outputNames.join(', ')})`);
  }
  const inputShape = graphShape(session.inputMetadata, card.input.name);
  if (inputShape && inputShape.slice(1).join('x') !== '3x28x28') {
    problems.push(`graph input shape is [${inputShape.join(', ')}], expected [N, 3, 28, 28]`);
  }
  const outputShape = graphShape(session.outputMetadata, card.output.name);
  if (outputShape && outputShape[outputShape.length - 1] !== THREE_CLASSES.length) {
    problems.push(`graph output shape is [${outputShape.join(', ')}], expected [N, 3]`);
  }
  if (problems.length > 0) {
    throw new Error(`${modelPath}: model does not match its card: ${problems.join('; ')}`);
  }
}

function graphShape(
  metadata: readonly ort.InferenceSession.ValueMetadata[] | undefined,
  name: string,
): Array<number | string> | null {
  const entry = metadata?.find((item) => item.name === name);
  return entry && entry.isTensor ? [...entry.shape] : null;
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
