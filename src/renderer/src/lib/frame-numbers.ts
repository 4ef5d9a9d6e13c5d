import type { ClipSummary } from '../../../shared/contract/dataset';

/**
 * The number in a frame's file name (CASME II img46.jpg → 46), when it is not the 0-based index
 * the app shows: coders compare marks with the official sheets, which use these numbers.
 */
export function fileFrameNumber(clip: ClipSummary, index: number | null): number | null {
  if (index === null || index < 0) return null;
  const number = clip.frameNumbers?.[index];
  return number === undefined || number === index ? null : number;
}

/**
 * What a coder typed into go-to-frame, as a frame index: `46` is the index, `#46` the file number
 * (as the official sheets write frames). A string says why nothing matches.
 */
export function parseFrameTarget(clip: ClipSummary, typed: string): number | string {
  const text = typed.trim();
  const byFile = text.startsWith('#');
  const digits = byFile ? text.slice(1).trim() : text;
  if (!/^\d+$/.test(digits)) {
    return `"${typed}" is not a frame number: type digits only (an index, or # and a file number)`;
  }
  const value = Number(digits);
  const numbers = clip.frameNumbers;
  if (!byFile) {
    const last = clip.frameCount - 1;
    if (value <= last) return value;
    const files = numbers?.length
      ? ` (files #${numbers[0]}–#${numbers[numbers.length - 1]}: type # and a file number)`
      : '';
    return `frame ${value} is beyond the clip: ${clip.id} has frames 0–${last}${files}`;
  }
  const index = numbers?.indexOf(value) ?? -1;
  if (index >= 0) return index;
  if (!numbers || numbers.length === 0) return `${clip.id} has no numbered frame files`;
  return `no frame file #${value} in ${clip.id} (its files are #${numbers[0]}–#${numbers[numbers.length - 1]})`;
}
