import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';

/** Debian's chromium, or CHROMIUM_PATH. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const hasChromium = existsSync(chromiumPath);

/**
 * In CI the browser suite must run, never skip: a missing chromium is a failure there.
 * Elsewhere it skips with a message saying how to get it.
 */
export function chromiumMissingNote(): boolean {
  if (hasChromium) return false;
  if (process.env.CI) throw new Error(`chromium not found at ${chromiumPath}: CI must install it`);
  console.warn(
    `[skipped] e2e: no chromium at ${chromiumPath} (apt-get install chromium, or set CHROMIUM_PATH)`,
  );
  return true;
}

export async function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      ...extraArgs,
    ],
  });
}

export const screenshotDir = path.resolve('test-results/e2e');
mkdirSync(screenshotDir, { recursive: true });
