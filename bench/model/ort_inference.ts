/**
 * onnxruntime-node inference throughput of the shipped model on this thread: samples/s per batch
 * size, one JSON line on stdout.
 *
 *   npx tsx bench/model/ort_inference.ts --threads N --batches 1,256 --seconds S [--model path]
 */
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { shippedModelPath } from '../../src/main/model/session';
import { samplesPerSecond } from './throughput';

const { values } = parseArgs({
  options: {
    threads: { type: 'string' },
    batches: { type: 'string', default: '1,256' },
    seconds: { type: 'string', default: '3' },
    model: { type: 'string', default: shippedModelPath() },
  },
});
const threads = Number(values.threads);
// The app's CPU session options (src/main/model/model-worker.ts) except the thread count.
const session = await ort.InferenceSession.create(values.model, {
  executionProviders: ['cpu'],
  intraOpNumThreads: threads,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
  extra: { session: { intra_op: { allow_spinning: '0' } } },
});
const run = (maps: Float32Array, batch: number) =>
  session.run({ flow: new ort.Tensor('float32', maps, [batch, 3, 28, 28]) });

const results: Record<string, number> = {};
for (const batch of values.batches.split(',').map(Number)) {
  results[String(batch)] = await samplesPerSecond(run, batch, Number(values.seconds));
}
const version = (
  createRequire(import.meta.url)('onnxruntime-node/package.json') as { version: string }
).version;
process.stdout.write(
  JSON.stringify({
    runtime: `onnxruntime-node ${version} cpu`,
    threads,
    samplesPerSecond: results,
  }) + '\n',
);
