/** Milliseconds from the clip's first frame to frame `index` at `fps`. */
export function frameTimeMs(index: number, fps: number): number {
  return (index * 1000) / fps;
}

export function formatMs(ms: number): string {
  return `${ms.toFixed(1)} ms`;
}
