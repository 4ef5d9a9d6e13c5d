/** Decoded frame pixels, row-major, interleaved channels (1 = grey, 3 = RGB). */
export interface RawFrame {
  width: number;
  height: number;
  channels: 1 | 3;
  data: Uint8Array;
}

/**
 * Parses one PAM image (the format ffmpeg writes with `-c:v pam`): a text header that names
 * width, height and depth, then the pixels. Used because it carries its own size.
 */
export function parsePam(buffer: Buffer, source: string): RawFrame {
  const headerEnd = buffer.indexOf('ENDHDR\n');
  if (buffer.subarray(0, 3).toString() !== 'P7\n' || headerEnd < 0) {
    throw new Error(`${source}: decoder returned no image`);
  }
  const header = buffer.subarray(0, headerEnd).toString('latin1');
  const field = (name: string): number => Number(new RegExp(`${name} (\\d+)`).exec(header)?.[1]);
  const width = field('WIDTH');
  const height = field('HEIGHT');
  const depth = field('DEPTH');
  if (!(width > 0 && height > 0) || (depth !== 1 && depth !== 3)) {
    throw new Error(`${source}: unexpected decoded image (${width}×${height}, depth ${depth})`);
  }
  const start = headerEnd + 'ENDHDR\n'.length;
  const length = width * height * depth;
  if (buffer.length < start + length) throw new Error(`${source}: truncated decoded image`);
  const data = new Uint8Array(buffer.buffer, buffer.byteOffset + start, length);
  return { width, height, channels: depth, data };
}
