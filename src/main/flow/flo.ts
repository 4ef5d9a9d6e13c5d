import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../app/atomic-write';

import type { FlowField } from './types';
import { checkFlowField } from './validate';

/** "PIEH" read as a little-endian float32: the tag of a Middlebury .flo file. */
export const FLO_TAG = 202021.25;
const HEADER_BYTES = 12;

/**
 * Encodes a Middlebury .flo: float32 tag, int32 width, int32 height, then (u, v) float32 pairs in
 * row order, all little-endian. Unknown pixels keep their >1e9 markers.
 */
export function encodeFlo(flow: FlowField): Buffer {
  checkFlowField(flow, 'flow');
  const buffer = Buffer.alloc(HEADER_BYTES + flow.u.length * 8);
  buffer.writeFloatLE(FLO_TAG, 0);
  buffer.writeInt32LE(flow.width, 4);
  buffer.writeInt32LE(flow.height, 8);
  for (let i = 0; i < flow.u.length; i++) {
    buffer.writeFloatLE(flow.u[i], HEADER_BYTES + i * 8);
    buffer.writeFloatLE(flow.v[i], HEADER_BYTES + i * 8 + 4);
  }
  return buffer;
}

/** Decodes a .flo; throws a RangeError naming the problem for anything malformed. */
export function decodeFlo(bytes: Uint8Array, name = '.flo data'): FlowField {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.length < HEADER_BYTES) throw new RangeError(`${name}: too short for a .flo header`);
  if (buffer.readFloatLE(0) !== FLO_TAG) {
    throw new RangeError(`${name}: not a .flo file (tag is not "PIEH")`);
  }
  const width = buffer.readInt32LE(4);
  const height = buffer.readInt32LE(8);
  if (width < 1 || height < 1 || width > 1e5 || height > 1e5) {
    throw new RangeError(`${name}: implausible size ${width}x${height}`);
  }
  const count = width * height;
  if (buffer.length !== HEADER_BYTES + count * 8) {
    throw new RangeError(
      `${name}: ${buffer.length} bytes, expected ${HEADER_BYTES + count * 8} for ${width}x${height}`,
    );
  }
  const u = new Float32Array(count);
  const v = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    u[i] = buffer.readFloatLE(HEADER_BYTES + i * 8);
    v[i] = buffer.readFloatLE(HEADER_BYTES + i * 8 + 4);
  }
  return { width, height, u, v };
}

export async function readFlo(file: string): Promise<FlowField> {
  return decodeFlo(await readFile(file), file);
}

/** Writes whole or not at all, so a reader never sees half a file. */
export async function writeFlo(file: string, flow: FlowField): Promise<void> {
  await writeFileAtomic(file, encodeFlo(flow));
}
