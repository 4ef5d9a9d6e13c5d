import type { Clip, DatasetIndex } from '../../shared/domain';
import { frameCache } from '../media/frame-cache';
import { decodeFrame, frameKey } from '../media/frames';
import { meanAbsoluteDifference, suggestApex as peakOfCurve } from '../motion/curve';

/** Longest side of the small grey frames the motion curve is measured on (as motion.curve). */
const PROBE_SIDE = 160;

/**
 * The suggested apex, by the rule the workspace shows (src/main/motion/curve.ts): the peak of the
 * lightly smoothed motion curve |I_t − I_onset| between onset and offset (else the clip's end).
 */
export async function suggestApex(
  dataset: DatasetIndex,
  clip: Clip,
  onset: number,
  offset: number | null,
  signal?: AbortSignal,
): Promise<number> {
  const last = Math.min(clip.frameCount - 1, offset ?? clip.frameCount - 1);
  if (last <= onset) throw new Error(`no frame after onset ${onset} to suggest an apex from`);
  const small = async (index: number) =>
    (await decodeFrame(dataset, clip, index, { grey: true, maxSide: PROBE_SIDE, signal })).data;
  const variants = ['raw-grey', `raw-grey-${PROBE_SIDE}`];
  const fresh = new Set<string>();
  for (let index = onset; index <= last; index++) {
    for (const variant of variants) {
      const key = frameKey(dataset, clip, index, variant);
      if (!frameCache.has(key)) fresh.add(key);
    }
  }
  const values = new Array<number>(last + 1).fill(0);
  try {
    const reference = await small(onset);
    for (let index = onset + 1; index <= last; index++) {
      values[index] = meanAbsoluteDifference(reference, await small(index));
    }
  } finally {
    // Frames read for the curve alone are not kept in the shared frame cache.
    fresh.forEach((key) => frameCache.delete(key));
  }
  const apex = peakOfCurve(values, onset + 1, last);
  if (apex === null) throw new Error(`no motion after onset ${onset}: no apex to suggest`);
  return apex;
}
