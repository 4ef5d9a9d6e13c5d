import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';

export const text = async (page: Page, testId: string): Promise<string> =>
  ((await page.getByTestId(testId).first().textContent()) ?? '').trim();

/** The frame the viewer shows (its canvas says which). */
export async function shownFrame(page: Page): Promise<number> {
  return Number(await page.getByTestId('frame-image').getAttribute('data-shown-index'));
}

/** Presses keys one by one; the only way these tests drive the app (no mouse). */
export async function press(page: Page, ...keys: string[]): Promise<void> {
  for (const key of keys) await page.keyboard.press(key);
}

/** Presses V (next view) until `view` is the current one. */
export async function pressViewKeyUntil(page: Page, view: string): Promise<void> {
  const current = () => page.getByTestId(`view-${view}`).getAttribute('aria-current');
  for (let i = 0; i < 10 && (await current()) !== 'page'; i++) await press(page, 'v');
  if ((await current()) !== 'page') throw new Error(`V never reached the ${view} view`);
}

export async function focusedTestId(page: Page): Promise<string | null> {
  return page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? null);
}

/** A coder's annotation file, wherever the store keeps it (dataset folder or app data folder). */
export async function findCoderFile(dataFolder: string, coder: string): Promise<string> {
  const entries = await readdir(dataFolder, { recursive: true });
  const wanted = path.join('annotations', `${coder}.json`);
  const hit = entries.find((entry) => entry.endsWith(wanted));
  if (!hit) throw new Error(`no ${wanted} under ${dataFolder}`);
  return path.join(dataFolder, hit);
}

/** The folder holding the open dataset's annotations/ (dataset or app data), once one exists. */
export async function annotationsFolder(dataFolder: string): Promise<string> {
  return path.dirname(await findCoderFile(dataFolder, 'coder1'));
}
