export function formatMs(ms: number): string {
  return `${ms.toFixed(1)} ms`;
}

/**
 * How many frames after `from` a playback of from..to has reached, `elapsedMs` of clip time in;
 * more than to − from once the pass is over. A variable frame rate plays by its own timestamps.
 */
export function framesPlayed(
  clip: { fps: number; frameTimesMs?: number[] },
  from: number,
  to: number,
  elapsedMs: number,
): number {
  const times = clip.frameTimesMs;
  if (!times) return Math.floor((elapsedMs / 1000) * clip.fps);
  if (elapsedMs > times[to] - times[from] + 1000 / clip.fps) return to - from + 1;
  let index = from;
  while (index < to && times[index + 1] - times[from] <= elapsedMs) index++;
  return index - from;
}
