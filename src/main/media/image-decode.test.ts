import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clip, DatasetIndex } from '../../shared/domain';
import { encodedFrame } from './frame-response';
import { decodeImageFile, jpegInfo } from './image-decode';

/** 4 columns × 2 rows, left half black, right half white: its orientation is visible. */
const WIDE = Buffer.from([0, 0, 255, 255, 0, 0, 255, 255]);

async function orientedJpeg(orientation: number): Promise<Buffer> {
  return sharp(WIDE, { raw: { width: 4, height: 2, channels: 1 } })
    .jpeg({ quality: 100 })
    .withMetadata({ orientation })
    .toBuffer();
}

describe('EXIF orientation of frame images', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mer-orientation-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads the orientation and the size as shown from the headers', async () => {
    expect(jpegInfo(await orientedJpeg(1))).toMatchObject({ width: 4, height: 2, orientation: 1 });
    expect(jpegInfo(await orientedJpeg(6))).toMatchObject({ width: 2, height: 4, orientation: 6 });
    expect(jpegInfo(await orientedJpeg(3))).toMatchObject({ width: 4, height: 2, orientation: 3 });
  });

  it('decodes a frame upright, as the camera and the browser show it', async () => {
    const file = path.join(dir, 'turned.jpg');
    await writeFile(file, await orientedJpeg(6)); // stored turned: shown rotated 90° clockwise
    const frame = await decodeImageFile(file, true, 'test');
    expect([frame.width, frame.height]).toEqual([2, 4]);
    // The stored left (black) half becomes the top rows.
    expect(frame.data[0]).toBeLessThan(60);
    expect(frame.data[frame.data.length - 1]).toBeGreaterThan(200);
    const upsideDown = path.join(dir, 'upside-down.jpg');
    await writeFile(upsideDown, await orientedJpeg(3));
    const flipped = await decodeImageFile(upsideDown, true, 'test');
    expect([flipped.width, flipped.height]).toEqual([4, 2]);
    expect(flipped.data[0]).toBeGreaterThan(200); // the white half is now on the left
  });

  it('serves a turned JPEG upright, without the orientation a browser would apply again', async () => {
    await writeFile(path.join(dir, 'served.jpg'), await orientedJpeg(6));
    const clip: Clip = {
      id: 's/c',
      subject: 's',
      name: 'c',
      fps: 200,
      frameCount: 1,
      source: { kind: 'images', dir: '.', files: ['served.jpg'] },
      problems: [],
    };
    const dataset: DatasetIndex = {
      root: dir,
      kind: 'generic',
      name: 'd',
      fps: 200,
      subjects: ['s'],
      clips: [clip],
      problems: [],
      official: {},
    };
    const served = await encodedFrame(dataset, clip, 0, false, 0);
    const meta = await sharp(served).metadata();
    expect([meta.width, meta.height, meta.orientation ?? 1]).toEqual([2, 4, 1]);
  });
});
