/**
 * Dataset indexing benchmark: time to detect and index a generated composite-style tree of 442
 * clips from 68 subjects (MEGC2019 composition: CASME II 24 subjects / 145 clips, SAMM 28 / 133,
 * SMIC-HS 16 / 164) laid out as the datasets ship, against a plain recursive readdir of the same
 * tree in the same run.
 *
 *   npx tsx bench/dataset/run.ts [--frames-scale 1] [--repeats 5]
 *
 * Frames are tiny images (the index reads names and first-frame headers, not pixels); the tree is
 * cached in $TMPDIR/mer-bench-dataset. Prints figures, asserts nothing.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { openDataset, type OpenOptions } from '../../src/main/dataset';
import { encodeBmp, tinyJpeg } from '../../test/fixtures/datasets';

const { values } = parseArgs({
  options: {
    'frames-scale': { type: 'string', default: '1' },
    repeats: { type: 'string', default: '5' },
  },
});
const SCALE = Number(values['frames-scale']);
const REPEATS = Number(values.repeats);
const root = path.join(os.tmpdir(), `mer-bench-dataset-${SCALE}`);

interface Part {
  name: string;
  subjects: number;
  clips: number;
  frames: number;
  subject: (s: number) => string;
  clipDir: (subject: string, c: number) => string;
  frame: (subject: string, n: number) => string;
  image: () => Promise<Buffer> | Buffer;
}

const SMIC_EMOTIONS = ['negative', 'positive', 'surprise'];
const parts: Part[] = [
  {
    name: path.join('CASME2', 'CASME2_RAW_selected'),
    subjects: 24,
    clips: 145,
    frames: 100,
    subject: (s) => `sub${String(s).padStart(2, '0')}`,
    clipDir: (_subject, c) => `EP${String(c).padStart(2, '0')}_0${c % 7}f`,
    frame: (_subject, n) => `img${n}.jpg`,
    image: () => tinyJpeg(100),
  },
  {
    name: 'SAMM',
    subjects: 28,
    clips: 133,
    frames: 100,
    subject: (s) => String(5 + s).padStart(3, '0'),
    clipDir: (subject, c) => `${subject}_${c}_${c + 1}`,
    frame: (subject, n) => `${subject}_${String(5000 + n).padStart(5, '0')}.jpg`,
    image: () => tinyJpeg(80, 16, 12, 1),
  },
  {
    name: path.join('SMIC', 'HS'),
    subjects: 16,
    clips: 164,
    frames: 40,
    subject: (s) => `s${s}`,
    clipDir: (subject, c) => {
      const emotion = SMIC_EMOTIONS[c % 3];
      return path.join(
        'micro',
        emotion,
        `${subject}_${emotion.slice(0, 2)}_${String(c).padStart(2, '0')}`,
      );
    },
    frame: (_subject, n) => `image${559700 + n}.bmp`,
    image: () => encodeBmp(new Uint8Array(16 * 12 * 3).fill(90), 16, 12, 24),
  },
];

async function generate(): Promise<number> {
  let files = 0;
  for (const part of parts) {
    const image = await part.image();
    for (let c = 0; c < part.clips; c++) {
      const subject = part.subject((c % part.subjects) + 1);
      const dir = path.join(
        root,
        part.name,
        subject,
        part.clipDir(subject, Math.floor(c / part.subjects) + 1),
      );
      await mkdir(dir, { recursive: true });
      const frames = Math.max(2, Math.round(part.frames * SCALE));
      await Promise.all(
        Array.from({ length: frames }, (_, n) =>
          writeFile(path.join(dir, part.frame(subject, n + 1)), image),
        ),
      );
      files += frames;
    }
  }
  await writeFile(path.join(root, 'generated.txt'), `${files}\n`);
  return files;
}

async function time(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

async function median(repeats: number, work: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) times.push(await time(work));
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
}

async function main(): Promise<void> {
  console.log(
    `dataset index benchmark — ${os.cpus().length} cores, load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  if (!existsSync(path.join(root, 'generated.txt'))) {
    const seconds = (await time(generate)) / 1000;
    console.log(`generated the tree in ${seconds.toFixed(1)} s`);
  }
  const firstOpen = await time(() => openDataset(root));
  const dataset = await openDataset(root);
  const frames = dataset.clips.reduce((sum, clip) => sum + clip.frameCount, 0);
  const kinds = new Map<number, number>();
  for (const clip of dataset.clips) kinds.set(clip.fps, (kinds.get(clip.fps) ?? 0) + 1);
  console.log(`tree: ${root}`);
  console.log(
    `indexed: ${dataset.clips.length} clips, ${dataset.subjects.length} subjects, ${frames} frames; clips per fps: ${[...kinds].map(([fps, n]) => `${fps} fps ${n}`).join(', ')}; problems: ${dataset.problems.length - 1} (+1 note: several datasets)`,
  );

  const walk = await median(REPEATS, () => readdir(root, { recursive: true, withFileTypes: true }));
  const full = await median(REPEATS, () => openDataset(root));
  const namesOnly = await median(REPEATS, () =>
    openDataset(root, { readFrameSizes: false } satisfies OpenOptions),
  );
  console.log(
    `\nmedian of ${REPEATS} (page cache warm; first open after start ${firstOpen.toFixed(0)} ms):`,
  );
  const row = (label: string, msValue: number) =>
    console.log(
      `  ${label.padEnd(64)} ${msValue.toFixed(0).padStart(6)} ms   ×${(msValue / walk).toFixed(2)} of readdir walk`,
    );
  row('reference: fs.readdir(root, {recursive: true}) of the whole tree', walk);
  row('openDataset(composite root): detect 3 layouts, index 442 clips', full);
  row('openDataset without first-frame size reads', namesOnly);
  for (const part of parts) {
    const one = await median(REPEATS, () => openDataset(path.join(root, part.name)));
    row(`openDataset(${part.name}) alone`, one);
  }
  const memory = process.memoryUsage();
  console.log(
    `\nmemory after indexing: rss ${(memory.rss / 2 ** 20).toFixed(0)} MiB, heap ${(memory.heapUsed / 2 ** 20).toFixed(0)} MiB`,
  );
  console.log(
    `target: index of the 442-clip tree ≤ 2000 ms → ${full.toFixed(0)} ms (first open ${firstOpen.toFixed(0)} ms)`,
  );
}

await main();
