/** Frame files of an image sequence: recognised, numbered and sorted numerically. */

export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.bmp'];
export const VIDEO_EXTENSIONS = ['.mp4', '.avi', '.mov', '.mkv'];

export function hasExtension(name: string, extensions: string[]): boolean {
  const lower = name.toLowerCase();
  return extensions.some((extension) => lower.endsWith(extension));
}

/** The last run of digits in a file name: img46.jpg → 46, 006_05562.jpg → 5562. */
export function frameNumber(fileName: string): number | null {
  const stem = fileName.replace(/\.[^.]+$/, '');
  const digits = /(\d+)(?!.*\d)/.exec(stem)?.[1];
  return digits === undefined ? null : Number(digits);
}

export interface SortedFrames {
  files: string[];
  numbers: number[];
  /** Numbers missing between the first and last frame (a gap in the sequence). */
  gaps: number[];
  /** Files with no number in their name, left out of the sequence. */
  unnumbered: string[];
}

export function sortFrameFiles(names: string[]): SortedFrames {
  const numbered: Array<{ name: string; number: number }> = [];
  const unnumbered: string[] = [];
  for (const name of names) {
    if (!hasExtension(name, IMAGE_EXTENSIONS)) continue;
    const number = frameNumber(name);
    if (number === null) unnumbered.push(name);
    else numbered.push({ name, number });
  }
  numbered.sort((a, b) => a.number - b.number || a.name.localeCompare(b.name));
  const gaps: number[] = [];
  for (let i = 1; i < numbered.length; i++) {
    for (let missing = numbered[i - 1].number + 1; missing < numbered[i].number; missing++) {
      if (gaps.length < 1000) gaps.push(missing);
    }
  }
  return {
    files: numbered.map((frame) => frame.name),
    numbers: numbered.map((frame) => frame.number),
    gaps,
    unnumbered,
  };
}
