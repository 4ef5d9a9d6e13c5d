import { open } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import type { Clip, Problem } from '../../shared/domain';
import { bmpSize } from '../media/bmp';
import { jpegInfo } from '../media/image-decode';
import { videoIndex, type VideoIndex } from '../media/video-index';

const PROBE_CONCURRENCY = 2;

/**
 * Counts the frames of every video clip and reads its frame rate and size (one stream-copy pass
 * per file, kept as the video's frame index). Videos that cannot be read are reported and left out.
 */
export async function probeVideoClips(
  root: string,
  clips: Clip[],
  problems: Problem[],
  signal?: AbortSignal,
): Promise<void> {
  const videos = clips.filter((clip) => clip.source.kind === 'video');
  const failed = new Set<Clip>();
  await eachLimited(videos, PROBE_CONCURRENCY, async (clip) => {
    if (clip.source.kind !== 'video') return;
    try {
      const index = await videoIndex(path.join(root, clip.source.file), signal);
      clip.frameCount = index.frameCount;
      clip.fps = index.fps;
      clip.source.version = index.version;
      if (index.variableRate) {
        const start = index.seconds[0];
        clip.frameTimesMs = index.seconds.map(
          (seconds) => Math.round((seconds - start) * 1e6) / 1e3,
        );
        clip.problems.push(variableRateWarning(clip, index.variableRate));
      }
      if (index.width && index.height) {
        clip.width = index.width;
        clip.height = index.height;
      }
    } catch (error) {
      failed.add(clip);
      problems.push({
        severity: 'error',
        clipId: clip.id,
        path: clip.source.file,
        message: `${(error as Error).message.replace(`${path.join(root, clip.source.file)}: `, '')}; left out`,
      });
    }
  });
  for (let i = clips.length - 1; i >= 0; i--) if (failed.has(clips[i])) clips.splice(i, 1);
}

/** Said on the clip, not an error: its times come from the video's own timestamps. */
function variableRateWarning(clip: Clip, rate: NonNullable<VideoIndex['variableRate']>): Problem {
  const ms = (seconds: number) => `${(seconds * 1000).toFixed(1)} ms`;
  return {
    severity: 'warning',
    clipId: clip.id,
    path: clip.source.kind === 'video' ? clip.source.file : undefined,
    message:
      `variable frame rate: frames are ${ms(rate.shortest)} to ${ms(rate.longest)} apart; ` +
      "times and durations use each frame's own timestamp (the fps shown is the average)",
  };
}

/**
 * Width and height of each image clip from its first frame's header (no decoding); a first frame
 * that cannot be read is reported on the clip.
 */
export async function describeClipFrames(root: string, clips: Clip[]): Promise<void> {
  await eachLimited(clips, 16, async (clip) => {
    if (clip.source.kind !== 'images' || clip.width) return;
    const file = path.join(root, clip.source.dir, clip.source.files[0]);
    const size = (await imageSize(file).catch(() => null)) ?? (await sharpSize(file));
    if (size) {
      clip.width = size.width;
      clip.height = size.height;
    } else {
      clip.problems.push({
        severity: 'warning',
        clipId: clip.id,
        path: path.join(clip.source.dir, clip.source.files[0]),
        message:
          'first frame is not a readable JPEG, PNG or BMP (empty, truncated or another format)',
      });
    }
  });
}

async function imageSize(file: string): Promise<{ width: number; height: number } | null> {
  const handle = await open(file, 'r');
  try {
    const header = Buffer.alloc(64 * 1024);
    const { bytesRead } = await handle.read(header, 0, header.length, 0);
    const bytes = header.subarray(0, bytesRead);
    if (bytes[0] === 0x42 && bytes[1] === 0x4d) return bmpSize(bytes);
    if (bytes[0] === 0xff && bytes[1] === 0xd8) return jpegInfo(bytes);
    if (bytes.subarray(1, 4).toString('latin1') === 'PNG' && bytes.length >= 24) {
      return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
    }
    return null;
  } finally {
    await handle.close();
  }
}

async function sharpSize(file: string): Promise<{ width: number; height: number } | null> {
  const meta = await sharp(file)
    .metadata()
    .catch(() => null);
  if (!meta?.width || !meta.height) return null;
  const turned = (meta.orientation ?? 1) >= 5; // shown turned by 90° (EXIF orientation 5–8)
  return turned
    ? { width: meta.height, height: meta.width }
    : { width: meta.width, height: meta.height };
}

async function eachLimited<T>(
  items: T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]);
  });
  await Promise.all(workers);
}
