/** Pure pieces of the motion curve, shared by the worker and tests. */

/** Mean absolute difference of two grey images of the same size. */
export function meanAbsoluteDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length)
    throw new RangeError(`frames differ in size (${a.length} vs ${b.length} pixels)`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return a.length > 0 ? sum / a.length : 0;
}

/** Centred moving average over `radius` frames each side (shorter at the ends). */
export function smooth(values: readonly number[], radius: number): number[] {
  return values.map((_value, i) => {
    const from = Math.max(0, i - radius);
    const to = Math.min(values.length - 1, i + radius);
    let sum = 0;
    for (let j = from; j <= to; j++) sum += values[j];
    return sum / (to - from + 1);
  });
}

/**
 * The apex suggestion: the peak of the lightly smoothed curve in [from, to] (ties: the first).
 * null when the range is empty or flat (no motion against the reference).
 */
export function suggestApex(values: readonly number[], from: number, to: number): number | null {
  const smoothed = smooth(values, 1);
  const start = Math.max(0, from);
  const end = Math.min(values.length - 1, to);
  let best: number | null = null;
  for (let i = start; i <= end; i++) if (best === null || smoothed[i] > smoothed[best]) best = i;
  if (best === null || smoothed[best] <= smoothed[start] + 1e-9) return null;
  return best;
}

/**
 * One grey value per pixel. A resized frame can carry three channels even when asked for grey
 * (the media service's resize returns sRGB for grey input), so the real count comes from the data.
 */
export function greyPixels(frame: { width: number; height: number; data: Uint8Array }): Uint8Array {
  const pixels = frame.width * frame.height;
  const channels = frame.data.length / pixels;
  if (channels === 1) return frame.data;
  if (!Number.isInteger(channels) || channels < 3) {
    throw new RangeError(
      `frame of ${frame.width}×${frame.height} holds ${frame.data.length} bytes`,
    );
  }
  const grey = new Uint8Array(pixels);
  for (let i = 0; i < pixels; i++) {
    const at = i * channels;
    grey[i] = Math.round(
      0.299 * frame.data[at] + 0.587 * frame.data[at + 1] + 0.114 * frame.data[at + 2],
    );
  }
  return grey;
}
