/**
 * Worker thread that owns the model's onnxruntime session: onnxruntime-node runs a session on the
 * calling thread, so the main thread would stall for the whole inference. The session is created
 * once (CUDA asked first, CPU otherwise) and answers ClassifyRequests in order.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import type { WorkerReadyMessage } from '../app/worker-client';
import { MAP_CHANNELS, MAP_SIZE } from '../face/maps';
import type {
  ClassifyReply,
  ClassifyRequest,
  GraphDescription,
  ModelWorkerData,
  ModelWorkerInfo,
} from './model-protocol';

/**
 * One intra-op thread, not spinning: this small model's operators are too short for onnxruntime
 * to share among threads (bench/model: more samples/s with 1 thread than with 2), and a spinning
 * pool would take the cores from flow computation running at the same time.
 */
const CPU_OPTIONS: ort.InferenceSession.SessionOptions = {
  executionProviders: ['cpu'],
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
  extra: { session: { intra_op: { allow_spinning: '0' } } },
};

async function createSession({ modelPath, wanted }: ModelWorkerData) {
  const failures: string[] = [];
  if (wanted === 'cuda') {
    if (!cudaProviderInstalled()) {
      failures.push('CUDA provider not installed (run `npm run setup:cuda` on a GPU machine)');
    } else {
      try {
        // A failed provider load is reported in the note below, not as onnxruntime's raw log line.
        ort.env.logLevel = 'fatal';
        const session = await ort.InferenceSession.create(modelPath, {
          executionProviders: ['cuda'],
        });
        return { session, provider: 'cuda' as const, providerNote: undefined };
      } catch (error) {
        failures.push(
          `CUDA provider failed to start (${plainMessage(error as Error)}); it needs all of ` +
            "onnxruntime's provider files (`npm run setup:cuda`) and the CUDA 12 and cuDNN 9 libraries",
        );
      }
    }
  }
  try {
    const session = await ort.InferenceSession.create(modelPath, CPU_OPTIONS);
    return { session, provider: 'cpu' as const, providerNote: failures.join('; ') || undefined };
  } catch (error) {
    throw new Error(`${modelPath}: not a loadable ONNX model (${plainMessage(error as Error)})`, {
      cause: error,
    });
  }
}

/** onnxruntime's reason without its source path and C++ signature. */
function plainMessage(error: Error): string {
  const text = error.message.trim();
  return /onnxruntime_src\/\S+ .*?\) (.+)$/s.exec(text)?.[1] ?? text;
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

function describeGraph(session: ort.InferenceSession): GraphDescription {
  const shapes: GraphDescription['shapes'] = {};
  for (const entry of [...session.inputMetadata, ...session.outputMetadata]) {
    if (entry.isTensor) shapes[entry.name] = [...entry.shape];
  }
  return { inputNames: session.inputNames, outputNames: session.outputNames, shapes };
}

async function classify(session: ort.InferenceSession, request: ClassifyRequest) {
  const input = new ort.Tensor('float32', new Float32Array(request.maps), [
    request.count,
    MAP_CHANNELS,
    MAP_SIZE,
    MAP_SIZE,
  ]);
  const output = (await session.run({ [request.inputName]: input }))[request.outputName];
  return Float32Array.from(output.data as Float32Array).buffer;
}

async function main(port: NonNullable<typeof parentPort>): Promise<void> {
  let created: Awaited<ReturnType<typeof createSession>>;
  try {
    created = await createSession(workerData as ModelWorkerData);
  } catch (error) {
    port.postMessage({ ready: false, error: (error as Error).message });
    return;
  }
  const { session, provider, providerNote } = created;
  const ready: WorkerReadyMessage<ModelWorkerInfo> = {
    ready: true,
    provider,
    providerNote,
    graph: describeGraph(session),
  };
  port.postMessage(ready);
  port.on('message', (request: ClassifyRequest) => {
    classify(session, request).then(
      (values) => port.postMessage({ id: request.id, ok: true, values } as ClassifyReply, [values]),
      (error: Error) =>
        port.postMessage({ id: request.id, ok: false, error: error.message } as ClassifyReply),
    );
  });
}

if (parentPort) void main(parentPort);
