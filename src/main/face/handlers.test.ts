import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaceInspection } from '../../shared/contract/face';
import { AppContext } from '../app/context';
import { generateDemoDataset, type DemoManifest } from '../dataset/demo/generate';
import { openDataset } from '../dataset';
import { faceHandlers } from './handlers';

type Inspect = (
  args: { clipId: string; onset: number; apex: number; includeNose: boolean },
  ctx: AppContext,
) => Promise<FaceInspection>;
const inspect = faceHandlers['face.inspect'] as Inspect;

describe('face.inspect on the demo dataset', () => {
  let dir: string;
  let ctx: AppContext;
  let manifest: DemoManifest;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mer-face-'));
    manifest = await generateDemoDataset(dir, {
      subjects: 1,
      clipsPerSubject: 1,
      framesPerClip: 20,
    });
    ctx = new AppContext('cli', dir);
    ctx.setDataset(await openDataset(dir));
  }, 60_000);

  afterAll(async () => {
    await ctx?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('returns landmarks, points, images and timings for the onset/apex pair', async () => {
    const truth = manifest.clips[0];
    const clipId = ctx.requireDataset().clips[0].id;
    const result = await inspect(
      { clipId, onset: truth.onset, apex: truth.apex, includeNose: true },
      ctx,
    );
    expect(result.status).not.toBe('failed');
    expect(result.landmarks).toHaveLength(2 * 468);
    expect(result.frame).toEqual({ width: 640, height: 480 });
    expect(result.points!.leftEye.x).toBeLessThan(result.points!.rightEye.x);
    expect(result.mosaicWindows.map((w) => w.region)).toContain('nose');
    for (const url of [result.images!.onsetCrop, result.images!.flowColor, result.images!.mosaic]) {
      expect(url).toMatch(/^data:image\/png;base64,/);
    }
    for (const stage of ['decode', 'landmarks', 'align', 'flow', 'maps', 'render']) {
      expect(result.timings[stage]).toBeGreaterThanOrEqual(0);
    }
    // The demo clip's motion is local to the brows or the mouth: the strongest region is one of them.
    const m = result.regionMotion!;
    const strongest = Object.entries(m).sort((a, b) => b[1] - a[1])[0][0];
    const expected = truth.threeClass === 'positive' ? /Mouth/ : /Eye/;
    expect(strongest).toMatch(expected);
  });

  it('reports onset == apex as a failed status with a reason', async () => {
    const clipId = ctx.requireDataset().clips[0].id;
    const result = await inspect({ clipId, onset: 3, apex: 3, includeNose: false }, ctx);
    expect(result.status).toBe('failed');
    expect(result.reasons[0]).toMatch(/identical/);
    expect(result.images).toBeNull();
  });
});
