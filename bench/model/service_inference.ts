/**
 * Inference throughput of the app's model service (ModelSession: the shipped model's onnxruntime
 * session in its worker thread, with the session options the app uses), samples/s per batch size,
 * one JSON line on stdout. Includes the copy of each batch to the worker and back.
 *
 *   npx tsx bench/model/service_inference.ts --batches 1,256 --seconds S
 */
import { parseArgs } from 'node:util';
import { ModelSession, shippedModelPath } from '../../src/main/model/session';
import { samplesPerSecond } from './throughput';

const { values } = parseArgs({
  options: {
    batches: { type: 'string', default: '1,256' },
    seconds: { type: 'string', default: '3' },
  },
});
const seconds = Number(values.seconds);
const session = await ModelSession.open(shippedModelPath(), 'cpu');

const results: Record<string, number> = {};
for (const batch of values.batches.split(',').map(Number)) {
  results[String(batch)] = await samplesPerSecond((maps) => session.classify(maps), batch, seconds);
}
await session.close();
process.stdout.write(
  JSON.stringify({ runtime: 'app model service', threads: 1, samplesPerSecond: results }) + '\n',
);
