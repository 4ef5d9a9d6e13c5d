import sharp from 'sharp';

import type { GreyImage, RgbaImage } from './types';

/**
 * Decodes an image file (PNG, JPEG, …) to grey levels 0..255 as Rec. 601 luma of the sRGB values
 * (0.299 R + 0.587 G + 0.114 B), the conversion OpenCV and the IPOL reference use. sharp's own
 * greyscale() converts in linear light and gives measurably different flow.
 */
export async function readGreyImage(file: string): Promise<GreyImage> {
  const { data, info } = await sharp(file)
    .rotate() // as viewers show it: upright after its EXIF orientation
    .removeAlpha()
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  const pixels = info.width * info.height;
  if (data.length !== pixels * info.channels || (info.channels !== 1 && info.channels < 3)) {
    throw new Error(`${file}: unsupported pixel layout (${info.channels} channels)`);
  }
  const grey = new Float32Array(pixels);
  if (info.channels === 1) {
    for (let i = 0; i < pixels; i++) grey[i] = data[i];
  } else {
    const step = info.channels;
    for (let i = 0; i < pixels; i++) {
      const o = i * step;
      grey[i] = 0.299 * data[o] + 0.587 * data[o + 1] + 0.114 * data[o + 2];
    }
  }
  return { width: info.width, height: info.height, data: grey };
}

/** Writes an RGBA image as PNG. */
export async function writeRgbaPng(file: string, image: RgbaImage): Promise<void> {
  await sharp(Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength), {
    raw: { width: image.width, height: image.height, channels: 4 },
  })
    .png()
    .toFile(file);
}
