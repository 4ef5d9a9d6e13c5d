/**
 * Face pipeline benchmark: onset + apex (640×480 JPEG files) → model input, per clip, on this
 * machine's cores. Prints the split per stage (decode, landmarks, align, flow, maps) and two
 * references measured in the same run: decoding the two frames alone, and TV-L1 alone on the
 * full 640×480 grey frames (what a pipeline without face cropping would pay).
 *
 *   npx tsx bench/face/run.ts [--clips 20] [--crop-size 224] [--preset fast]
 *
 * Frames: the committed astronaut photo cropped so the face is ≈ 260 px wide (CASME II-like),
 * with a 1.5 px lip-corner pull and sensor noise in the apex. Prints figures, asserts nothing.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { projectFile } from '../../src/main/app/paths';
import { computeFlow, defaultFlowThreads, type FlowPreset } from '../../src/main/flow';
import { LandmarkDetector } from '../../src/main/face/landmarks';
import { buildModelInput } from '../../src/main/face/model-input';
import { addNoise, applyBumps, greyFrame, loadImageFrame } from '../../src/main/face/synthetic';
import type { RawFrame } from '../../src/main/media/pam';

const { values } = parseArgs({
  options: {
    clips: { type: 'string', default: '20' },
    'crop-size': { type: 'string', default: '224' },
    preset: { type: 'string', default: 'fast' },
  },
});
const CLIPS = Number(values.clips);
const CROP = Number(values['crop-size']);
const PRESET = values.preset as FlowPreset;
const STAGES = ['decode', 'landmarks', 'align', 'flow', 'maps'] as const;

async function writeFrames(dir: string): Promise<{ onset: string; apex: string }> {
  // Face centre ≈ (230, 115) in the 512² photo, face box ≈ 145 px: scale 1.8 → ≈ 260 px.
  const { data, info } = await sharp(projectFile('assets/astronaut.png'))
    .removeAlpha()
    .extract({ left: 52, top: 0, width: 356, height: 267 })
    .resize(640, 480)
    .raw()
    .toBuffer({ resolveWithObject: true });
  const frame: RawFrame = {
    width: info.width,
    height: info.height,
    channels: 3,
    data: new Uint8Array(data),
  };
  const scale = 640 / 356;
  const mouth = (x: number, y: number) => ({ x: (x - 52) * scale, y: y * scale });
  const apex = applyBumps(frame, [
    { ...mouth(201, 138), radius: 25, dx: -1.5, dy: -1.5 },
    { ...mouth(245, 140), radius: 25, dx: 1.5, dy: -1.5 },
  ]);
  const files = { onset: path.join(dir, 'onset.jpg'), apex: path.join(dir, 'apex.jpg') };
  for (const [file, pixels] of [
    [files.onset, addNoise(frame, 2, 1)],
    [files.apex, addNoise(apex, 2, 2)],
  ] as const) {
    await sharp(pixels.data, { raw: { width: 640, height: 480, channels: 3 } })
      .jpeg({ quality: 92 })
      .toFile(file);
  }
  return files;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

const fmt = (ms: number) => `${ms.toFixed(1).padStart(6)} ms`;

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mer-bench-face-'));
  try {
    const files = await writeFrames(dir);
    const detector = new LandmarkDetector();
    let started = performance.now();
    await detector.whenReady();
    const modelLoad = performance.now() - started;

    const decodePair = () => Promise.all([loadImageFrame(files.onset), loadImageFrame(files.apex)]);
    const [warmOnset, warmApex] = await decodePair();
    await buildModelInput(warmOnset, warmApex, undefined, {
      detector,
      cropSize: CROP,
      flowPreset: PRESET,
    });

    const rows: Array<Record<string, number>> = [];
    let status = '';
    for (let i = 0; i < CLIPS; i++) {
      started = performance.now();
      const [onset, apex] = await decodePair();
      const decode = performance.now() - started;
      const input = await buildModelInput(onset, apex, undefined, {
        detector,
        cropSize: CROP,
        flowPreset: PRESET,
      });
      status = `${input.status} ${input.reasons.join('; ')}`;
      rows.push({ decode, ...input.timings, total: performance.now() - started });
    }

    // References, same run: the decode alone, and TV-L1 alone on the full grey frames.
    const decodeAlone: number[] = [];
    for (let i = 0; i < CLIPS; i++) {
      started = performance.now();
      await decodePair();
      decodeAlone.push(performance.now() - started);
    }
    const [onset, apex] = (await decodePair()).map(greyFrame);
    const fullFlow: number[] = [];
    for (let i = 0; i < Math.min(CLIPS, 5); i++) {
      started = performance.now();
      await computeFlow(onset, apex, { preset: PRESET });
      fullFlow.push(performance.now() - started);
    }
    await detector.close();

    const total = rows.map((row) => row.total);
    const median = percentile(total, 0.5);
    console.log(
      `face pipeline, 640×480 JPEG pair → 3×28×28, crop ${CROP}², flow preset ${PRESET}, ` +
        `${os.availableParallelism()} cores (flow threads ${defaultFlowThreads()}), ${CLIPS} clips`,
    );
    console.log(`status of the last clip: ${status}`);
    console.log(`landmark model load (once): ${fmt(modelLoad)}`);
    console.log('stage           min     median        p90   share of median total');
    for (const stage of STAGES) {
      const values = rows.map((row) => row[stage] ?? 0);
      const m = percentile(values, 0.5);
      console.log(
        `${stage.padEnd(10)} ${fmt(Math.min(...values))} ${fmt(m)} ${fmt(percentile(values, 0.9))}   ${((100 * m) / median).toFixed(0).padStart(3)} %`,
      );
    }
    console.log(
      `${'total'.padEnd(10)} ${fmt(Math.min(...total))} ${fmt(median)} ${fmt(percentile(total, 0.9))}   target ≤ 150 ms: ${median <= 150 ? 'met' : 'NOT met'} (median)`,
    );
    const withoutDecode = rows.map((row) => row.total - row.decode);
    console.log(`without decode ${fmt(percentile(withoutDecode, 0.5))} median`);
    const refDecode = percentile(decodeAlone, 0.5);
    const refFlow = percentile(fullFlow, 0.5);
    console.log(
      `reference: decode of the pair alone ${fmt(refDecode)} → pipeline total = ${(median / refDecode).toFixed(1)}× decode`,
    );
    console.log(
      `reference: TV-L1 on the full 640×480 frames ${fmt(refFlow)} → pipeline total = ${(median / refFlow).toFixed(2)}× full-frame flow`,
    );
    console.log(
      `load average (1 min) at the end: ${os.loadavg()[0].toFixed(2)} on ${os.availableParallelism()} cores ` +
        '(other work on the machine inflates medians; min approximates an idle machine)',
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
