import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';

import { readGreyImage, writeRgbaPng } from './image-io';

const dirPromise = mkdtemp(path.join(tmpdir(), 'mer-image-io-'));
afterAll(async () => rm(await dirPromise, { recursive: true, force: true }));

describe('image files', () => {
  it('reads colour as Rec.601 luma and writes RGBA PNGs', async () => {
    const file = path.join(await dirPromise, 'rgba.png');
    // Red, green, blue, white; alpha is dropped, not applied.
    const pixels = Uint8ClampedArray.of(
      ...[255, 0, 0, 255],
      ...[0, 255, 0, 128],
      ...[0, 0, 255, 255],
      ...[255, 255, 255, 0],
    );
    await writeRgbaPng(file, { width: 2, height: 2, data: pixels });
    const grey = await readGreyImage(file);
    expect([grey.width, grey.height]).toEqual([2, 2]);
    const expected = [0.299 * 255, 0.587 * 255, 0.114 * 255, 255];
    grey.data.forEach((value, i) => expect(value).toBeCloseTo(expected[i], 3));
  });

  it('reads a grey PNG unchanged', async () => {
    const file = path.join(await dirPromise, 'grey.png');
    await sharp(Buffer.from([0, 10, 200, 255, 7, 99]), {
      raw: { width: 3, height: 2, channels: 1 },
    })
      .png()
      .toFile(file);
    const grey = await readGreyImage(file);
    expect(Array.from(grey.data)).toEqual([0, 10, 200, 255, 7, 99]);
  });

  it('rejects a file that is not an image', async () => {
    const file = path.join(await dirPromise, 'not-an-image.png');
    await writeFile(file, 'hello');
    await expect(readGreyImage(file)).rejects.toThrow();
  });
});
