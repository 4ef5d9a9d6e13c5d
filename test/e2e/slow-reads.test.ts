import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAppSession, type AppSession } from '../support/app-session';
import { routeBackend, type BackendRoute } from '../support/backend-route';
import { chromiumMissingNote } from '../support/browser';
import { findCoderFile, press, shownFrame, text } from './workspace-host';

interface Stored {
  onset: number | null;
  apex: number | null;
  notes: string;
  flags: { blink: boolean };
}

/**
 * The backend answers slowly while a clip's annotation is read (a busy host, a network disk):
 * keys pressed meanwhile are not lost under what is read, and a clip left before its read
 * arrives keeps the edit kept for it.
 */
describe.skipIf(chromiumMissingNote())(
  'a slow read of the annotation (web host + chromium)',
  () => {
    let app: AppSession;
    let page: Page;
    let backend: BackendRoute;
    const shownClip = () =>
      page.locator('[data-clip][aria-current="true"]').getAttribute('data-clip');
    const stored = async (clipId: string): Promise<Stored> => {
      const file = JSON.parse(
        await readFile(await findCoderFile(app.dataFolder, 'coder1'), 'utf8'),
      );
      return (file as { annotations: Record<string, Stored> }).annotations[clipId];
    };

    beforeAll(async () => {
      app = await openAppSession();
      // A page of its own: the route must be in place before the app opens its socket.
      page = await app.browser.newPage({ viewport: { width: 1400, height: 900 } });
      backend = await routeBackend(page);
      await page.goto(app.host.url);
      await app.page.close();
    });

    afterAll(() => app?.close());

    it('makes the keys pressed while the annotation is read on top of it once it arrives', async () => {
      await expect.poll(() => shownFrame(page)).toBe(0);
      await expect.poll(() => text(page, 'save-state')).toBe('saved');
      await page.getByTestId('notes').fill('coded earlier');
      await press(page, 'Escape');
      await expect.poll(() => text(page, 'save-state'), { timeout: 10_000 }).toBe('saved');

      backend.hold('annotations.get');
      await press(page, 'PageDown', 'PageUp');
      await expect.poll(() => shownClip()).toBe('sub01/EP01');
      expect(await text(page, 'save-state')).toBe('loading…');
      await press(page, 'Shift+ArrowRight');
      await expect.poll(() => shownFrame(page)).toBe(10);
      await press(page, 'i', 'b');
      await expect.poll(() => text(page, 'mark-message')).toContain('still loading');
      expect(await text(page, 'mark-onset')).toBe('—');
      expect(backend.held()).toBeGreaterThan(0);

      backend.release();
      await expect.poll(() => text(page, 'mark-onset'), { timeout: 10_000 }).toBe('10');
      await expect.poll(() => text(page, 'save-state'), { timeout: 10_000 }).toBe('saved');
      expect(await page.getByTestId('flag-blink').isChecked()).toBe(true);
      expect(await page.getByTestId('notes').inputValue()).toBe('coded earlier');
      expect(await stored('sub01/EP01')).toMatchObject({
        onset: 10,
        notes: 'coded earlier',
        flags: { blink: true },
      });
    });

    it('keeps the edit kept for a clip the coder left before its annotation arrived', async () => {
      backend.refuse('annotations.save', 'the disk is full');
      await press(page, 'Shift+ArrowRight');
      await expect.poll(() => shownFrame(page)).toBe(20);
      await press(page, 'a');
      await expect.poll(() => text(page, 'save-state'), { timeout: 10_000 }).toBe('not saved');
      await press(page, 'PageDown');
      await expect.poll(() => shownClip()).toBe('sub01/EP02');
      await expect.poll(() => text(page, 'save-state'), { timeout: 10_000 }).toBe('saved');

      // Back to the clip and away again before its annotation is read.
      backend.hold('annotations.get');
      await press(page, 'PageUp');
      await expect.poll(() => shownClip()).toBe('sub01/EP01');
      await press(page, 'PageDown');
      await expect.poll(() => shownClip()).toBe('sub01/EP02');
      backend.release();
      await expect.poll(() => text(page, 'save-state'), { timeout: 10_000 }).toBe('saved');

      backend.refuse(null);
      await press(page, 'PageUp');
      await expect.poll(() => shownClip()).toBe('sub01/EP01');
      await expect.poll(() => text(page, 'mark-apex'), { timeout: 10_000 }).toBe('20');
      await expect.poll(() => text(page, 'save-state'), { timeout: 10_000 }).toBe('saved');
      expect(await stored('sub01/EP01')).toMatchObject({ onset: 10, apex: 20 });
    });
  },
);
