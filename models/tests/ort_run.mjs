// Runs an ONNX model with onnxruntime-node on raw float32 input and writes raw float32 output.
// usage: node ort_run.mjs <model.onnx> <input.f32> <batch> <output.f32> [--describe]
// With --describe, also prints the graph's input/output names and dims as JSON on stdout.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

const repoRoot = resolve(new URL('.', import.meta.url).pathname, '..', '..');
const require = createRequire(resolve(repoRoot, 'package.json'));
const ort = require('onnxruntime-node');

const [modelPath, inputPath, batchText, outputPath, flag] = process.argv.slice(2);
const session = await ort.InferenceSession.create(modelPath, { executionProviders: ['cpu'] });
const batch = Number(batchText);
const bytes = readFileSync(inputPath);
const data = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
const flow = new ort.Tensor('float32', data, [batch, 3, 28, 28]);
const results = await session.run({ [session.inputNames[0]]: flow });
const output = results[session.outputNames[0]];
writeFileSync(outputPath, Buffer.from(output.data.buffer, output.data.byteOffset, output.data.byteLength));
if (flag === '--describe') {
  const describe = (metadata) => metadata.map((m) => ({ name: m.name, shape: m.shape ?? null, type: m.type ?? null }));
  process.stdout.write(
    JSON.stringify({
      inputNames: session.inputNames,
      outputNames: session.outputNames,
      inputs: session.inputMetadata ? describe(session.inputMetadata) : null,
      outputs: session.outputMetadata ? describe(session.outputMetadata) : null,
      outputDims: output.dims,
    }) + '\n',
  );
}
