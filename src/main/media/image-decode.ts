import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { decodeBmp } from './bmp';
import type { RawFrame } from './pam';

// Frames are decoded one at a time on request; libvips' own cache only duplicates ours.
sharp.cache(false);

/**
 * Decodes one frame image in-process: JPEG and PNG through sharp (libvips), BMP with our decoder.
 * Errors name the file and say what is wrong (missing, truncated, not an image).
 */
export async function decodeImageFile(
  file: string,
  grey: boolean,
  label: string,
): Promise<RawFrame> {
  const bytes = await readFile(file).catch((error: NodeJS.ErrnoException) => {
    throw new Error(`${label}: ${describeReadError(error)} (${path.basename(file)})`);
  });
  if (bytes.length === 0) throw new Error(`${label}: frame file is empty (${path.basename(file)})`);
  if (bytes[0] === 0x42 && bytes[1] === 0x4d)
    return decodeBmp(bytes, grey, `${label} (${path.basename(file)})`);
  try {
    return await decodeWithSharp(bytes, grey);
  } catch (error) {
    throw new Error(`${label}: cannot decode ${path.basename(file)}: ${cleanSharpMessage(error)}`, {
      cause: error,
    });
  }
}

/**
 * Decodes to the image's own channels and converts in JavaScript: libvips' sRGB → B-W path costs
 * more than the whole JPEG decode, and Rec. 601 weights match the BMP decoder's.
 */
async function decodeWithSharp(bytes: Buffer, grey: boolean): Promise<RawFrame> {
  // Upright as the camera meant it (EXIF orientation), as browsers show the file.
  const decoded = await sharp(bytes, { failOn: 'truncated' })
    .rotate()
    .raw()
    .toBuffer({ resolveWithObject: true });
  let { data } = decoded;
  let { channels } = decoded.info;
  if (channels > 3) {
    // CMYK or RGBA: let libvips bring it to sRGB without alpha.
    data = await sharp(bytes, { failOn: 'truncated' })
      .rotate()
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer();
    channels = 3;
  }
  const { width, height } = decoded.info;
  const pixels = new Uint8Array(data.buffer, data.byteOffset, data.length);
  return { width, height, ...convertChannels(pixels, width * height, channels, grey) };
}

function convertChannels(
  data: Uint8Array,
  pixels: number,
  channels: number,
  grey: boolean,
): { channels: 1 | 3; data: Uint8Array } {
  if (grey && channels === 1) return { channels: 1, data };
  if (!grey && channels === 3) return { channels: 3, data };
  if (grey) {
    const out = new Uint8Array(pixels);
    for (let i = 0, j = 0; i < pixels; i++, j += channels) {
      out[i] =
        channels >= 3 ? (data[j] * 77 + data[j + 1] * 150 + data[j + 2] * 29 + 128) >> 8 : data[j];
    }
    return { channels: 1, data: out };
  }
  const out = new Uint8Array(pixels * 3);
  for (let i = 0, j = 0; i < pixels * 3; i += 3, j += channels) {
    out[i] = data[j];
    out[i + 1] = data[j];
    out[i + 2] = data[j];
  }
  return { channels: 3, data: out };
}

function describeReadError(error: NodeJS.ErrnoException): string {
  if (error.code === 'ENOENT') return 'frame file is missing';
  if (error.code === 'EACCES' || error.code === 'EPERM')
    return 'frame file cannot be read (permission denied)';
  if (error.code === 'EISDIR') return 'frame path is a folder';
  return `frame file cannot be read (${error.code ?? error.message})`;
}

function cleanSharpMessage(error: unknown): string {
  const message = (error as Error).message.split('\n')[0];
  if (/premature end|truncated|end of (jpeg|input)/i.test(message))
    return `the image is truncated (${message})`;
  if (/unsupported image format/i.test(message))
    return 'not an image format MER Studio reads (JPEG, PNG, BMP, TIFF, WebP or GIF)';
  return message;
}

export interface JpegInfo {
  /** As shown: swapped when the EXIF orientation turns the image by 90°. */
  width: number;
  height: number;
  components: number;
  /** EXIF orientation, 1 (upright as stored) when the file has none. */
  orientation: number;
  /** Ends with the end-of-image marker (a truncated file does not). */
  complete: boolean;
}

/** Reads a JPEG's size, colour components and orientation from its headers, without decoding. */
export function jpegInfo(bytes: Uint8Array): JpegInfo | null {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return null;
  let at = 2;
  let orientation = 1;
  while (at + 9 < bytes.length) {
    if (bytes[at] !== 0xff) return null;
    const marker = bytes[at + 1];
    if (marker === 0xff) {
      at++;
      continue;
    }
    const length = (bytes[at + 2] << 8) | bytes[at + 3];
    const isFrameHeader =
      marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (marker === 0xe1)
      orientation = exifOrientation(bytes.subarray(at + 4, at + 2 + length)) ?? orientation;
    if (isFrameHeader) {
      const height = (bytes[at + 5] << 8) | bytes[at + 6];
      const width = (bytes[at + 7] << 8) | bytes[at + 8];
      const turned = orientation >= 5 && orientation <= 8;
      return {
        width: turned ? height : width,
        height: turned ? width : height,
        components: bytes[at + 9],
        orientation,
        complete: endsWithEoi(bytes),
      };
    }
    at += 2 + length;
  }
  return null;
}

/** The orientation tag (0x0112) of an APP1 Exif segment's first IFD; null when absent. */
function exifOrientation(segment: Uint8Array): number | null {
  const view = new DataView(segment.buffer, segment.byteOffset, segment.byteLength);
  if (segment.length < 14 || String.fromCharCode(...segment.subarray(0, 4)) !== 'Exif') return null;
  const tiff = 6;
  const little = segment[tiff] === 0x49; // "II", else "MM"
  const ifd = tiff + view.getUint32(tiff + 4, little);
  if (ifd + 2 > segment.length) return null;
  const entries = view.getUint16(ifd, little);
  for (let i = 0; i < entries; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > segment.length) return null;
    if (view.getUint16(entry, little) === 0x0112) {
      const value = view.getUint16(entry + 8, little);
      return value >= 1 && value <= 8 ? value : null;
    }
  }
  return null;
}

function endsWithEoi(bytes: Uint8Array): boolean {
  let end = bytes.length;
  while (end > 2 && bytes[end - 1] === 0x00) end--;
  return bytes[end - 2] === 0xff && bytes[end - 1] === 0xd9;
}
