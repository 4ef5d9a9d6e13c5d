import { open } from 'node:fs/promises';
import path from 'node:path';
import type { Clip, DatasetIndex, Problem } from '../../shared/domain';
import { bmpSize } from '../media/bmp';
import { decodeFrame } from '../media/frames';
import { jpegInfo } from '../media/image-decode';

/**
 * Reads every frame file of the image clips and reports those that are empty, truncated or not
 * images (without decoding pixels: JPEG headers and end markers, BMP sizes, PNG signatures); of
 * each video, decodes the first and the last frame (a cut-short file loses its last frames).
 */
export async function checkFrameFiles(
  dataset: DatasetIndex,
  onProgress?: (done: number, total: number) => void,
  signal?: AbortSignal,
): Promise<Problem[]> {
  const problems: Problem[] = [];
  for (const [done, clip] of dataset.clips.entries()) {
    signal?.throwIfAborted();
    if (clip.source.kind === 'video') {
      const problem = await checkVideoEnds(dataset, clip);
      if (problem) problems.push(problem);
      onProgress?.(done + 1, dataset.clips.length);
      continue;
    }
    const { dir, files } = clip.source;
    const bad: string[] = [];
    const sizes = new Map<string, string[]>();
    for (let start = 0; start < files.length; start += 16) {
      const batch = files.slice(start, start + 16);
      const verdicts = await Promise.all(
        batch.map((file) => inspectFrameFile(path.join(dataset.root, dir, file))),
      );
      verdicts.forEach((verdict, i) => {
        if (verdict.problem) bad.push(`${batch[i]} (${verdict.problem})`);
        else if (verdict.size)
          sizes.set(verdict.size, [...(sizes.get(verdict.size) ?? []), batch[i]]);
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
    if (sizes.size > 1) {
      const [common] = [...sizes.entries()].sort((a, b) => b[1].length - a[1].length);
      const odd = [...sizes.entries()].filter(([size]) => size !== common[0]);
      problems.push({
        severity: 'warning',
        clipId: clip.id,
        path: dir,
        message: `frames differ in size: most are ${common[0]}, but ${odd.map(([size, names]) => `${names.length} are ${size} (${names.slice(0, 3).join(', ')})`).join('; ')}`,
      });
    }
    onProgress?.(done + 1, dataset.clips.length);
  }
  return problems;
}

async function checkVideoEnds(dataset: DatasetIndex, clip: Clip): Promise<Problem | null> {
  const ends = [...new Set([0, clip.frameCount - 1])];
  const failed: string[] = [];
  for (const index of ends) {
    await decodeFrame(dataset, clip, index, { grey: true }).catch((error: Error) =>
      failed.push(error.message.replace(`${clip.id}: `, '')),
    );
  }
  if (failed.length === 0) return null;
  return {
    severity: 'error',
    clipId: clip.id,
    path: clip.source.kind === 'video' ? clip.source.file : undefined,
    message: `${failed.join('; ')}; the clip is listed with ${clip.frameCount} frames`,
  };
}

interface FrameVerdict {
  problem?: string;
  /** "W×H" when the header could be read. */
  size?: string;
}

async function inspectFrameFile(file: string): Promise<FrameVerdict> {
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
    return {
      problem:
        code === 'ENOENT' ? 'missing' : `cannot be read: ${code ?? (error as Error).message}`,
    };
  }
  if (bytes.length === 0) return { problem: 'empty' };
  if (bytes[0] === 0xff && bytes[1] === 0xd8) {
    const info = jpegInfo(bytes);
    if (!info) return { problem: 'truncated or damaged JPEG (no frame header)' };
    return info.complete ? { size: `${info.width}×${info.height}` } : { problem: 'truncated JPEG' };
  }
  if (bytes[0] === 0x42 && bytes[1] === 0x4d) {
    const size = bmpSize(bytes);
    const offset = bytes.length >= 14 ? bytes.readUInt32LE(10) : 0;
    const bits = bytes.length >= 30 ? bytes.readUInt16LE(28) : 0;
    if (!size || !bits) return { problem: 'damaged BMP header' };
    const needed = offset + Math.ceil((size.width * bits) / 32) * 4 * size.height;
    return bytes.length < needed
      ? { problem: 'truncated BMP' }
      : { size: `${size.width}×${size.height}` };
  }
  if (bytes.subarray(1, 4).toString('latin1') === 'PNG') {
    if (bytes.subarray(-8, -4).toString('latin1') !== 'IEND') return { problem: 'truncated PNG' };
    return { size: `${bytes.readUInt32BE(16)}×${bytes.readUInt32BE(20)}` };
  }
  return { problem: 'not a JPEG, PNG or BMP image' };
}
