import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppContext } from '../app/context';
import { dispatch } from '../app/handlers';
import { runFfmpeg } from '../media/ffmpeg';
import { greyPixels, smooth, suggestApex } from './curve';
import { MAX_CURVE_JOBS } from './handlers';

/** Frame i has grey level 100 + a bump peaking at PEAK; a bright square moves with it. */
const FRAMES = 30;
const PEAK = 17;
const level = (i: number) => 100 + Math.max(0, 40 - 5 * Math.abs(i - PEAK));

async function makeClip(root: string): Promise<void> {
  const dir = path.join(root, 'sub01', 'clip01');
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < FRAMES; i++) {
    const pixels = Buffer.alloc(64 * 48, level(i));
    await sharp(pixels, { raw: { width: 64, height: 48, channels: 1 } })
      .jpeg({ quality: 95 })
      .toFile(path.join(dir, `img${String(i + 1).padStart(3, '0')}.jpg`));
  }
  await mkdir(path.join(root, '.mer-studio'), { recursive: true });
  await writeFile(path.join(root, '.mer-studio', 'dataset.json'), JSON.stringify({ fps: 200 }));
}

describe('motion service', () => {
  let ctx: AppContext;
  const progress: number[] = [];

  beforeAll(async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'mer-motion-'));
    await makeClip(path.join(root, 'data'));
    ctx = new AppContext('cli', path.join(root, 'app'));
    ctx.events.on('job.progress', (event: { done: number }) => progress.push(event.done));
    const opened = await dispatch(ctx, 'dataset.open', { path: path.join(root, 'data') });
    expect(opened.ok).toBe(true);
  });

  afterAll(() => ctx.close());

  it('computes the difference curve in a worker, with progress, and suggests the peak as apex', async () => {
    const reply = await dispatch(ctx, 'motion.curve', {
      clipId: 'sub01/clip01',
      jobId: 'j1',
      reference: 0,
    });
    if (!reply.ok) throw new Error(reply.error.message);
    const curve = reply.result as {
      values: number[];
      suggestedApex: number | null;
      failedFrames: number[];
    };
    expect(curve.values).toHaveLength(FRAMES);
    expect(curve.values[0]).toBeCloseTo(0, 0);
    expect(curve.values[PEAK]).toBeGreaterThan(35);
    expect(curve.suggestedApex).toBe(PEAK);
    expect(curve.failedFrames).toEqual([]);
    expect(progress.length).toBeGreaterThan(0);
  }, 60_000);

  it('cancels a running curve', async () => {
    const pending = dispatch(ctx, 'motion.curve', { clipId: 'sub01/clip01', jobId: 'j2' });
    const cancelled = await dispatch(ctx, 'motion.cancel', { jobId: 'j2' });
    expect(cancelled).toEqual({ ok: true, result: { cancelled: true } });
    const reply = await pending;
    expect(reply.ok).toBe(false);
    if (!reply.ok) expect(reply.error.code).toBe('cancelled');
  }, 60_000);

  it('runs a few curves at once and refuses more, each its own worker', async () => {
    const jobIds = Array.from({ length: MAX_CURVE_JOBS + 1 }, (_, i) => `many-${i}`);
    const replies = jobIds.map((jobId) =>
      dispatch(ctx, 'motion.curve', { clipId: 'sub01/clip01', jobId, reference: 0 }),
    );
    const refused = await replies[MAX_CURVE_JOBS];
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.error.message).toMatch(/being computed already/);
    const finished = await Promise.all(replies.slice(0, MAX_CURVE_JOBS));
    expect(finished.every((reply) => reply.ok)).toBe(true);
  }, 60_000);

  it('makes the amplified difference image and refuses a frame beyond the clip', async () => {
    const reply = await dispatch(ctx, 'motion.difference', {
      clipId: 'sub01/clip01',
      index: PEAK,
      reference: 0,
      gain: 2,
    });
    if (!reply.ok) throw new Error(reply.error.message);
    const result = reply.result as { image: string; meanDifference: number; width: number };
    expect(result.image.startsWith('data:image/jpeg;base64,')).toBe(true);
    expect(result.width).toBe(64);
    expect(result.meanDifference).toBeGreaterThan(35);
    const small = await dispatch(ctx, 'motion.difference', {
      clipId: 'sub01/clip01',
      index: PEAK,
      reference: 0,
      gain: 2,
      maxSide: 32,
    });
    if (!small.ok) throw new Error(small.error.message);
    expect((small.result as { width: number; meanDifference: number }).width).toBe(32);
    expect((small.result as { meanDifference: number }).meanDifference).toBeGreaterThan(35);
    const beyond = await dispatch(ctx, 'motion.difference', {
      clipId: 'sub01/clip01',
      index: 99,
      reference: 0,
    });
    expect(beyond.ok).toBe(false);
    if (!beyond.ok) expect(beyond.error.message).toContain('outside the clip');
  });

  it('computes the flow colour wheel and strain heatmap onset→apex', async () => {
    const reply = await dispatch(ctx, 'motion.strain', {
      clipId: 'sub01/clip01',
      onset: 0,
      apex: PEAK,
    });
    if (!reply.ok) throw new Error(reply.error.message);
    const maps = reply.result as { flowImage: string; strainImage: string; width: number };
    expect(maps.flowImage.startsWith('data:image/png;base64,')).toBe(true);
    expect(maps.strainImage.startsWith('data:image/png;base64,')).toBe(true);
    expect(maps.width).toBe(64);
  }, 60_000);
});

describe.skipIf(process.platform !== 'linux')('a cancelled curve on a video', () => {
  it('leaves no ffmpeg process behind (none unreaped)', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'mer-motion-video-'));
    await mkdir(path.join(root, 'data', 'sub01'), { recursive: true });
    await runFfmpeg([
      ...['-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=200', '-frames:v', '1200'],
      ...['-c:v', 'libx264', '-g', '50', '-pix_fmt', 'yuv420p'],
      path.join(root, 'data', 'sub01', 'long.mp4'),
    ]);
    const ctx = new AppContext('cli', path.join(root, 'app'));
    expect((await dispatch(ctx, 'dataset.open', { path: path.join(root, 'data') })).ok).toBe(true);
    const clipId = ctx.requireDataset().clips[0].id;
    for (let round = 0; round < 3; round++) {
      const jobId = `video-${round}`;
      const started = new Promise((resolve) =>
        ctx.events.on(
          'job.progress',
          (event: { jobId: string }) => event.jobId === jobId && resolve(0),
        ),
      );
      const curve = dispatch(ctx, 'motion.curve', { clipId, jobId, reference: 0 });
      await started;
      expect(await dispatch(ctx, 'motion.cancel', { jobId })).toEqual({
        ok: true,
        result: { cancelled: true },
      });
      expect((await curve).ok).toBe(false);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(unreapedFfmpeg()).toEqual([]);
    await ctx.close();
  }, 120_000);
});

/** This process's ffmpeg children that have exited but were never reaped (zombies). */
function unreapedFfmpeg(): string[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((entry) => {
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const [state, parent] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        return Number(parent) === process.pid && state === 'Z' && name === 'ffmpeg' ? [entry] : [];
      } catch {
        return [];
      }
    });
}

describe('grey pixels', () => {
  it('reads one value per pixel from grey or RGB data', () => {
    const grey = new Uint8Array([1, 2]);
    expect(greyPixels({ width: 2, height: 1, data: grey })).toBe(grey);
    const rgb = new Uint8Array([255, 255, 255, 0, 0, 0]);
    expect([...greyPixels({ width: 2, height: 1, data: rgb })]).toEqual([255, 0]);
    expect(() => greyPixels({ width: 2, height: 1, data: new Uint8Array(3) })).toThrow(RangeError);
  });
});

describe('apex suggestion', () => {
  it('takes the smoothed peak inside the range, null on a flat curve', () => {
    expect(smooth([0, 3, 0], 1)).toEqual([1.5, 1, 1.5]);
    expect(suggestApex([0, 1, 2, 8, 9, 8, 1, 0], 0, 7)).toBe(4);
    expect(suggestApex([0, 1, 2, 8, 9, 8, 1, 0], 0, 2)).toBe(2);
    expect(suggestApex([5, 5, 5, 5], 0, 3)).toBeNull();
  });
});
