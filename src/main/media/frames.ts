import path from 'node:path';
import type { Clip, DatasetIndex } from '../../shared/domain';
import { NotFoundError } from '../app/context';
import { runFfmpeg } from './ffmpeg';
import { parsePam, type RawFrame } from './pam';

export interface FrameOptions {
  grey?: boolean;
  signal?: AbortSignal;
}

/** Decodes frame `index` (0-based) of a clip with ffmpeg: an image file, or a video frame. */
export async function decodeFrame(
  dataset: DatasetIndex,
  clip: Clip,
  index: number,
  options: FrameOptions = {},
): Promise<RawFrame> {
  if (!Number.isInteger(index) || index < 0 || index >= clip.frameCount) {
    throw new NotFoundError(
      `${clip.id}: frame ${index} is outside the clip (0–${clip.frameCount - 1})`,
    );
  }
  const pixelFormat = options.grey ? 'gray' : 'rgb24';
  const output = ['-frames:v', '1', '-pix_fmt', pixelFormat, '-c:v', 'pam', '-f', 'image2pipe', '-'];
  if (clip.source.kind === 'images') {
    const file = path.join(dataset.root, clip.source.dir, clip.source.files[index]);
    const pam = await runFfmpeg(['-i', file, ...output], { signal: options.signal });
    return parsePam(pam, `${clip.id} frame ${index} (${path.basename(file)})`);
  }
  const file = path.join(dataset.root, clip.source.file);
  const pam = await runFfmpeg(
    ['-i', file, '-vf', `select=eq(n\\,${index})`, '-vsync', '0', ...output],
    { signal: options.signal },
  );
  return parsePam(pam, `${clip.id} frame ${index}`);
}
