import path from 'node:path';
import type { Clip, Problem } from '../../shared/domain';
import { sortFrameFiles } from './frame-files';

export interface ImageClipInput {
  subject: string;
  name: string;
  /** Folder of the frames, relative to the dataset root. */
  dir: string;
  files: string[];
  fps: number;
  folderEmotion?: string;
}

/**
 * An image-sequence clip from the files of its folder, with its frames sorted by the number in
 * their names. Returns null (and reports why) when the folder holds no usable frame.
 */
export function imageClip(input: ImageClipInput, problems: Problem[]): Clip | null {
  const id = `${input.subject}/${input.name}`;
  const frames = sortFrameFiles(input.files);
  const clipProblems: Problem[] = [];
  const note = (message: string) =>
    clipProblems.push({ severity: 'warning', clipId: id, path: input.dir, message });
  if (frames.unnumbered.length > 0) {
    note(
      `left out ${frames.unnumbered.length} image(s) with no frame number in the name: ` +
        listSome(frames.unnumbered),
    );
  }
  if (frames.duplicates.length > 0) {
    note(
      `${frames.duplicates.length} file(s) carry a frame number another file already has; ` +
        `kept the first by name, left out: ${listSome(frames.duplicates)}`,
    );
  }
  if (frames.files.length === 0) {
    problems.push({
      severity: 'warning',
      clipId: id,
      path: input.dir,
      message: 'clip folder holds no numbered frame images (.jpg, .png, .bmp); left out',
    });
    problems.push(...clipProblems);
    return null;
  }
  const frameTimesMs = timesFromNumbers(frames.numbers, input.fps);
  if (frames.gapCount > 0) {
    note(
      `${frames.gapCount} frame number(s) missing between ${frames.numbers[0]} and ` +
        `${frames.numbers[frames.numbers.length - 1]}: ${summariseNumbers(frames.gaps, frames.gapCount)}` +
        (frameTimesMs ? '; times and durations follow the file numbers' : ''),
    );
  }
  return {
    id,
    subject: input.subject,
    name: input.name,
    fps: input.fps,
    frameCount: frames.files.length,
    source: { kind: 'images', dir: input.dir, files: frames.files },
    frameNumbers: frames.numbers,
    ...(frameTimesMs ? { frameTimesMs } : {}),
    ...(input.folderEmotion ? { folderEmotion: input.folderEmotion } : {}),
    problems: clipProblems,
  };
}

export function videoClip(
  subject: string,
  file: string,
  fps: number,
  name = path.basename(file).replace(/\.[^.]+$/, ''),
): Clip {
  return {
    id: `${subject}/${name}`,
    subject,
    name,
    fps,
    frameCount: 0,
    source: { kind: 'video', file },
    problems: [],
  };
}

/**
 * Frame times from the file numbers when they jump unevenly (frames lost or deleted: the frames
 * after a gap were captured later than their index says); null when evenly spaced.
 */
function timesFromNumbers(numbers: number[], fps: number): number[] | null {
  const steps = new Set(numbers.slice(1).map((n, i) => n - numbers[i]));
  if (steps.size <= 1) return null;
  return numbers.map((n) => ((n - numbers[0]) * 1000) / fps);
}

export function summariseNumbers(numbers: number[], total = numbers.length): string {
  const shown = numbers.slice(0, 10).join(', ');
  return total > 10 ? `${shown} … (${total} in all)` : shown;
}

function listSome(names: string[]): string {
  const shown = names.slice(0, 3).join(', ');
  return names.length > 3 ? `${shown}, …` : shown;
}
