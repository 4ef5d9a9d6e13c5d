import { mkdir, mkdtemp, readFile, rm, truncate, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCasme2, makeSmicHs, tinyJpeg } from '../../../test/fixtures/datasets';
import { AppContext } from '../app/context';
import { openDataset } from '../dataset';
import type { Clip, DatasetIndex } from '../../shared/domain';
import { configureFrameCache, frameCacheStats, DEFAULT_FRAME_CACHE_BYTES } from './frame-cache';
import { frameImage, parseFrameRequest } from './frame-response';
import { decodeFrame } from './frames';
import { jpegInfo } from './image-decode';

let base: string;
let casme: DatasetIndex;
let smic: DatasetIndex;
const size = { width: 64, height: 48 };

beforeAll(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'mer-frames-'));
  await makeCasme2(path.join(base, 'casme'), {
    subjects: 1,
    clipsPerSubject: 2,
    frames: 30,
    firstFrame: 10,
    ...size,
  });
  await makeSmicHs(path.join(base, 'HS'), {
    subjects: 1,
    clipsPerSubject: 1,
    frames: 12,
    firstFrame: 100,
    ...size,
  });
  casme = await openDataset(path.join(base, 'casme'));
  smic = await openDataset(path.join(base, 'HS'));
});

afterAll(async () => {
  configureFrameCache({ budgetBytes: DEFAULT_FRAME_CACHE_BYTES });
  await rm(base, { recursive: true, force: true });
});

const mean = (data: Uint8Array) => data.reduce((sum, v) => sum + v, 0) / data.length;
const clipOf = (dataset: DatasetIndex, n = 0): Clip => dataset.clips[n];

describe('decodeFrame on image sequences', () => {
  it('decodes frame index i from the i-th numbered file, RGB and grey', async () => {
    const clip = clipOf(casme);
    for (const index of [0, 7, 29]) {
      const rgb = await decodeFrame(casme, clip, index);
      expect(rgb).toMatchObject({ width: 64, height: 48, channels: 3 });
      expect(rgb.data.length).toBe(64 * 48 * 3);
      // Fixture frames are flat grey at their frame number (first frame 10).
      expect(Math.abs(mean(rgb.data) - (10 + index))).toBeLessThan(2);
      const grey = await decodeFrame(casme, clip, index, { grey: true });
      expect(grey.channels).toBe(1);
      expect(Math.abs(mean(grey.data) - (10 + index))).toBeLessThan(2);
    }
  });

  it('reads SMIC-HS BMP frames without ffmpeg', async () => {
    const frame = await decodeFrame(smic, clipOf(smic), 5, { grey: true });
    expect(frame).toMatchObject({ width: 64, height: 48, channels: 1 });
    expect(mean(frame.data)).toBe(105);
  });

  it('decodes greyscale JPEGs (SAMM) and PNGs with alpha to grey or RGB', async () => {
    const dir = path.join(base, 'mixed', 'clip');
    await mkdir(dir, { recursive: true });
    const greyJpeg = await tinyJpeg(77, 8, 6, 1);
    expect(jpegInfo(greyJpeg)?.components).toBe(1);
    await writeFile(path.join(dir, 'f1.jpg'), greyJpeg);
    const rgba = Buffer.alloc(8 * 6 * 4);
    for (let i = 0; i < 48; i++) rgba.set([200, 100, 50, 128], i * 4);
    await writeFile(
      path.join(dir, 'f2.png'),
      await sharp(rgba, { raw: { width: 8, height: 6, channels: 4 } })
        .png()
        .toBuffer(),
    );
    const dataset = await openDataset(path.join(base, 'mixed'));
    const clip = clipOf(dataset);
    const greyAsRgb = await decodeFrame(dataset, clip, 0);
    expect(greyAsRgb.channels).toBe(3);
    expect(Math.abs(mean(greyAsRgb.data) - 77)).toBeLessThan(2);
    expect((await decodeFrame(dataset, clip, 0, { grey: true })).channels).toBe(1);
    const png = await decodeFrame(dataset, clip, 1);
    expect(png.channels).toBe(3);
    expect([...png.data.subarray(0, 3)]).toEqual([200, 100, 50]);
    const pngGrey = await decodeFrame(dataset, clip, 1, { grey: true });
    expect(pngGrey.data[0]).toBe((200 * 77 + 100 * 150 + 50 * 29 + 128) >> 8);
  });

  it('scales to a display size', async () => {
    const frame = await decodeFrame(casme, clipOf(casme), 3, { maxSide: 32 });
    expect(frame).toMatchObject({ width: 32, height: 24, channels: 3 });
    const grey = await decodeFrame(casme, clipOf(casme), 3, { maxSide: 32, grey: true });
    expect(grey).toMatchObject({ width: 32, height: 24, channels: 1 });
    expect(grey.data.length).toBe(32 * 24);
  });

  it('refuses indexes outside the clip', async () => {
    await expect(decodeFrame(casme, clipOf(casme), 30)).rejects.toThrow(
      /outside the clip \(0–29\)/,
    );
    await expect(decodeFrame(casme, clipOf(casme), -1)).rejects.toThrow(/outside the clip/);
  });

  it('names the clip, frame and file when a frame is truncated or missing', async () => {
    const dataset = await openDataset(path.join(base, 'casme'));
    const clip = clipOf(dataset, 1);
    const dir = path.join(dataset.root, clip.source.kind === 'images' ? clip.source.dir : '');
    await truncate(path.join(dir, 'img15.jpg'), 200);
    await unlink(path.join(dir, 'img16.jpg'));
    await expect(decodeFrame(dataset, clip, 5)).rejects.toThrow(
      /sub01\/EP03_02f frame 5: cannot decode img15\.jpg: the image is truncated/,
    );
    await expect(decodeFrame(dataset, clip, 6)).rejects.toThrow(
      /sub01\/EP03_02f frame 6: frame file is missing \(img16\.jpg\)/,
    );
    expect((await decodeFrame(dataset, clip, 7)).width).toBe(64);
  });

  it('keeps the frame cache under its byte budget', async () => {
    const budget = 64 * 48 * 3 * 10;
    configureFrameCache({ budgetBytes: budget });
    const clip = clipOf(casme);
    for (let i = 0; i < 30; i++) {
      await decodeFrame(casme, clip, i);
      expect(frameCacheStats().bytes).toBeLessThanOrEqual(budget);
    }
    expect(frameCacheStats().entries).toBe(10);
    configureFrameCache({ budgetBytes: DEFAULT_FRAME_CACHE_BYTES });
  });
});

describe('frameImage (what the renderer gets)', () => {
  const context = async () => {
    const ctx = new AppContext('cli', base);
    ctx.setDataset(casme);
    return ctx;
  };

  it('serves a JPEG source at native size as the original bytes, and encodes other variants', async () => {
    const ctx = await context();
    const clip = clipOf(casme);
    const original = await readFile(path.join(casme.root, 'sub01', 'EP02_01f', 'img12.jpg'));
    const native = await frameImage(ctx, {
      clipId: clip.id,
      index: 2,
      grey: false,
      maxSide: 0,
      prefetch: false,
    });
    expect(native.equals(original)).toBe(true);
    const small = await frameImage(ctx, {
      clipId: clip.id,
      index: 2,
      grey: true,
      maxSide: 32,
      prefetch: false,
    });
    const meta = await sharp(small).metadata();
    expect(meta).toMatchObject({ format: 'jpeg', width: 32, height: 24, channels: 1 });
    const again = await frameImage(ctx, {
      clipId: clip.id,
      index: 2,
      grey: true,
      maxSide: 32,
      prefetch: false,
    });
    expect(again).toBe(small);
  });

  it('encodes BMP frames to JPEG', async () => {
    const ctx = new AppContext('cli', base);
    ctx.setDataset(smic);
    const image = await frameImage(ctx, {
      clipId: clipOf(smic).id,
      index: 0,
      grey: false,
      maxSide: 0,
      prefetch: false,
    });
    expect((await sharp(image).metadata()).format).toBe('jpeg');
  });

  it('prefetches the frames after the one asked for', async () => {
    const ctx = await context();
    const clip = clipOf(casme);
    await frameImage(ctx, { clipId: clip.id, index: 10, grey: true, maxSide: 40, prefetch: true });
    const before = frameCacheStats().entries;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(frameCacheStats().entries).toBeGreaterThan(before);
  });

  it('only reaches clips of the open dataset, by id and index', async () => {
    const ctx = await context();
    await expect(
      frameImage(ctx, { clipId: '../../etc/passwd', index: 0, grey: false, maxSide: 0 }),
    ).rejects.toThrow(/no clip/);
    await expect(
      frameImage(ctx, { clipId: clipOf(casme).id, index: 99, grey: false, maxSide: 0 }),
    ).rejects.toThrow(/outside the clip/);
    expect(
      parseFrameRequest('/sub01%2FEP02_01f/7', new URLSearchParams('grey=1&maxSide=320')),
    ).toMatchObject({
      clipId: 'sub01/EP02_01f',
      index: 7,
      grey: true,
      maxSide: 320,
    });
    expect(parseFrameRequest('/x/-1', new URLSearchParams())).toBeNull();
    for (const maxSide of ['big', '0x10', '1e3', '-1', '9000', ' 320']) {
      expect(parseFrameRequest('/x/1', new URLSearchParams({ maxSide }))).toBeNull();
    }
  });
});
