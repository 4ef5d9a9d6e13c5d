import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The project's shared research data (../shared/data beside the checkout, or MER_SHARED_DATA).
 * It is not part of a user's clone, so tests that need it skip with a message when it is absent.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
export const sharedDataDir =
  process.env.MER_SHARED_DATA ?? path.resolve(here, '../../../shared/data');

export const hasSharedData = existsSync(sharedDataDir);

export function sharedPath(...parts: string[]): string {
  return path.join(sharedDataDir, ...parts);
}

/** Call at the top of a describe block that needs ../shared: says why it is skipped. */
export function noteIfSharedMissing(what: string): boolean {
  if (!hasSharedData) {
    console.warn(`[skipped] ${what}: needs ${sharedDataDir} (set MER_SHARED_DATA), not found`);
  }
  return !hasSharedData;
}
