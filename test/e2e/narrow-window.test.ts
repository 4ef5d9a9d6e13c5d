import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAppSession, type AppSession } from '../support/app-session';
import { chromiumMissingNote, screenshotDir } from '../support/browser';
import { pressViewKeyUntil, shownFrame } from './workspace-host';

interface Layout {
  canvasWidth: number;
  canvasHeight: number;
  scrollsSideways: boolean;
}

async function layoutOf(page: Page): Promise<Layout> {
  return page.evaluate(() => {
    const canvas = document.querySelector('[data-testid="frame-image"]')?.getBoundingClientRect();
    const root = document.documentElement;
    return {
      canvasWidth: canvas?.width ?? 0,
      canvasHeight: canvas?.height ?? 0,
      scrollsSideways: root.scrollWidth > root.clientWidth,
    };
  });
}

/**
 * A small window or a large zoom (200 % of 1280×720 is 640×360 CSS pixels): the frame stays big
 * enough to code on and the page never scrolls sideways, in any view.
 */
describe.skipIf(chromiumMissingNote())(
  'a small window or a large zoom (web host + chromium)',
  () => {
    let app: AppSession;
    let page: Page;

    beforeAll(async () => {
      app = await openAppSession({ viewport: { width: 640, height: 360 } });
      page = app.page;
    });

    afterAll(() => app?.close());

    const sizes = [
      { width: 640, height: 360, name: '1280x720-at-200pc' },
      { width: 512, height: 384, name: '1024x768-at-200pc' },
      { width: 1024, height: 768, name: '1024x768' },
      { width: 1280, height: 720, name: '1280x720' },
    ];
    for (const { width, height, name } of sizes) {
      it(`shows a usable frame without sideways scrolling at ${width}×${height}`, async () => {
        await page.setViewportSize({ width, height });
        await pressViewKeyUntil(page, 'workspace');
        await expect.poll(() => shownFrame(page)).toBe(0);
        const layout = await layoutOf(page);
        expect(layout.canvasWidth).toBeGreaterThanOrEqual(240);
        expect(layout.canvasHeight).toBeGreaterThanOrEqual(180);
        expect(layout.scrollsSideways).toBe(false);
        await page.screenshot({
          path: path.join(screenshotDir, `narrow-${name}-annotate.png`),
          fullPage: true,
        });
      });
    }

    it('scrolls no view sideways at 512 CSS pixels wide', async () => {
      await page.setViewportSize({ width: 512, height: 384 });
      for (const view of ['coders', 'results', 'model', 'imports', 'keys', 'workspace']) {
        await pressViewKeyUntil(page, view);
        expect((await layoutOf(page)).scrollsSideways, view).toBe(false);
      }
      await page.getByTestId('open-dataset').focus();
      await page.keyboard.press('Enter');
      await page.getByTestId('dataset-path').waitFor();
      expect((await layoutOf(page)).scrollsSideways, 'the Open… form').toBe(false);
      await page.screenshot({
        path: path.join(screenshotDir, 'narrow-1024x768-at-200pc-open.png'),
      });
      await page.keyboard.press('Escape');
    });
  },
);
