import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Clip, Problem } from '../../shared/domain';
import { hasExtension, sortFrameFiles, VIDEO_EXTENSIONS } from './frame-files';

/**
 * A generic dataset folder: clips are folders of numbered frames or video files, either directly
 * under the root or one level down under subject folders.
 */
export async function scanGenericFolder(
  root: string,
  fps: number,
): Promise<{ clips: Clip[]; problems: Problem[] }> {
  const clips: Clip[] = [];
  const problems: Problem[] = [];
  for (const entry of await listDir(root, problems, root)) {
    if (entry.name.startsWith('.')) continue;
    if (entry.isFile() && hasExtension(entry.name, VIDEO_EXTENSIONS)) {
      clips.push(videoClip('', entry.name, fps));
    } else if (entry.isDirectory()) {
      await scanFolder(root, entry.name, fps, clips, problems);
    }
  }
  return { clips, problems };
}

async function scanFolder(
  root: string,
  relative: string,
  fps: number,
  clips: Clip[],
  problems: Problem[],
): Promise<void> {
  const entries = await listDir(path.join(root, relative), problems, root);
  const frames = sortFrameFiles(entries.filter((e) => e.isFile()).map((e) => e.name));
  if (frames.files.length > 0) {
    clips.push(imageClip(relative, frames, fps));
    return;
  }
  // A subject folder: its sub-folders and videos are clips.
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const child = path.join(relative, entry.name);
    if (entry.isFile() && hasExtension(entry.name, VIDEO_EXTENSIONS)) {
      clips.push(videoClip(relative, entry.name, fps));
    } else if (entry.isDirectory()) {
      const inner = await listDir(path.join(root, child), problems, root);
      const innerFrames = sortFrameFiles(inner.filter((e) => e.isFile()).map((e) => e.name));
      if (innerFrames.files.length > 0) clips.push(imageClip(child, innerFrames, fps));
    }
  }
}

function imageClip(relative: string, frames: ReturnType<typeof sortFrameFiles>, fps: number): Clip {
  const parts = relative.split(path.sep);
  const name = parts[parts.length - 1];
  const subject = parts.length > 1 ? parts[parts.length - 2] : name;
  const id = `${subject}/${name}`;
  const problems: Problem[] = [];
  if (frames.gaps.length > 0) {
    problems.push({
      severity: 'warning',
      clipId: id,
      path: relative,
      message: `missing frame numbers: ${summariseNumbers(frames.gaps)}`,
    });
  }
  if (frames.unnumbered.length > 0) {
    problems.push({
      severity: 'warning',
      clipId: id,
      path: relative,
      message: `left out ${frames.unnumbered.length} image(s) with no frame number: ${frames.unnumbered.slice(0, 3).join(', ')}`,
    });
  }
  return {
    id,
    subject,
    name,
    fps,
    frameCount: frames.files.length,
    source: { kind: 'images', dir: relative, files: frames.files },
    frameNumbers: frames.numbers,
    problems,
  };
}

function videoClip(subjectDir: string, fileName: string, fps: number): Clip {
  const name = fileName.replace(/\.[^.]+$/, '');
  const subject = subjectDir ? path.basename(subjectDir) : name;
  return {
    id: `${subject}/${name}`,
    subject,
    name,
    fps,
    frameCount: 0,
    source: { kind: 'video', file: path.join(subjectDir, fileName) },
    problems: [],
  };
}

async function listDir(dir: string, problems: Problem[], root: string) {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (error) {
    problems.push({
      severity: 'error',
      path: path.relative(root, dir) || '.',
      message: `cannot read folder: ${(error as Error).message}`,
    });
    return [];
  }
}

export function summariseNumbers(numbers: number[]): string {
  const shown = numbers.slice(0, 10).join(', ');
  return numbers.length > 10 ? `${shown} … (${numbers.length} in all)` : shown;
}
