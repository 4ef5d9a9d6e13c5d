/** Frame files of an image sequence: recognised, numbered and sorted numerically. */

export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.bmp'];
export const VIDEO_EXTENSIONS = [
  '.mp4',
  '.avi',
  '.mov',
  '.mkv',
  '.m4v',
  '.webm',
  '.mpg',
  '.mpeg',
  '.mts',
  '.m2ts',
  '.wmv',
  '.flv',
  '.ogv',
  '.3gp',
];

export function hasExtension(name: string, extensions: string[]): boolean {
  const lower = name.toLowerCase();
  return extensions.some((extension) => lower.endsWith(extension));
}

export function isFrameImage(name: string): boolean {
  return hasExtension(name, IMAGE_EXTENSIONS);
}

export function isVideo(name: string): boolean {
  return hasExtension(name, VIDEO_EXTENSIONS);
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
  /** Numbers missing between the first and last frame (the first 1000 of them). */
  gaps: number[];
  gapCount: number;
  /** Image files with no number in their name, left out of the sequence. */
  unnumbered: string[];
  /** Files whose number another file already carries (img1.jpg and img01.jpg), left out. */
  duplicates: string[];
}

export function sortFrameFiles(names: string[]): SortedFrames {
  const numbered: Array<{ name: string; number: number }> = [];
  const unnumbered: string[] = [];
  for (const name of names) {
    if (!isFrameImage(name)) continue;
    const number = frameNumber(name);
    if (number === null) unnumbered.push(name);
    else numbered.push({ name, number });
  }
  numbered.sort((a, b) => a.number - b.number || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const kept: typeof numbered = [];
  const duplicates: string[] = [];
  for (const frame of numbered) {
    if (kept.length > 0 && kept[kept.length - 1].number === frame.number)
      duplicates.push(frame.name);
    else kept.push(frame);
  }
  const gaps: number[] = [];
  let gapCount = 0;
  for (let i = 1; i < kept.length; i++) {
    const missing = kept[i].number - kept[i - 1].number - 1;
    gapCount += missing;
    for (let n = kept[i - 1].number + 1; n < kept[i].number && gaps.length < 1000; n++)
      gaps.push(n);
  }
  return {
    files: kept.map((frame) => frame.name),
    numbers: kept.map((frame) => frame.number),
    gaps,
    gapCount,
    unnumbered,
    duplicates,
  };
}
