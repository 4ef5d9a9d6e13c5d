// onnxruntime-node inference throughput of the shipped model: samples/s per batch size, JSON on stdout.
// usage: node bench/model/ort_inference.mjs --threads N --batches 1,256 --seconds S [--model path]
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

const repoRoot = resolve(new URL('.', import.meta.url).pathname, '..', '..');
const ort = createRequire(resolve(repoRoot, 'package.json'))('onnxruntime-node');
const { values } = parseArgs({
  options: {
    threads: { type: 'string' },
    batches: { type: 'string', default: '1,256' },
    seconds: { type: 'string', default: '3' },
    model: { type: 'string', default: resolve(repoRoot, 'models', 'ahmsa-net.onnx') },
  },
});
const threads = Number(values.threads);
const seconds = Number(values.seconds);
// The app's CPU session options (src/main/model/model-worker.ts) except the thread count.
const session = await ort.InferenceSession.create(values.model, {
  executionProviders: ['cpu'],
  intraOpNumThreads: threads,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
  extra: { session: { intra_op: { allow_spinning: '0' } } },
});

async function samplesPerSecond(batch) {
  const data = new Float32Array(batch * 3 * 28 * 28).map(() => Math.random() * 255);
  const feeds = { flow: new ort.Tensor('float32', data, [batch, 3, 28, 28]) };
  for (let i = 0; i < 3; i++) await session.run(feeds);
  let runs = 0;
  const started = performance.now();
  for (;;) {
    await session.run(feeds);
    runs += 1;
    const elapsed = (performance.now() - started) / 1000;
    if (elapsed >= seconds && runs >= 3) return (runs * batch) / elapsed;
  }
}

const results = {};
for (const batch of values.batches.split(',').map(Number))
  results[String(batch)] = await samplesPerSecond(batch);
const version = createRequire(resolve(repoRoot, 'package.json'))(
  'onnxruntime-node/package.json',
).version;
process.stdout.write(
  JSON.stringify({
    runtime: `onnxruntime-node ${version} cpu`,
    threads,
    samplesPerSecond: results,
  }) + '\n',
);
