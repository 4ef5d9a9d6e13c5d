import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AppContext } from '../../src/main/app/context';
import { dispatch } from '../../src/main/app/handlers';
import { openDataset } from '../../src/main/dataset';
import { startWebHost, type WebHost } from '../../src/main/host/web';
import { runningFfmpegCount } from '../../src/main/media/ffmpeg';
import { frameCache } from '../../src/main/media/frame-cache';
import { frameImage, type FrameRequest } from '../../src/main/media/frame-response';
import { decodeFrame } from '../../src/main/media/frames';
import { stopVideoDecoders, videoRun, videoSessionCount } from '../../src/main/media/video-frames';
import { readIndex, writeIndexVideo } from '../fixtures/index-video';

/**
 * A frame the page stopped waiting for (it scrubbed on, or closed) is not decoded to the end:
 * its ffmpeg stops, unless someone else still waits for the same frame.
 */
const CLIP = 'subA/gop';
const defaults = { ...videoRun };
let base: string;
let ctx: AppContext;
let host: WebHost;

beforeAll(async () => {
  base = mkdtempSync(path.join(os.tmpdir(), 'mer-frame-requests-'));
  mkdirSync(path.join(base, 'dataset', 'subA'), { recursive: true });
  await writeIndexVideo(path.join(base, 'dataset', 'subA', 'gop.mp4'), 1200, 25, 'h264');
  const rendererDir = path.join(base, 'renderer');
  mkdirSync(rendererDir);
  writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>t</title>');
  ctx = new AppContext('web', path.join(base, 'data'));
  expect((await dispatch(ctx, 'dataset.open', { path: path.join(base, 'dataset') })).ok).toBe(true);
  host = await startWebHost({ ctx, rendererDir });
});

afterEach(async () => {
  Object.assign(videoRun, defaults);
  frameCache.clear();
  stopVideoDecoders();
  await until(() => runningFfmpegCount() === 0 && videoSessionCount() === 0);
});

afterAll(async () => {
  await host?.close();
  await ctx?.close();
  rmSync(base, { recursive: true, force: true });
});

async function until(condition: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * Decoding a frame starts up to this many frames before it: time enough to give up meanwhile, and
 * frames left after it, so a decoder nobody stopped stays (paused) until it is idle.
 */
function slowDecodes(): void {
  videoRun.behind = 1000;
  videoRun.idleMs = 60_000; // so it is giving up, not idleness, that stops ffmpeg
}

const frame = (index: number): FrameRequest => ({
  clipId: CLIP,
  index,
  grey: false,
  maxSide: 0,
  prefetch: false,
});

describe('frame requests given up', () => {
  it('stop their ffmpeg when nobody else waits for the frame', async () => {
    slowDecodes();
    const gaveUp = new AbortController();
    const pending = frameImage(ctx, frame(500), gaveUp.signal);
    await until(() => runningFfmpegCount() === 1);
    gaveUp.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    await until(() => runningFfmpegCount() === 0);
  });

  it('go on for whoever still waits for the same frame', async () => {
    slowDecodes();
    const gaveUp = new AbortController();
    const abandoned = frameImage(ctx, frame(520), gaveUp.signal);
    const kept = frameImage(ctx, frame(520));
    await until(() => runningFfmpegCount() === 1);
    gaveUp.abort();
    await expect(abandoned).rejects.toMatchObject({ name: 'AbortError' });
    const image = await kept;
    expect([...image.subarray(0, 2)]).toEqual([0xff, 0xd8]);
  });

  it('stop their ffmpeg when the page closes its request to /frames', async () => {
    slowDecodes();
    const request = http.get({
      host: '127.0.0.1',
      port: host.port,
      path: `/frames/${encodeURIComponent(CLIP)}/540?token=${host.token}`,
      headers: { 'sec-fetch-site': 'same-origin' },
    });
    request.on('error', () => undefined);
    await until(() => runningFfmpegCount() === 1);
    request.destroy();
    await until(() => runningFfmpegCount() === 0);
  });
});

describe('a video replaced on disk while its dataset is open', () => {
  it('gives no frame of the new file under the old index, and says to open the dataset again', async () => {
    const root = path.join(base, 'replaced');
    mkdirSync(path.join(root, 'subA'), { recursive: true });
    const file = path.join(root, 'subA', 'clip.mp4');
    await writeIndexVideo(file, 120, 25, 'h264');
    const dataset = await openDataset(root);
    const clip = dataset.clips[0];
    expect(readIndex(await decodeFrame(dataset, clip, 10))).toBe(10);
    // Re-exported under the same name: shorter, its frames shifted.
    await writeIndexVideo(path.join(base, 'new.mp4'), 60, 25, 'h264');
    stopVideoDecoders();
    frameCache.clear();
    renameSync(path.join(base, 'new.mp4'), file);
    await expect(decodeFrame(dataset, clip, 50)).rejects.toThrow(
      /subA\/clip: clip\.mp4 changed on disk since the dataset was opened: open the dataset again/,
    );
    const reopened = await openDataset(root);
    expect(reopened.clips[0].frameCount).toBe(60);
    expect(readIndex(await decodeFrame(reopened, reopened.clips[0], 50))).toBe(50);
  });
});
