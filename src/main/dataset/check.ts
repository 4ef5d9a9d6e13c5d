import { open } from 'node:fs/promises';
import path from 'node:path';
import type { DatasetIndex, Problem } from '../../shared/domain';
import { bmpSize } from '../media/bmp';
import { jpegInfo } from '../media/image-decode';

/**
 * Reads every frame file of the image clips and reports those that are empty, truncated or not
 * images (without decoding pixels: JPEG headers and end markers, BMP sizes, PNG signatures).
 */
export async function checkFrameFiles(
  dataset: DatasetIndex,
  onProgress?: (done: number, total: number) => void,
  signal?: AbortSignal,
): Promise<Problem[]> {
  const problems: Problem[] = [];
  const clips = dataset.clips.filter((clip) => clip.source.kind === 'images');
  for (const [done, clip] of clips.entries()) {
    signal?.throwIfAborted();
    if (clip.source.kind !== 'images') continue;
    const { dir, files } = clip.source;
    const bad: string[] = [];
    for (let start = 0; start < files.length; start += 16) {
      const batch = files.slice(start, start + 16);
      const verdicts = await Promise.all(
        batch.map((file) => frameFileProblem(path.join(dataset.root, dir, file))),
      );
      verdicts.forEach((verdict, i) => {
        if (verdict) bad.push(`${batch[i]} (${verdict})`);
      });
    }
    if (bad.length > 0) {
      problems.push({
        severity: 'error',
        clipId: clip.id,
        path: dir,
        message: `${bad.length} unreadable frame file(s): ${bad.slice(0, 5).join(', ')}${bad.length > 5 ? ', …' : ''}`,
      });
    }
    onProgress?.(done + 1, clips.length);
  }
  return problems;
}

async function frameFileProblem(file: string): Promise<string | null> {
  let bytes: Buffer;
  try {
    const handle = await open(file, 'r');
    try {
      bytes = await handle.readFile();
    } finally {
      await handle.close();
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'missing' : `cannot be read: ${code ?? (error as Error).message}`;
  }
  if (bytes.length === 0) return 'empty';
  if (bytes[0] === 0xff && bytes[1] === 0xd8) {
    const info = jpegInfo(bytes);
    if (!info) return 'truncated or damaged JPEG (no frame header)';
    return info.complete ? null : 'truncated JPEG';
  }
  if (bytes[0] === 0x42 && bytes[1] === 0x4d) {
    const size = bmpSize(bytes);
    const offset = bytes.length >= 14 ? bytes.readUInt32LE(10) : 0;
    const bits = bytes.length >= 30 ? bytes.readUInt16LE(28) : 0;
    if (!size || !bits) return 'damaged BMP header';
    const needed = offset + Math.ceil((size.width * bits) / 32) * 4 * size.height;
    return bytes.length < needed ? 'truncated BMP' : null;
  }
  if (bytes.subarray(1, 4).toString('latin1') === 'PNG') {
    return bytes.subarray(-8, -4).toString('latin1') === 'IEND' ? null : 'truncated PNG';
  }
  return 'not a JPEG, PNG or BMP image';
}
