/**
 * UI benchmark: chromium through the web host, on a generated 200 fps 640×480 JPEG dataset.
 * Prints (never asserts): frame-to-frame display intervals while → is held (cold, then cached),
 * skipped / repeated indexes, the first frame of newly opened clips, and references measured in
 * the same run: the display's refresh interval (requestAnimationFrame with no work) and the raw
 * HTTP fetch (+ decode) of a frame the backend has cached.
 *
 *   npx electron-vite build && npx tsx bench/ui/run.ts [--frames 300] [--clips 7] [--hold-ms 2500]
 *
 * With --unthrottled, chromium draws without waiting for vsync (--disable-gpu-vsync
 * --disable-frame-rate-limit), so the intervals show what the app itself needs per frame rather
 * than the display's 60 Hz refresh.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import type { Page } from 'playwright-core';
import { launchChromium } from '../../test/support/browser';
import { freePort, startHost } from '../../test/support/web-host';

const { values } = parseArgs({
  options: {
    frames: { type: 'string', default: '300' },
    clips: { type: 'string', default: '7' },
    'hold-ms': { type: 'string', default: '2500' },
    unthrottled: { type: 'boolean', default: false },
  },
});
const FRAMES = Number(values.frames);
const CLIPS = Number(values.clips);
const HOLD_MS = Number(values['hold-ms']);
const WIDTH = 640;
const HEIGHT = 480;

interface LogEntry {
  type: 'open' | 'draw';
  clipId: string;
  index: number;
  t: number;
  frameTime?: number;
}

/** A textured face-sized pattern drifting a little each frame: real JPEG work, distinct frames. */
async function makeDataset(root: string): Promise<void> {
  const base = Buffer.alloc(WIDTH * HEIGHT * 3);
  for (let y = 0; y < HEIGHT; y++) {
    for (let x = 0; x < WIDTH; x++) {
      const i = (y * WIDTH + x) * 3;
      base[i] = (x * 7 + y * 3) % 256;
      base[i + 1] = (Math.sin(x / 17) * 60 + Math.cos(y / 23) * 60 + 128) | 0;
      base[i + 2] = ((x ^ y) * 5) % 256;
    }
  }
  for (let c = 0; c < CLIPS; c++) {
    const dir = path.join(root, 'sub01', `clip${c + 1}`);
    await mkdir(dir, { recursive: true });
    for (let f = 0; f < FRAMES; f++) {
      const shifted = Buffer.alloc(base.length);
      const dx = (f + c * 13) % WIDTH;
      for (let y = 0; y < HEIGHT; y++) {
        const row = y * WIDTH * 3;
        base.copy(shifted, row, row + dx * 3, row + WIDTH * 3);
        base.copy(shifted, row + (WIDTH - dx) * 3, row, row + dx * 3);
      }
      await sharp(shifted, { raw: { width: WIDTH, height: HEIGHT, channels: 3 } })
        .jpeg({ quality: 90 })
        .toFile(path.join(dir, `img${String(f + 1).padStart(4, '0')}.jpg`));
    }
  }
  await mkdir(path.join(root, '.mer-studio'), { recursive: true });
  await writeFile(path.join(root, '.mer-studio', 'dataset.json'), JSON.stringify({ fps: 200 }));
}

/** PageDown to the next clip; milliseconds from the key to its first frame on screen. */
async function openNext(page: Page, clipId: string): Promise<number> {
  await drawLog(page);
  await page.keyboard.press('PageDown');
  await page.waitForFunction(
    (id) =>
      (
        window as unknown as { __merFrameLog: Array<{ type: string; clipId: string }> }
      ).__merFrameLog.some((e) => e.type === 'draw' && e.clipId === id),
    clipId,
  );
  const keyAt = await page.evaluate(() => (window as unknown as { __merKeyAt: number }).__merKeyAt);
  const draw = (await drawLog(page)).find(
    (entry) => entry.type === 'draw' && entry.clipId === clipId,
  )!;
  return draw.t - keyAt;
}

function stats(samples: number[]): { n: number; p50: number; p95: number; max: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { n: sorted.length, p50: at(0.5), p95: at(0.95), max: sorted[sorted.length - 1] ?? NaN };
}

const ms = (value: number) => `${value.toFixed(2)} ms`;

async function refreshInterval(page: Page): Promise<number[]> {
  return page.evaluate(
    () =>
      new Promise<number[]>((resolve) => {
        const times: number[] = [];
        const tick = (t: number) => {
          times.push(t);
          if (times.length < 121) requestAnimationFrame(tick);
          else resolve(times.slice(1).map((time, i) => time - times[i]));
        };
        requestAnimationFrame(tick);
      }),
  );
}

async function cachedFetch(
  page: Page,
  clipId: string,
  index: number,
): Promise<{ fetch: number[]; decode: number[] }> {
  return page.evaluate(
    async ({ clipId, index }) => {
      const token = sessionStorage.getItem('mer-token') ?? '';
      const url = `/frames/${encodeURIComponent(clipId)}/${index}?token=${token}&maxSide=960&prefetch=0`;
      await (await fetch(url)).arrayBuffer();
      const fetchTimes: number[] = [];
      const decodeTimes: number[] = [];
      for (let i = 0; i < 60; i++) {
        const started = performance.now();
        const blob = await (await fetch(url, { cache: 'no-store' })).blob();
        const fetched = performance.now();
        (await createImageBitmap(blob)).close();
        fetchTimes.push(fetched - started);
        decodeTimes.push(performance.now() - fetched);
      }
      return { fetch: fetchTimes, decode: decodeTimes };
    },
    { clipId, index },
  );
}

async function drawLog(page: Page): Promise<LogEntry[]> {
  return page.evaluate(() =>
    (window as unknown as { __merFrameLog: LogEntry[] }).__merFrameLog.splice(0),
  );
}

async function hold(page: Page, key: string, millis: number): Promise<LogEntry[]> {
  await drawLog(page);
  await page.keyboard.down(key);
  await page.waitForTimeout(millis);
  await page.keyboard.up(key);
  await page.waitForTimeout(100);
  return (await drawLog(page)).filter((entry) => entry.type === 'draw');
}

function reportScrub(label: string, draws: LogEntry[], refresh: number): void {
  // The first step is the single press; scrubbing (one frame per display refresh) follows.
  // Every draw counts for skips and repeats (a frame that arrives between display frames is drawn
  // outside requestAnimationFrame); the display intervals use the frame-aligned draws.
  const all = draws.slice(1);
  const scrub = all.filter((entry) => entry.frameTime !== undefined);
  const direction = Math.sign((all[all.length - 1]?.index ?? 0) - (all[0]?.index ?? 0)) || 1;
  const jumps = all.slice(1).map((entry, i) => (entry.index - all[i].index) * direction);
  const skipped = jumps.filter((jump) => jump > 1).length;
  const repeated = jumps.filter((jump) => jump === 0).length;
  const reversed = jumps.filter((jump) => jump < 0).length;
  const display = stats(scrub.slice(1).map((entry, i) => entry.frameTime! - scrub[i].frameTime!));
  const drawn = stats(scrub.slice(1).map((entry, i) => entry.t - scrub[i].t));
  const work = stats(scrub.map((entry) => entry.t - entry.frameTime!));
  const missed = scrub
    .slice(1)
    .filter((entry, i) => entry.frameTime! - scrub[i].frameTime! > refresh * 1.5).length;
  console.log(
    `${label}: ${scrub.length} frames ${scrub[0]?.index}→${scrub[scrub.length - 1]?.index} · ` +
      `display interval (frame times) p50 ${ms(display.p50)} p95 ${ms(display.p95)} max ${ms(display.max)} ` +
      `(p95 / refresh ${(display.p95 / refresh).toFixed(2)}) · refreshes without a new frame ${missed} · ` +
      `draw-completion interval p95 ${ms(drawn.p95)} · work per frame p50 ${ms(work.p50)} p95 ${ms(work.p95)} · ` +
      `skipped ${skipped} · repeated ${repeated} · reversed ${reversed}`,
  );
}

async function main(): Promise<void> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'mer-bench-ui-'));
  const datasetRoot = path.join(work, 'dataset');
  let started = performance.now();
  await makeDataset(datasetRoot);
  console.log(
    `dataset: ${CLIPS} clips × ${FRAMES} frames, ${WIDTH}×${HEIGHT} JPEG, 200 fps (made in ${((performance.now() - started) / 1000).toFixed(1)} s)`,
  );
  const host = await startHost(path.join(work, 'app-data'), await freePort(), [
    '--dataset',
    datasetRoot,
  ]);
  const browser = await launchChromium(
    values.unthrottled ? ['--disable-gpu-vsync', '--disable-frame-rate-limit'] : [],
  );
  console.log(`display: ${values.unthrottled ? 'unthrottled (no vsync)' : 'vsync (60 Hz)'}`);
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    // tsx (esbuild keepNames) wraps named functions in __name(): give evaluated code one.
    await page.addInitScript('globalThis.__name = (target) => target;');
    await page.addInitScript(() => {
      (window as unknown as { __merFrameLog: unknown[] }).__merFrameLog = [];
      window.addEventListener(
        'keydown',
        () => ((window as unknown as { __merKeyAt: number }).__merKeyAt = performance.now()),
        true,
      );
    });
    started = performance.now();
    await page.goto(host.url);
    await page.waitForFunction(() =>
      (window as unknown as { __merFrameLog: Array<{ type: string }> }).__merFrameLog.some(
        (e) => e.type === 'draw',
      ),
    );
    console.log(
      `page load → first frame: ${ms(performance.now() - started)} (navigation included)`,
    );

    const refresh = stats(await refreshInterval(page));
    console.log(
      `reference: display refresh (rAF, no work) p50 ${ms(refresh.p50)} p95 ${ms(refresh.p95)}`,
    );
    const raw = await cachedFetch(page, 'sub01/clip1', 0);
    const fetchStats = stats(raw.fetch);
    const decodeStats = stats(raw.decode);
    console.log(
      `reference: raw HTTP fetch of a backend-cached frame p50 ${ms(fetchStats.p50)} p95 ${ms(fetchStats.p95)}; ` +
        `createImageBitmap p50 ${ms(decodeStats.p50)} p95 ${ms(decodeStats.p95)}`,
    );

    // Cold: PageDown at once after the previous clip showed (before the neighbour prefetch runs).
    // Warm: PageDown after a pause, when the next clip's first frame has been decoded ahead.
    const coldFrames: number[] = [];
    const warmFrames: number[] = [];
    for (let c = 1; c < CLIPS; c++) {
      const warm = c > (CLIPS - 1) / 2;
      if (warm) await page.waitForTimeout(1000);
      (warm ? warmFrames : coldFrames).push(await openNext(page, `sub01/clip${c + 1}`));
    }
    for (const [label, samples] of [
      ['cold (not prefetched)', coldFrames],
      ['warm (next clip prefetched)', warmFrames],
    ] as const) {
      const first = stats(samples);
      console.log(
        `first frame of a newly opened clip, ${label} (key → drawn), ${first.n} clips: ` +
          `${samples.map(ms).join(', ')} · p50 ${ms(first.p50)} max ${ms(first.max)} · ` +
          `ratio to a cached raw fetch ${(first.p50 / fetchStats.p50).toFixed(1)}×`,
      );
    }

    await page.keyboard.press('Home');
    await page.waitForTimeout(300);
    reportScrub(
      'hold → (cold: first pass over the frames)',
      await hold(page, 'ArrowRight', HOLD_MS),
      refresh.p50,
    );
    await page.keyboard.press('Home');
    await page.waitForTimeout(300);
    reportScrub(
      'hold → (cached: same frames again)',
      await hold(page, 'ArrowRight', HOLD_MS),
      refresh.p50,
    );
    reportScrub(
      'hold ← (cached, backwards)',
      await hold(page, 'ArrowLeft', HOLD_MS / 2),
      refresh.p50,
    );
  } finally {
    await browser.close();
    await host.stop();
    await rm(work, { recursive: true, force: true });
  }
}

await main();
