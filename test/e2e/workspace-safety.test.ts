import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAppSession, type AppSession } from '../support/app-session';
import { chromiumMissingNote, screenshotDir } from '../support/browser';
import { freePort, startHost } from '../support/web-host';
import { findCoderFile, press, shownFrame, text } from './workspace-host';

interface CoderFile {
  annotations: Record<string, { onset: number | null; notes: string; flags: { blink: boolean } }>;
}

/**
 * The backend is killed (SIGKILL) while an autosave is due: the workspace says the change is not
 * saved and why, keeps it, and after the host restarts on the same data folder the change is
 * restored and saved: nothing is lost.
 */
describe.skipIf(chromiumMissingNote())(
  'autosave survives a killed backend (web host + chromium)',
  () => {
    let app: AppSession;
    let page: Page;
    let dataFolder: string;
    let port: number;
    const coderFile = () => findCoderFile(dataFolder, 'coder1');

    beforeAll(async () => {
      // A fixed port, so the restarted host serves the same origin (the same browser storage).
      port = await freePort();
      app = await openAppSession({ port });
      ({ page, dataFolder } = app);
    });

    afterAll(() => app?.close());

    it('saves an onset, then loses the backend during the next autosave and says so', async () => {
      await expect.poll(() => shownFrame(page)).toBe(0);
      await press(page, 'Shift+ArrowRight');
      await expect.poll(() => shownFrame(page)).toBe(10);
      await press(page, 'i');
      await expect.poll(() => text(page, 'mark-onset')).toBe('10');
      await expect.poll(() => text(page, 'save-state')).toBe('saved');
      await press(page, 'b', 'm');
      await page.keyboard.type('typed just before the crash');
      await press(page, 'Escape');
      // The autosave is due 400 ms after the last key: kill the backend inside that window.
      await app.host.stop('SIGKILL');
      await expect.poll(() => text(page, 'save-state'), { timeout: 15_000 }).toBe('not saved');
      expect(await text(page, 'save-error')).toMatch(/backend/);
      // The clip list marks the clip whose edit is kept unsaved.
      await expect.poll(() => page.getByTestId('clip-draft').count()).toBe(1);
      await page.screenshot({ path: path.join(screenshotDir, 'workspace-10-backend-killed.png') });
      const onDisk = JSON.parse(await readFile(await coderFile(), 'utf8')) as CoderFile;
      expect(onDisk.annotations['sub01/EP01'].onset).toBe(10);
      expect(onDisk.annotations['sub01/EP01'].notes).toBe('');
    });

    it('restores and saves the unsaved change once the host is back on the same data folder', async () => {
      app.host = await startHost(dataFolder, port);
      await page.goto(app.host.url);
      await expect
        .poll(() => text(page, 'annotation-notice'), { timeout: 15_000 })
        .toContain('restored unsaved changes');
      await expect.poll(() => text(page, 'save-state'), { timeout: 15_000 }).toBe('saved');
      expect(await page.getByTestId('notes').inputValue()).toBe('typed just before the crash');
      await expect.poll(() => page.getByTestId('clip-draft').count()).toBe(0);
      expect(await page.getByTestId('flag-blink').isChecked()).toBe(true);
      // One coder1.json: a restart must find the earlier saves where it keeps the new ones.
      const files = (await readdir(dataFolder, { recursive: true })).filter((f) =>
        f.endsWith(path.join('annotations', 'coder1.json')),
      );
      expect(files, `coder1.json in: ${files.join(', ')}`).toHaveLength(1);
      expect(await text(page, 'mark-onset')).toBe('10');
      const onDisk = JSON.parse(await readFile(await coderFile(), 'utf8')) as CoderFile;
      expect(onDisk.annotations['sub01/EP01'].notes).toBe('typed just before the crash');
      expect(onDisk.annotations['sub01/EP01'].flags.blink).toBe(true);
      await page.screenshot({ path: path.join(screenshotDir, 'workspace-11-restored.png') });
    });
  },
);
