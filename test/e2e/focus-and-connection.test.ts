import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAppSession, type AppSession } from '../support/app-session';
import { chromiumMissingNote, screenshotDir } from '../support/browser';
import { startHost } from '../support/web-host';
import { focusedTestId, press, pressViewKeyUntil, shownFrame, text } from './workspace-host';

/**
 * Keyboard focus never falls to the page when the control holding it closes, a coder name is
 * refused beside its field in plain words, the clip list reads as words, and when the backend
 * goes away the window says so and claims nothing it could not read.
 */
describe.skipIf(chromiumMissingNote())(
  'focus, names and a lost backend (web host + chromium)',
  () => {
    let app: AppSession;
    let page: Page;

    beforeAll(async () => {
      app = await openAppSession({ viewport: { width: 1280, height: 720 } });
      page = app.page;
    });

    afterAll(() => app?.close());

    it('gives Escape in the Open… form back to the Open… button', async () => {
      await expect.poll(() => shownFrame(page)).toBe(0);
      await page.getByTestId('open-dataset').focus();
      await press(page, 'Enter');
      await expect.poll(() => focusedTestId(page)).toBe('dataset-path');
      await press(page, 'Escape');
      expect(await page.getByTestId('dataset-path').count()).toBe(0);
      expect(await focusedTestId(page)).toBe('open-dataset');
    });

    it('names each clip with its subject, label and state in words', async () => {
      const first = page.getByTestId('clip-list').getByRole('button').first();
      await expect
        .poll(() => first.getAttribute('aria-label'))
        .toMatch(/^sub01 EP01, label (negative|positive|surprise), in the dataset annotation$/);
      const classes = page.getByRole('group', { name: '3-class label' });
      expect(await classes.getByRole('button').count()).toBe(3);
      expect(await page.getByRole('radiogroup').count()).toBe(0);
    });

    it('refuses a coder name beside the field, in plain words', async () => {
      await pressViewKeyUntil(page, 'coders');
      await page.getByTestId('coder-name').focus();
      await page.keyboard.type('é'.repeat(30));
      await press(page, 'Enter');
      await expect.poll(() => text(page, 'coder-name-error')).toMatch(/too long to name the coder/);
      expect(await text(page, 'coder-name-error')).not.toMatch(/setCoder|expected string/);
      expect(await page.getByTestId('coders-error').count()).toBe(0);
      expect(await page.getByTestId('coder-name').getAttribute('maxlength')).toBe('64');
      expect(await text(page, 'current-coder')).toBe('coder1');
      await press(page, 'Escape');
      await pressViewKeyUntil(page, 'workspace');
    });

    it('says the backend is lost while idle, and claims nothing it could not read', async () => {
      await expect.poll(() => text(page, 'save-state')).toBe('saved');
      expect(await page.getByTestId('connection-lost').count()).toBe(0);
      await app.host.stop();
      const banner = page.getByTestId('connection-lost');
      await expect.poll(() => banner.count(), { timeout: 10_000 }).toBe(1);
      expect(await banner.getAttribute('role')).toBe('alert');
      expect(await text(page, 'connection-lost')).toMatch(
        /lost — retrying; unsaved changes are kept/,
      );
      await page.locator('body').focus();
      // Past the neighbours the list fetched ahead: this clip's frames were never read.
      await press(page, 'PageDown', 'PageDown', 'PageDown', 'PageDown');
      await expect.poll(() => text(page, 'viewer-status')).toContain('sub02 / EP02');
      await expect.poll(() => text(page, 'save-state')).toBe('not loaded');
      expect(await text(page, 'imported-unavailable')).toMatch(/could not be loaded/);
      await expect.poll(() => text(page, 'frame-error')).toContain('sub02/EP02 frame 0');
      // No image under the new clip's name: the last clip's frame is gone, not dimmed.
      expect(await centrePixel(page)).toEqual([12, 13, 16]);
      await page.screenshot({ path: path.join(screenshotDir, 'connection-lost.png') });
      // Still there after the retries (it stays until the backend answers again).
      await page.waitForTimeout(2500);
      expect(await banner.count()).toBe(1);
    });

    it('reconnects when the host is started again (same port and token)', async () => {
      app.host = await startHost(app.dataFolder);
      expect(app.host.origin).toBe(new URL(page.url()).origin);
      await expect
        .poll(() => page.getByTestId('connection-lost').count(), { timeout: 15_000 })
        .toBe(0);
    });
  },
);

/** The colour at the centre of the frame canvas (the stage's background where nothing is drawn). */
async function centrePixel(page: Page): Promise<number[]> {
  return page.getByTestId('frame-image').evaluate((canvas: HTMLCanvasElement) => {
    const context = canvas.getContext('2d')!;
    const [r, g, b] = context.getImageData(canvas.width >> 1, canvas.height >> 1, 1, 1).data;
    return [r, g, b];
  });
}
