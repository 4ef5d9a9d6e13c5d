/**
 * TV-L1 benchmark: accuracy (AEE) and time of the native addon against OpenCV's
 * cv2.optflow.DualTVL1OpticalFlow defaults measured in the same run.
 *
 *   npx tsx bench/flow/run.ts [--repeats N] [--skip-opencv] [--cases middlebury,face,large]
 *
 * Cases: the Middlebury pairs with ground truth in ../shared/data/middlebury, a 224×224 face crop
 * warped by a smooth field of at most 2 px, and a Middlebury frame translated by tens of pixels.
 * Times are the median of N runs after a warm-up (OpenCV: best of 1). Prints figures, asserts
 * nothing. The machine may be shared: the load average is printed with the results.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import {
  computeFlow,
  endpointErrorStats,
  readFlo,
  readGreyImage,
  type FlowField,
  type FlowRunOptions,
  type GreyImage,
} from '../../src/main/flow';
import { cropGrey, smoothFlowField, warpBackward } from '../../src/main/flow/synthetic';
import { hasSharedData, sharedDataDir, sharedPath } from '../../test/support/shared-data';

const PYTHON = '/usr/bin/python3';
const here = path.dirname(fileURLToPath(import.meta.url));
const MIDDLEBURY = ['Grove2', 'Hydrangea', 'RubberWhale'];
const FACE_PRESETS = ['ipol', 'accurate', 'fast'] as const;
/** From the IPOL defaults to the `accurate` preset one change at a time (AEE only). */
const ACCURATE_STEPS: readonly [string, FlowRunOptions][] = [
  ['IPOL defaults', {}],
  ['no pre-smoothing (sigma 0)', { sigma: 0 }],
  ['+ warping cubic a = -0.75', { sigma: 0, warpCubicA: -0.75 }],
  ['+ pyramid step 0.8 = accurate', { preset: 'accurate' }],
  ['accurate + median filter', { preset: 'accurate', medianFilter: true }],
];

interface BenchCase {
  name: string;
  frame0: GreyImage;
  frame1: GreyImage;
  truth: FlowField;
}

interface Measurement {
  aee: number;
  seconds: number;
  /** CPU time of this process per run (all threads); shows contention when it is << wall × threads. */
  cpuSeconds?: number;
}

const { values: cli } = parseArgs({
  options: {
    repeats: { type: 'string', default: '5' },
    'skip-opencv': { type: 'boolean', default: false },
    cases: { type: 'string', default: 'middlebury,face,large' },
  },
});
const repeats = Math.max(1, Number(cli.repeats));
const selected = new Set(cli.cases.split(','));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

async function measureOurs(
  bench: BenchCase,
  options: FlowRunOptions,
  runs = repeats,
): Promise<Measurement> {
  await computeFlow(bench.frame0, bench.frame1, options); // warm-up
  const times: number[] = [];
  const cpuTimes: number[] = [];
  let flow: FlowField | undefined;
  for (let i = 0; i < runs; i++) {
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    flow = await computeFlow(bench.frame0, bench.frame1, options);
    times.push((performance.now() - started) / 1000);
    const cpu = process.cpuUsage(cpuBefore);
    cpuTimes.push((cpu.user + cpu.system) / 1e6);
  }
  return {
    aee: endpointErrorStats(flow!, bench.truth).mean,
    seconds: median(times),
    cpuSeconds: median(cpuTimes),
  };
}

async function loadMiddlebury(name: string): Promise<BenchCase> {
  const dir = sharedPath('middlebury', name);
  const [frame0, frame1, truth] = await Promise.all([
    readGreyImage(path.join(dir, 'frame10.png')),
    readGreyImage(path.join(dir, 'frame11.png')),
    readFlo(path.join(dir, 'flow10.flo')),
  ]);
  return { name, frame0, frame1, truth };
}

/** A 224×224 face crop (frame1) and frame0 warped from it by a smooth field of at most 2 px. */
async function faceCase(): Promise<BenchCase> {
  const candidates = [
    sharedPath('faces', 'astronaut.png'),
    path.resolve(here, '../../assets/astronaut.png'),
  ];
  let frame1: GreyImage | undefined;
  let source = 'synthetic texture';
  for (const file of candidates) {
    try {
      frame1 = cropGrey(await readGreyImage(file), 118, 0, 224, 224);
      source = path.basename(file);
      break;
    } catch {
      // try the next source
    }
  }
  if (!frame1) {
    const { randomTexture } = await import('../../src/main/flow/synthetic');
    frame1 = randomTexture(224, 224, 1);
  }
  const truth = smoothFlowField(224, 224, 2);
  return { name: `face 224x224 (${source})`, frame0: warpBackward(frame1, truth), frame1, truth };
}

/**
 * frame0 = F shifted so that the flow is (shiftX, shiftY) everywhere; pixels whose match leaves
 * frame1 are marked unknown.
 */
function translatedCase(base: BenchCase, shiftX: number, shiftY: number): BenchCase {
  const width = base.frame0.width - shiftX;
  const height = base.frame0.height - shiftY;
  const frame0 = cropGrey(base.frame0, shiftX, shiftY, width, height);
  const frame1 = cropGrey(base.frame0, 0, 0, width, height);
  const u = new Float32Array(width * height).fill(1e10);
  const v = new Float32Array(width * height).fill(1e10);
  for (let y = 0; y + shiftY < height; y++) {
    for (let x = 0; x + shiftX < width; x++) {
      u[y * width + x] = shiftX;
      v[y * width + x] = shiftY;
    }
  }
  return {
    name: `${base.name} shifted (${shiftX}, ${shiftY}) px`,
    frame0,
    frame1,
    truth: { width, height, u, v },
  };
}

function openCvAvailable(): boolean {
  const probe = spawnSync(PYTHON, ['-c', 'import cv2; cv2.optflow.DualTVL1OpticalFlow_create'], {
    encoding: 'utf8',
  });
  return probe.status === 0;
}

/** Runs OpenCV defaults on every case at each thread count; key `${name}@${threads}`. */
async function measureOpenCv(
  cases: BenchCase[],
  threads: number[],
): Promise<Map<string, Measurement>> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mer-bench-flow-'));
  try {
    const pairs = [];
    for (const [index, bench] of cases.entries()) {
      const frame0 = path.join(dir, `${index}-0.f32`);
      const frame1 = path.join(dir, `${index}-1.f32`);
      await writeFile(frame0, Float32Array.from(bench.frame0.data));
      await writeFile(frame1, Float32Array.from(bench.frame1.data));
      pairs.push({
        name: bench.name,
        frame0,
        frame1,
        width: bench.frame0.width,
        height: bench.frame0.height,
        out: path.join(dir, `${index}-flow-{threads}.f32`),
      });
    }
    const jobFile = path.join(dir, 'job.json');
    await writeFile(jobFile, JSON.stringify({ threads, repeats: 1, pairs }));
    const lines = await runPython([path.join(here, 'opencv_tvl1.py'), jobFile]);
    const results = new Map<string, Measurement>();
    for (const line of lines) {
      const {
        name,
        threads: t,
        seconds,
      } = JSON.parse(line) as {
        name: string;
        threads: number;
        seconds: number;
      };
      const index = cases.findIndex((c) => c.name === name);
      const raw = new Float32Array(
        (await readFile(pairs[index].out.replace('{threads}', String(t)))).buffer.slice(0),
      );
      const bench = cases[index];
      const flow: FlowField = {
        width: bench.frame0.width,
        height: bench.frame0.height,
        u: raw.filter((_, i) => i % 2 === 0),
        v: raw.filter((_, i) => i % 2 === 1),
      };
      results.set(`${name}@${t}`, { aee: endpointErrorStats(flow, bench.truth).mean, seconds });
    }
    return results;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function runPython(args: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(output.split('\n').filter((line) => line.trim().length > 0))
        : reject(new Error(`OpenCV script exited with ${code}`)),
    );
  });
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string =>
    '| ' + cells.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |';
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const fmtAee = (m?: Measurement): string => (m ? m.aee.toFixed(3) : 'n/a');
const fmtSeconds = (m?: Measurement): string => (m ? m.seconds.toFixed(3) : 'n/a');
const fmtMs = (m?: Measurement): string => (m ? (m.seconds * 1000).toFixed(1) : 'n/a');
const fmtCpu = (m?: Measurement, scale = 1, digits = 3): string =>
  m?.cpuSeconds !== undefined ? (m.cpuSeconds * scale).toFixed(digits) : 'n/a';
const ratio = (reference?: Measurement, ours?: Measurement): string =>
  reference && ours ? `${(reference.seconds / ours.seconds).toFixed(1)}x` : 'n/a';
const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

async function main(): Promise<void> {
  console.log(
    `TV-L1 benchmark — ${os.cpus().length} CPUs, load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}, ${repeats} timed runs (median)`,
  );
  if (!hasSharedData) {
    console.log(`shared data not found at ${sharedDataDir}: Middlebury cases skipped`);
  }
  const loaded = hasSharedData ? await Promise.all(MIDDLEBURY.map(loadMiddlebury)) : [];
  const middlebury = selected.has('middlebury') ? loaded : [];
  const faces = selected.has('face') ? [await faceCase()] : [];
  const large =
    loaded.length > 0 && selected.has('large') ? [translatedCase(loaded[0], 30, 20)] : [];

  const haveOpenCv = !cli['skip-opencv'] && openCvAvailable();
  console.log(
    haveOpenCv
      ? 'each case: ours, then OpenCV DualTVL1OpticalFlow_create() defaults (slow)…'
      : cli['skip-opencv']
        ? 'OpenCV skipped (--skip-opencv): ours only'
        : `OpenCV not available (${PYTHON} -c "import cv2; cv2.optflow" failed): ours only`,
  );
  const ours = new Map<string, Measurement>();
  const reference = new Map<string, Measurement>();
  // OpenCV runs right after ours on the same case, so a change of machine load between cases
  // affects both sides alike.
  const measureReference = async (bench: BenchCase): Promise<void> => {
    if (!haveOpenCv) return;
    for (const [key, value] of await measureOpenCv([bench], [1, 2])) reference.set(key, value);
  };
  for (const bench of middlebury) {
    for (const threads of [1, 2]) {
      ours.set(`${bench.name}@${threads}`, await measureOurs(bench, { threads }));
    }
    ours.set(
      `${bench.name}@accurate`,
      await measureOurs(bench, { threads: 2, preset: 'accurate' }),
    );
    for (const [step, options] of ACCURATE_STEPS) {
      ours.set(
        `${bench.name}@step ${step}`,
        await measureOurs(bench, { threads: 2, ...options }, 1),
      );
    }
    await measureReference(bench);
  }
  for (const face of faces) {
    for (const preset of FACE_PRESETS) {
      for (const threads of [1, 2]) {
        const key = `${face.name}@${preset}@${threads}`;
        ours.set(key, await measureOurs(face, { threads, preset }, 20));
      }
    }
    await measureReference(face);
  }
  for (const bench of large) {
    ours.set(`${bench.name}@2`, await measureOurs(bench, { threads: 2 }, 1));
    ours.set(
      `${bench.name}@accurate`,
      await measureOurs(bench, { threads: 2, preset: 'accurate' }, 1),
    );
    await measureReference(bench);
  }

  if (middlebury.length > 0) {
    const rows = middlebury.map((b) => {
      const o1 = ours.get(`${b.name}@1`);
      const o2 = ours.get(`${b.name}@2`);
      const c1 = reference.get(`${b.name}@1`);
      const c2 = reference.get(`${b.name}@2`);
      const accurate = ours.get(`${b.name}@accurate`);
      return [
        b.name,
        `${b.frame0.width}x${b.frame0.height}`,
        fmtAee(o2),
        fmtSeconds(o1),
        fmtSeconds(o2),
        fmtCpu(o2),
        fmtAee(accurate),
        fmtSeconds(accurate),
        fmtAee(c2),
        fmtSeconds(c1),
        fmtSeconds(c2),
        ratio(c1, o1),
        ratio(c2, o2),
        ratio(c2, accurate),
      ];
    });
    const meanRef = (t: number, pick: (m: Measurement) => number): string => {
      const found = middlebury.map((b) => reference.get(`${b.name}@${t}`));
      return found.every(Boolean) ? mean(found.map((m) => pick(m!))).toFixed(3) : 'n/a';
    };
    const meanOurs = (key: string, pick: (m: Measurement) => number): string => {
      const found = middlebury.map((b) => ours.get(`${b.name}@${key}`));
      return mean(found.map((m) => pick(m!))).toFixed(3);
    };
    const meanSpeedup = (t: number, oursKey = String(t)): string => {
      const r = middlebury.map((b) => reference.get(`${b.name}@${t}`));
      const o = middlebury.map((b) => ours.get(`${b.name}@${oursKey}`));
      return r.every(Boolean)
        ? `${(mean(r.map((m) => m!.seconds)) / mean(o.map((m) => m!.seconds))).toFixed(1)}x`
        : 'n/a';
    };
    rows.push([
      'mean',
      '',
      meanOurs('2', (m) => m.aee),
      meanOurs('1', (m) => m.seconds),
      meanOurs('2', (m) => m.seconds),
      meanOurs('2', (m) => m.cpuSeconds ?? Number.NaN),
      meanOurs('accurate', (m) => m.aee),
      meanOurs('accurate', (m) => m.seconds),
      meanRef(2, (m) => m.aee),
      meanRef(1, (m) => m.seconds),
      meanRef(2, (m) => m.seconds),
      meanSpeedup(1),
      meanSpeedup(2),
      meanSpeedup(2, 'accurate'),
    ]);
    console.log('\nMiddlebury (grey = Rec.601 luma; times in s per pair)');
    console.log(
      table(
        [
          'pair',
          'size',
          'ours AEE',
          'ours 1T',
          'ours 2T',
          'ours 2T CPU',
          'accurate AEE',
          'accurate 2T',
          'OpenCV AEE',
          'OpenCV 1T',
          'OpenCV 2T',
          'speed-up 1T',
          'speed-up 2T',
          'accurate speed-up 2T',
        ],
        rows,
      ),
    );
  }

  if (middlebury.length > 0) {
    console.log(
      '\nFrom the IPOL defaults to `accurate`, one change at a time (mean AEE, 2 threads)',
    );
    const stepRows = ACCURATE_STEPS.map(([step]) => {
      const found = middlebury.map((b) => ours.get(`${b.name}@step ${step}`)!);
      return [
        step,
        mean(found.map((m) => m.aee)).toFixed(3),
        ...found.map((m) => m.aee.toFixed(3)),
        mean(found.map((m) => m.seconds)).toFixed(3),
      ];
    });
    console.log(table(['parameters', 'mean AEE', ...middlebury.map((b) => b.name), 's'], stepRows));
  }

  for (const face of faces) {
    console.log(`\n${face.name}, smooth motion <= 2 px (times in ms)`);
    const faceRows = FACE_PRESETS.map((preset) => {
      const o1 = ours.get(`${face.name}@${preset}@1`);
      const o2 = ours.get(`${face.name}@${preset}@2`);
      return [
        `ours ${preset}`,
        fmtAee(o2),
        fmtMs(o1),
        fmtMs(o2),
        fmtCpu(o2, 1000, 1),
        ratio(reference.get(`${face.name}@2`), o2),
      ];
    });
    const c1 = reference.get(`${face.name}@1`);
    const c2 = reference.get(`${face.name}@2`);
    faceRows.push(['OpenCV defaults', fmtAee(c2), fmtMs(c1), fmtMs(c2), 'n/a', '1.0x']);
    console.log(
      table(['method', 'EPE', '1T ms', '2T ms', '2T CPU ms', 'speed-up vs OpenCV 2T'], faceRows),
    );
  }

  if (large.length > 0) {
    console.log('\nLarge motion (translation; EPE over pixels still visible in frame1, 2 threads)');
    const rows = large.flatMap((b) => [
      ['ours ipol', b.name, fmtAee(ours.get(`${b.name}@2`)), fmtSeconds(ours.get(`${b.name}@2`))],
      [
        'ours accurate',
        b.name,
        fmtAee(ours.get(`${b.name}@accurate`)),
        fmtSeconds(ours.get(`${b.name}@accurate`)),
      ],
      [
        'OpenCV defaults',
        b.name,
        fmtAee(reference.get(`${b.name}@2`)),
        fmtSeconds(reference.get(`${b.name}@2`)),
      ],
    ]);
    console.log(table(['method', 'case', 'EPE px', 'time s'], rows));
  }
  console.log(
    `\nload average at the end: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
}

await main();
