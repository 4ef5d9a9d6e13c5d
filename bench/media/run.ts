/**
 * Media benchmark: decoding throughput and frame-request latency of the backend, against plain
 * ffmpeg decoding the same inputs in the same run, plus memory under the cache budget.
 *
 *   npx tsx --expose-gc bench/media/run.ts [--frames 400] [--samples 100]
 *
 * Input: a 200 fps 640×480 JPEG sequence made by the demo generator, and an H.264 encode of it
 * (GOP 50, 3 B-frames). Both are cached in $TMPDIR/mer-bench-media between runs. Prints figures,
 * asserts nothing; the load average is printed with the results.
 *
 * H.264 references: decoding to null (no pixel conversion), to rgb24 then null (what our RGB
 * frames cost ffmpeg), and rgb24 written into a pipe this process reads and drops (the least it
 * costs to get the pixels into Node). Each is the best of 3 runs.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { AppContext } from '../../src/main/app/context';
import { openDataset } from '../../src/main/dataset';
import { generateDemoDataset } from '../../src/main/dataset/demo/generate';
import { locateFfmpeg, runFfmpeg } from '../../src/main/media/ffmpeg';
import { configureFrameCache, frameCache, frameCacheStats } from '../../src/main/media/frame-cache';
import { cancelPrefetch, frameImage } from '../../src/main/media/frame-response';
import { decodeFrame } from '../../src/main/media/frames';
import { videoDecodeStats } from '../../src/main/media/video-decode';
import type { Clip, DatasetIndex } from '../../src/shared/domain';

const { values } = parseArgs({
  options: {
    frames: { type: 'string', default: '400' },
    samples: { type: 'string', default: '100' },
  },
});
const FRAMES = Number(values.frames);
const SAMPLES = Number(values.samples);
const work = path.join(os.tmpdir(), 'mer-bench-media');
const imagesDir = path.join(work, `jpeg-${FRAMES}`);
const videoDir = path.join(work, `video-${FRAMES}`);
const videoFile = path.join(videoDir, 'sub01', 'EP01.mp4');

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function stats(times: number[]): { p50: number; p95: number; mean: number } {
  const sorted = [...times].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    mean: times.reduce((s, t) => s + t, 0) / times.length,
  };
}

const ms = (value: number) => `${value.toFixed(value < 1 ? 3 : 1)} ms`;
const show = (label: string, times: number[]) => {
  const s = stats(times);
  console.log(
    `  ${label.padEnd(58)} p50 ${ms(s.p50).padStart(9)}   p95 ${ms(s.p95).padStart(9)}   (n=${times.length})`,
  );
  return s;
};

async function timeIt(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

/** Wall time of an ffmpeg command, best of `repeats`. */
function ffmpegSeconds(args: string[], repeats = 3): number {
  let best = Infinity;
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    const result = spawnSync(locateFfmpeg().path, [
      '-hide_banner',
      '-nostdin',
      '-loglevel',
      'error',
      ...args,
    ]);
    if (result.status !== 0) throw new Error(`ffmpeg ${args.join(' ')} failed: ${result.stderr}`);
    best = Math.min(best, performance.now() - start);
  }
  return best / 1000;
}

/** Wall time of ffmpeg writing raw frames into a pipe read (and dropped) by this process, best of `repeats`. */
async function ffmpegPipeSeconds(args: string[], repeats = 3): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    const child = spawn(
      locateFfmpeg().path,
      ['-hide_banner', '-nostdin', '-loglevel', 'error', ...args, '-f', 'rawvideo', '-'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    child.stdout.on('data', () => undefined);
    const code = await new Promise((resolve) => child.on('close', resolve));
    if (code !== 0) throw new Error(`ffmpeg ${args.join(' ')} failed (exit ${String(code)})`);
    best = Math.min(best, performance.now() - start);
  }
  return best / 1000;
}

function randomIndexes(count: number, frames: number, seed = 11): number[] {
  let state = seed;
  return Array.from({ length: count }, () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state % frames;
  });
}

async function prepareInputs(): Promise<void> {
  if (!existsSync(path.join(imagesDir, 'mer-demo.json'))) {
    console.log(`generating ${FRAMES} frames 640×480 with the demo generator (once) …`);
    await generateDemoDataset(imagesDir, {
      subjects: 1,
      clipsPerSubject: 1,
      framesPerClip: FRAMES,
    });
  }
  if (!existsSync(videoFile)) {
    const clipDir = path.join(imagesDir, 'sub01', 'EP01');
    await rm(videoDir, { recursive: true, force: true });
    await import('node:fs/promises').then((fs) =>
      fs.mkdir(path.dirname(videoFile), { recursive: true }),
    );
    await runFfmpeg([
      '-framerate',
      '200',
      '-start_number',
      '1',
      '-i',
      path.join(clipDir, 'img%d.jpg'),
      '-c:v',
      'libx264',
      '-preset',
      'medium',
      '-crf',
      '18',
      '-g',
      '50',
      '-bf',
      '3',
      '-pix_fmt',
      'yuv420p',
      '-y',
      videoFile,
    ]);
  }
}

async function decodeAll(dataset: DatasetIndex, clip: Clip, grey: boolean): Promise<number> {
  frameCache.clear();
  const seconds =
    (await timeIt(async () => {
      for (let i = 0; i < clip.frameCount; i++) await decodeFrame(dataset, clip, i, { grey });
    })) / 1000;
  return clip.frameCount / seconds;
}

/** Frames/s with `parallel` decodes in flight (what request + prefetch can reach). */
async function decodeAllParallel(
  dataset: DatasetIndex,
  clip: Clip,
  parallel: number,
): Promise<number> {
  frameCache.clear();
  let next = 0;
  const seconds =
    (await timeIt(() =>
      Promise.all(
        Array.from({ length: parallel }, async () => {
          while (next < clip.frameCount) await decodeFrame(dataset, clip, next++);
        }),
      ),
    )) / 1000;
  return clip.frameCount / seconds;
}

async function coldLatencies(
  request: (index: number) => Promise<unknown>,
  indexes: number[],
  settleMs = 0,
): Promise<number[]> {
  const times: number[] = [];
  for (const index of indexes) {
    frameCache.clear();
    times.push(await timeIt(() => request(index)));
    if (settleMs > 0) await new Promise((resolve) => setTimeout(resolve, settleMs));
  }
  return times;
}

async function cachedLatencies(
  request: (index: number) => Promise<unknown>,
  indexes: number[],
): Promise<number[]> {
  for (const index of indexes) await request(index);
  const times: number[] = [];
  for (const index of indexes) times.push(await timeIt(() => request(index)));
  return times;
}

/** Steps through frames as a coder scrubbing forward would (request, wait 10 ms, next). */
async function playback(
  ctx: AppContext,
  dataset: DatasetIndex,
  clip: Clip,
  maxSide: number,
): Promise<number[]> {
  ctx.setDataset(dataset);
  frameCache.clear();
  const times: number[] = [];
  const from = Math.floor(clip.frameCount / 3);
  for (let index = from; index < Math.min(clip.frameCount, from + 150); index++) {
    times.push(
      await timeIt(() => frameImage(ctx, { clipId: clip.id, index, grey: false, maxSide })),
    );
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return times;
}

/** Full collections with a pause between, so freed buffers are really gone from the figures. */
async function collect(): Promise<void> {
  for (let i = 0; i < 3 && global.gc; i++) {
    global.gc();
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function memory(): string {
  const usage = process.memoryUsage();
  const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
  return `rss ${mib(usage.rss)}, heap ${mib(usage.heapUsed)}, array buffers ${mib(usage.arrayBuffers)} (native external ${mib(usage.external - usage.arrayBuffers)}), cache ${mib(frameCacheStats().bytes)} (${frameCacheStats().entries} entries)`;
}

async function main(): Promise<void> {
  console.log(
    `media benchmark — ffmpeg ${locateFfmpeg().version} (${locateFfmpeg().source}), ${os.cpus().length} cores, load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  await prepareInputs();
  const images = await openDataset(imagesDir);
  const video = await openDataset(videoDir);
  const imageClip = images.clips[0];
  const videoClip = video.clips[0];
  const frameFiles = (await readdir(path.join(imagesDir, 'sub01', 'EP01'))).length;
  console.log(
    `inputs: ${imageClip.frameCount} JPEG frames ${imageClip.width}×${imageClip.height} (${frameFiles} files), H.264 ${videoClip.frameCount} frames ${videoClip.width}×${videoClip.height} @ ${videoClip.fps} fps`,
  );

  console.log('\n1. decode throughput (every frame, in order, native size, cache emptied first)');
  const jpegRef =
    FRAMES /
    ffmpegSeconds([
      '-framerate',
      '200',
      '-start_number',
      '1',
      '-i',
      path.join(imagesDir, 'sub01', 'EP01', 'img%d.jpg'),
      '-f',
      'null',
      '-',
    ]);
  const jpegRefRgb =
    FRAMES /
    ffmpegSeconds([
      '-framerate',
      '200',
      '-start_number',
      '1',
      '-i',
      path.join(imagesDir, 'sub01', 'EP01', 'img%d.jpg'),
      '-pix_fmt',
      'rgb24',
      '-f',
      'null',
      '-',
    ]);
  // Warm-up (file cache, sharp, JIT), not measured.
  for (let i = 0; i < Math.min(40, imageClip.frameCount); i++) {
    await decodeFrame(images, imageClip, i);
    await decodeFrame(images, imageClip, i, { grey: true });
  }
  const jpegRgb = await decodeAll(images, imageClip, false);
  const jpegGrey = await decodeAll(images, imageClip, true);
  const jpegParallel = await decodeAllParallel(images, imageClip, 2);
  const videoRef = FRAMES / ffmpegSeconds(['-i', videoFile, '-f', 'null', '-']);
  const videoRefRgb =
    FRAMES / ffmpegSeconds(['-i', videoFile, '-pix_fmt', 'rgb24', '-f', 'null', '-']);
  const videoRefPipe = FRAMES / (await ffmpegPipeSeconds(['-i', videoFile, '-pix_fmt', 'rgb24']));
  const runsBefore = videoDecodeStats.runs;
  const videoRgb = await decodeAll(video, videoClip, false);
  const runs = videoDecodeStats.runs - runsBefore;
  const videoGrey = await decodeAll(video, videoClip, true);
  const row = (label: string, fps: number, ref: number) =>
    console.log(
      `  ${label.padEnd(58)} ${fps.toFixed(0).padStart(6)} frames/s   ×${(fps / ref).toFixed(2)} of reference`,
    );
  row('ffmpeg -i img%d.jpg -f null - (reference)', jpegRef, jpegRef);
  row('ffmpeg -i img%d.jpg -pix_fmt rgb24 -f null - (2nd reference)', jpegRefRgb, jpegRef);
  row('decodeFrame JPEG sequence, RGB (sharp, in-process)', jpegRgb, jpegRef);
  row('decodeFrame JPEG sequence, grey', jpegGrey, jpegRef);
  row('decodeFrame JPEG sequence, RGB, 2 decodes in flight', jpegParallel, jpegRef);
  row('ffmpeg -i EP01.mp4 -f null - (reference)', videoRef, videoRef);
  row('ffmpeg -i EP01.mp4 -pix_fmt rgb24 -f null - (2nd reference)', videoRefRgb, videoRef);
  row('ffmpeg … -pix_fmt rgb24 -f rawvideo - | this process (3rd)', videoRefPipe, videoRef);
  row(`decodeFrame H.264, RGB (${runs} ffmpeg runs for ${FRAMES} frames)`, videoRgb, videoRef);
  row('decodeFrame H.264, grey', videoGrey, videoRef);
  console.log(
    `  decodeFrame H.264 RGB against the rgb24 references: ×${(videoRgb / videoRefRgb).toFixed(2)} of -f null, ×${(videoRgb / videoRefPipe).toFixed(2)} of the pipe`,
  );

  console.log('\n2. frame-request latency (random frames)');
  const ctx = new AppContext('cli', work);
  ctx.setDataset(images);
  const indexes = randomIndexes(SAMPLES, FRAMES);
  const image = (index: number, maxSide: number, grey = false) =>
    frameImage(ctx, { clipId: imageClip.id, index, grey, maxSide, prefetch: false });
  const coldDecode = show(
    'cold decodeFrame, JPEG 640×480 RGB',
    await coldLatencies((i) => decodeFrame(images, imageClip, i), indexes),
  );
  show(
    'cold decodeFrame, JPEG 640×480 grey',
    await coldLatencies((i) => decodeFrame(images, imageClip, i, { grey: true }), indexes),
  );
  const coldImage = show(
    'cold frameImage, JPEG native size (original bytes served)',
    await coldLatencies((i) => image(i, 0), indexes),
  );
  const coldScaled = show(
    'cold frameImage, JPEG → 320 px display JPEG',
    await coldLatencies((i) => image(i, 320), indexes),
  );
  show(
    'cold frameImage, JPEG → grey 640 px display JPEG',
    await coldLatencies((i) => image(i, 640, true), indexes),
  );
  const cachedImage = show(
    'cached frameImage (encoded JPEG from the cache), 320 px',
    await cachedLatencies((i) => image(i, 320), indexes),
  );
  const cachedDecode = show(
    'cached decodeFrame (raw pixels from the cache)',
    await cachedLatencies((i) => decodeFrame(images, imageClip, i), indexes),
  );
  ctx.setDataset(video);
  const videoIndexes = indexes.slice(0, Math.min(40, SAMPLES));
  const coldVideo = show(
    'cold decodeFrame, H.264 random seek (spawn + seek + decode)',
    await coldLatencies((i) => decodeFrame(video, videoClip, i), videoIndexes, 250),
  );
  frameCache.clear();
  const start = Math.floor(FRAMES / 4);
  await decodeFrame(video, videoClip, start);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const stepTimes: number[] = [];
  for (let i = start + 1; i < start + 21; i++)
    stepTimes.push(await timeIt(() => decodeFrame(video, videoClip, i)));
  show('H.264 stepping +1 after a request (frames of the same run)', stepTimes);
  const cachedVideo = show(
    'cached frameImage, H.264 frame',
    await cachedLatencies(
      (i) =>
        frameImage(ctx, {
          clipId: videoClip.id,
          index: i,
          grey: false,
          maxSide: 0,
          prefetch: false,
        }),
      videoIndexes,
    ),
  );
  const playImages = show(
    'playback +1 every 10 ms, prefetch on, frameImage JPEG → 320 px',
    (await playback(ctx, images, imageClip, 320)).slice(1),
  );
  const playVideo = show(
    'playback +1 every 10 ms, prefetch on, frameImage H.264 native',
    (await playback(ctx, video, videoClip, 0)).slice(1),
  );

  console.log(
    '\n3. memory under a 128 MiB cache budget (all frames, RGB + grey, both inputs, display JPEGs)',
  );
  // Let the playback's prefetch and read-ahead runs end before measuring.
  cancelPrefetch(images);
  cancelPrefetch(video);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  configureFrameCache({ budgetBytes: 128 * 1024 * 1024 });
  frameCache.clear();
  await new Promise((resolve) => setTimeout(resolve, 500));
  await collect();
  console.log(
    `  before: ${memory()}${global.gc ? '' : '   (run with --expose-gc for figures after collection)'}`,
  );
  for (const [dataset, clip] of [
    [images, imageClip],
    [video, videoClip],
  ] as const) {
    for (let i = 0; i < clip.frameCount; i++) {
      await decodeFrame(dataset, clip, i);
      await decodeFrame(dataset, clip, i, { grey: true });
    }
  }
  ctx.setDataset(images);
  for (let i = 0; i < FRAMES; i++) await image(i, 320);
  await collect();
  console.log(`  after:  ${memory()}`);
  console.log(
    `  peak rss over the whole run: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB (default cache budget 512 MiB in sections 1–2)`,
  );
  const raw = FRAMES * 640 * 480 * 4 * 2;
  console.log(
    `  (decoded pixels touched: ${(raw / 1024 / 1024).toFixed(0)} MiB; cache held ≤ budget: ${frameCacheStats().bytes <= frameCacheStats().budgetBytes})`,
  );

  console.log('\nsummary against targets');
  console.log(
    `  cached frame p95: frameImage ${ms(cachedImage.p95)}, decodeFrame ${ms(cachedDecode.p95)}, H.264 frameImage ${ms(cachedVideo.p95)} (target ≤ 5 ms)`,
  );
  console.log(
    `  cold JPEG frame p95 at 640×480: decodeFrame ${ms(coldDecode.p95)}, frameImage native ${ms(coldImage.p95)}, frameImage 320 px ${ms(coldScaled.p95)} (target ≤ 30 ms)`,
  );
  console.log(
    `  playback with prefetch p95 (after the first, cold request): JPEG 320 px ${ms(playImages.p95)}, H.264 ${ms(playVideo.p95)}`,
  );
  console.log(
    `  cold H.264 random seek p95: ${ms(coldVideo.p95)} (no target; a seek starts ffmpeg)`,
  );
  console.log(
    `  H.264 in order, RGB: ${videoRgb.toFixed(0)} frames/s, ×${(videoRgb / videoRefRgb).toFixed(2)} of ffmpeg -pix_fmt rgb24 -f null (target ≥ ×0.5)`,
  );
  console.log(
    `  load at end: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
}

await main();
