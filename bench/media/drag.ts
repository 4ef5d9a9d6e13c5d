/**
 * Dragging the playhead across a long-GOP 1080p video through the web host's /frames route:
 * a request every `--every` ms, each `--step` frames further, as the viewer makes them. Measured
 * the way the viewer now asks (each request given up when the next is made) against the way it
 * asked before (every request kept to the end), in the same run on the same host:
 *
 *   npx tsx bench/media/drag.ts [--drags 3] [--targets 12] [--step 45] [--every 60]
 *
 * A negative step drags backwards (`--step=-45`).
 *
 * Prints, per way, the time from the last request to its frame (what the user waits for once the
 * drag stops) and the ffmpeg runs started; asserts nothing.
 */
import http from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { AppContext } from '../../src/main/app/context';
import { dispatch } from '../../src/main/app/handlers';
import { startWebHost, type WebHost } from '../../src/main/host/web';
import { runFfmpeg } from '../../src/main/media/ffmpeg';
import { frameCache } from '../../src/main/media/frame-cache';
import { stopVideoDecoders } from '../../src/main/media/video-frames';
import { videoDecodeStats } from '../../src/main/media/video-decode';

const { values } = parseArgs({
  options: {
    drags: { type: 'string', default: '3' },
    targets: { type: 'string', default: '12' },
    step: { type: 'string', default: '45' },
    every: { type: 'string', default: '60' },
  },
});
const DRAGS = Number(values.drags);
const TARGETS = Number(values.targets);
const STEP = Number(values.step);
const EVERY_MS = Number(values.every);
const FRAMES = 1200;
const CLIP = 'sub01/EP01';

const datasetDir = path.join(os.tmpdir(), 'mer-bench-drag', 'dataset');
const video = path.join(datasetDir, 'sub01', 'EP01.mp4');

async function makeVideo(): Promise<void> {
  if (existsSync(video)) return;
  mkdirSync(path.dirname(video), { recursive: true });
  // 1080p, one keyframe every 240 frames (as phones and screen recorders write), B-frames.
  await runFfmpeg([
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=1920x1080:rate=60:duration=${FRAMES / 60}`,
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-g',
    '240',
    '-bf',
    '3',
    '-pix_fmt',
    'yuv420p',
    '-y',
    video,
  ]);
}

/** One /frames request; `giveUp()` closes it as the viewer's fetch abort does. */
function request(host: WebHost, index: number) {
  let req: http.ClientRequest | null = null;
  const done = new Promise<boolean>((resolve) => {
    req = http.get(
      {
        host: '127.0.0.1',
        port: host.port,
        path: `/frames/${encodeURIComponent(CLIP)}/${index}?token=${host.token}&maxSide=960`,
        headers: { 'sec-fetch-site': 'same-origin' },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode === 200));
      },
    );
    req.on('error', () => resolve(false));
  });
  return { done, giveUp: () => req?.destroy() };
}

async function drag(host: WebHost, start: number, givesUp: boolean) {
  const runsBefore = videoDecodeStats.runs;
  let previous: ReturnType<typeof request> | null = null;
  const all: Promise<boolean>[] = [];
  let last: ReturnType<typeof request> | null = null;
  for (let i = 0; i < TARGETS; i++) {
    if (givesUp) previous?.giveUp();
    last = request(host, (start + i * STEP) % FRAMES);
    all.push(last.done);
    previous = last;
    if (i < TARGETS - 1) await new Promise((resolve) => setTimeout(resolve, EVERY_MS));
  }
  const stopped = performance.now();
  const ok = await last!.done;
  const wait = performance.now() - stopped;
  await Promise.all(all);
  return { wait, ok, runs: videoDecodeStats.runs - runsBefore };
}

async function main(): Promise<void> {
  await makeVideo();
  const base = mkdtempSync(path.join(os.tmpdir(), 'mer-bench-drag-host-'));
  const rendererDir = path.join(base, 'renderer');
  mkdirSync(rendererDir);
  writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html>');
  const ctx = new AppContext('web', path.join(base, 'data'));
  const opened = await dispatch(ctx, 'dataset.open', { path: datasetDir });
  if (!opened.ok) throw new Error(opened.error.message);
  const host = await startWebHost({ ctx, rendererDir });
  const results = { 'gives up': [] as number[], 'keeps all': [] as number[] };
  const runs = { 'gives up': 0, 'keeps all': 0 };
  for (let d = 0; d < DRAGS; d++) {
    // Alternating, each from a cold cache, so both ways see the same load.
    for (const way of ['keeps all', 'gives up'] as const) {
      frameCache.clear();
      stopVideoDecoders();
      await new Promise((resolve) => setTimeout(resolve, 300));
      const start = STEP < 0 ? FRAMES - 100 - d * 7 : 100 + d * 7; // backwards from near the end
      const result = await drag(host, start, way === 'gives up');
      if (!result.ok) throw new Error(`the last frame of a drag (${way}) did not arrive`);
      results[way].push(result.wait);
      runs[way] += result.runs;
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1];
  const keep = median(results['keeps all']);
  const give = median(results['gives up']);
  console.log(
    `drag: ${TARGETS} requests ${STEP} frames apart every ${EVERY_MS} ms, 1080p H.264 GOP 240, ${DRAGS} drags each`,
  );
  console.log(`load average ${os.loadavg()[0].toFixed(2)}`);
  console.log(
    `keeps every request: last frame after ${keep.toFixed(0)} ms (median), ffmpeg runs ${runs['keeps all']}`,
  );
  console.log(
    `gives up passed ones: last frame after ${give.toFixed(0)} ms (median), ffmpeg runs ${runs['gives up']}`,
  );
  console.log(`ratio (keeps all / gives up): ×${(keep / give).toFixed(2)}`);
  await host.close();
  await ctx.close();
}

await main();
