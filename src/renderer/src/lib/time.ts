export function formatMs(ms: number): string {
  return `${ms.toFixed(1)} ms`;
}
