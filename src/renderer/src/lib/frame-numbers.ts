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
