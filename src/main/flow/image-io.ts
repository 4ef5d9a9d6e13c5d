import sharp from 'sharp';
import { decodeImageFile } from '../media/image-decode';

import type { GreyImage, RgbaImage } from './types';

/**
 * Decodes an image file (PNG, JPEG, BMP, TIFF, WebP, …; upright after its EXIF orientation) to
 * grey levels 0..255 as Rec. 601 luma of the sRGB values (0.299 R + 0.587 G + 0.114 B), the
 * conversion OpenCV and the IPOL reference use. sharp's own greyscale() converts in linear light
 * and gives measurably different flow.
 */
export async function readGreyImage(file: string): Promise<GreyImage> {
  const { width, height, data } = await decodeImageFile(file, false, file);
  const pixels = width * height;
  const grey = new Float32Array(pixels);
  for (let i = 0, o = 0; i < pixels; i++, o += 3) {
    grey[i] = 0.299 * data[o] + 0.587 * data[o + 1] + 0.114 * data[o + 2];
  }
  return { width, height, data: grey };
}

/** Writes an RGBA image as PNG. */
export async function writeRgbaPng(file: string, image: RgbaImage): Promise<void> {
  await sharp(Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength), {
    raw: { width: image.width, height: image.height, channels: 4 },
  })
    .png()
    .toFile(file);
}
