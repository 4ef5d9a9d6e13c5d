import type { RawFrame } from './pam';

/**
 * Decodes an uncompressed Windows BMP (SMIC-HS frames): 8-bit palette, 24-bit and 32-bit
 * (BI_RGB or BI_BITFIELDS with the usual masks), bottom-up or top-down. sharp cannot read BMP,
 * and one ffmpeg process per frame would be far too slow for scrubbing.
 */
export function decodeBmp(buffer: Uint8Array, grey: boolean, source = 'BMP'): RawFrame {
  const fail = (why: string): never => {
    throw new Error(`${source}: ${why}`);
  };
  if (buffer.length < 54 || buffer[0] !== 0x42 || buffer[1] !== 0x4d) fail('not a BMP file');
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const pixelOffset = view.getUint32(10, true);
  const headerSize = view.getUint32(14, true);
  if (headerSize < 40)
    fail(`unsupported BMP header (${headerSize} bytes; OS/2 bitmaps are not read)`);
  const width = view.getInt32(18, true);
  const rawHeight = view.getInt32(22, true);
  const bits = view.getUint16(28, true);
  const compression = view.getUint32(30, true);
  const height = Math.abs(rawHeight);
  const bottomUp = rawHeight > 0;
  if (width <= 0 || height === 0 || width > 16384 || height > 16384)
    fail(`bad size ${width}×${rawHeight}`);
  if (compression !== 0 && !(compression === 3 && bits === 32)) {
    fail(
      `compressed BMP (compression ${compression}) is not supported; convert it to an uncompressed BMP or PNG`,
    );
  }
  if (bits !== 8 && bits !== 24 && bits !== 32)
    fail(`${bits}-bit BMP is not supported (8, 24 or 32 only)`);
  const stride = Math.ceil((width * bits) / 32) * 4;
  if (pixelOffset + stride * height > buffer.length) {
    fail(
      `truncated: ${buffer.length} bytes, ${pixelOffset + stride * height} needed for ${width}×${height}×${bits}-bit`,
    );
  }
  const palette = bits === 8 ? readPalette(view, 14 + headerSize, pixelOffset) : null;
  const channels = grey ? 1 : 3;
  const data = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    const row = pixelOffset + (bottomUp ? height - 1 - y : y) * stride;
    let out = y * width * channels;
    for (let x = 0; x < width; x++) {
      let r: number, g: number, b: number;
      if (palette) {
        const entry = buffer[row + x] * 3;
        r = palette[entry];
        g = palette[entry + 1];
        b = palette[entry + 2];
      } else {
        const at = row + x * (bits >> 3);
        b = buffer[at];
        g = buffer[at + 1];
        r = buffer[at + 2];
      }
      if (grey) {
        data[out++] = (r * 77 + g * 150 + b * 29 + 128) >> 8;
      } else {
        data[out++] = r;
        data[out++] = g;
        data[out++] = b;
      }
    }
  }
  return { width, height, channels, data };
}

/** The colour table: BGRA quads between the info header and the pixels, as RGB triples. */
function readPalette(view: DataView, start: number, end: number): Uint8Array {
  const palette = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) palette.fill(i, i * 3, i * 3 + 3);
  const entries = Math.min(256, Math.floor((end - start) / 4));
  for (let i = 0; i < entries; i++) {
    palette[i * 3] = view.getUint8(start + i * 4 + 2);
    palette[i * 3 + 1] = view.getUint8(start + i * 4 + 1);
    palette[i * 3 + 2] = view.getUint8(start + i * 4);
  }
  return palette;
}

/** Width and height from a BMP header (for indexing without decoding). */
export function bmpSize(header: Uint8Array): { width: number; height: number } | null {
  if (header.length < 26 || header[0] !== 0x42 || header[1] !== 0x4d) return null;
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  return { width: view.getInt32(18, true), height: Math.abs(view.getInt32(22, true)) };
}
