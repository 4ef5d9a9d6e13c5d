import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAppSession, type AppSession } from '../support/app-session';
import { chromiumMissingNote, screenshotDir } from '../support/browser';
import { focusedTestId, press, pressViewKeyUntil, shownFrame, text } from './workspace-host';

interface LogEntry {
  type: 'open' | 'draw';
  clipId: string;
  index: number;
  t: number;
}

/**
 * A demo clip annotated by keyboard alone (no mouse event at all): clip navigation, frame steps,
 * hold-to-scrub, marks, labels, AUs, flags, notes, motion curve and its suggested apex, the
 * overlays, playback, zoom, undo/redo, a rebound key; then a reload finds everything saved.
 */
describe.skipIf(chromiumMissingNote())(
  'annotation workspace by keyboard (web host + chromium)',
  () => {
    let app: AppSession;
    let page: Page;

    beforeAll(async () => {
      app = await openAppSession();
      page = app.page;
      await page.evaluate(
        () => ((window as unknown as { __merFrameLog: LogEntry[] }).__merFrameLog = []),
      );
    });

    afterAll(() => app?.close());

    it('moves to the next clip and steps frames by ±1 and ±N', async () => {
      await expect.poll(() => shownFrame(page)).toBe(0);
      await press(page, 'PageDown');
      await expect.poll(() => text(page, 'viewer-status')).toContain('sub01 / EP02');
      await press(page, 'Shift+ArrowRight', 'Shift+ArrowRight', 'ArrowRight', 'ArrowLeft');
      await expect.poll(() => shownFrame(page)).toBe(20);
      expect(await text(page, 'frame-index')).toBe('frame 20 / 59');
      expect(await text(page, 'frame-time')).toBe('100.0 ms');
    });

    it('scrubs while → is held, showing every frame once, in order', async () => {
      await press(page, 'i');
      await expect.poll(() => text(page, 'mark-onset')).toBe('20');
      const log = await page.evaluate(() => {
        const entries = (window as unknown as { __merFrameLog: LogEntry[] }).__merFrameLog;
        entries.length = 0;
        return entries.length;
      });
      expect(log).toBe(0);
      await page.keyboard.down('ArrowRight');
      await page.waitForTimeout(700);
      await page.keyboard.up('ArrowRight');
      const drawn = await page.evaluate(() =>
        (window as unknown as { __merFrameLog: LogEntry[] }).__merFrameLog
          .filter((entry) => entry.type === 'draw')
          .map((entry) => entry.index),
      );
      expect(drawn[0]).toBe(21);
      expect(drawn.length).toBeGreaterThan(5);
      drawn.forEach((index, i) => expect(index).toBe(21 + i));
      expect(await shownFrame(page)).toBe(drawn[drawn.length - 1]);
    });

    it('sets apex and offset, enforces the order and shows durations in ms', async () => {
      await press(page, 'Home');
      await expect.poll(() => shownFrame(page)).toBe(0);
      await press(page, 'a');
      await expect.poll(() => text(page, 'mark-message')).toContain('onset ≤ apex ≤ offset');
      await press(page, 'Shift+g');
      await page.keyboard.type('30');
      await press(page, 'Enter');
      await expect.poll(() => shownFrame(page)).toBe(30);
      await press(page, 'a', 'Shift+ArrowRight', 'Shift+ArrowRight', 'o');
      await expect.poll(() => text(page, 'mark-offset')).toBe('50');
      expect(await text(page, 'mark-apex')).toBe('30');
      expect(await text(page, 'durations')).toContain('onset→apex 50.0 ms');
      expect(await text(page, 'durations')).toContain('total 150.0 ms');
      expect(await page.getByTestId('rule-flag').count()).toBe(0);
      await press(page, '1');
      await expect.poll(() => shownFrame(page)).toBe(20);
    });

    it('labels the clip: 3-class, emotion, AUs, flags and notes', async () => {
      // an emotion fills in its 3-class label when none is chosen yet ("s" passes surprise)
      await press(page, 'e');
      await page.keyboard.type('sadn');
      await press(page, 'Escape');
      await expect
        .poll(() => page.getByTestId('class-negative').getAttribute('aria-pressed'))
        .toBe('true');
      await press(page, 'Shift+p');
      await expect
        .poll(() => page.getByTestId('class-positive').getAttribute('aria-pressed'))
        .toBe('true');
      expect(await text(page, 'class-mismatch')).toBe(
        "the composite's mapping makes sadness negative",
      );
      await press(page, 'e');
      expect(await focusedTestId(page)).toBe('emotion');
      await page.keyboard.type('happ');
      await press(page, 'Escape');
      await expect.poll(() => page.getByTestId('emotion').inputValue()).toBe('happiness');
      expect(await page.getByTestId('class-mismatch').count()).toBe(0);
      // Enter chooses and goes back; ←/→ step frames and never change the choice
      const before = await shownFrame(page);
      await press(page, 'e', 'ArrowDown', 'Enter');
      expect(await focusedTestId(page)).not.toBe('emotion');
      const chosen = await page.getByTestId('emotion').inputValue();
      expect(chosen).not.toBe('happiness');
      await press(page, 'e', 'ArrowRight');
      await expect.poll(() => shownFrame(page)).toBe(before + 1);
      expect(await page.getByTestId('emotion').inputValue()).toBe(chosen);
      await press(page, 'e', 'ArrowUp', 'Escape', 'ArrowLeft');
      await expect.poll(() => shownFrame(page)).toBe(before);
      expect(await page.getByTestId('emotion').inputValue()).toBe('happiness');
      await press(page, 'u');
      await page.keyboard.type('L4+12B');
      await press(page, 'Escape');
      await expect.poll(() => text(page, 'au-chips')).toContain('AU4 L');
      expect(await text(page, 'au-chips')).toContain('AU12 B');
      await press(page, 'b', 'x', 'x');
      await expect.poll(() => page.getByTestId('flag-blink').isChecked()).toBe(true);
      expect(await page.getByTestId('flag-occlusion').isChecked()).toBe(false);
      await press(page, 'm');
      await page.keyboard.type('coded by keyboard');
      await press(page, 'Escape');
      await expect.poll(() => text(page, 'save-state'), { timeout: 10_000 }).toBe('saved');
    });

    it('computes the motion curve and accepts its suggested apex with one key', async () => {
      await press(page, 'c');
      await page.getByTestId('suggested-apex').waitFor({ timeout: 60_000 });
      const suggested = Number(await text(page, 'suggested-apex'));
      expect(suggested).toBeGreaterThanOrEqual(20);
      expect(suggested).toBeLessThanOrEqual(50);
      await press(page, 'Shift+a');
      await expect.poll(() => text(page, 'mark-apex')).toBe(String(suggested));
      await page.screenshot({ path: path.join(screenshotDir, 'workspace-01-curve.png') });
    });

    it('shows the difference image and the flow and strain overlays, zooms, plays the loop', async () => {
      await press(page, 'd');
      await expect.poll(() => text(page, 'overlay-badge')).toContain('×6');
      await press(page, '2', '=', '=');
      await expect.poll(() => text(page, 'viewer-status')).toContain('zoom 225%');
      await page.screenshot({ path: path.join(screenshotDir, 'workspace-02-difference-zoom.png') });
      await press(page, '0', 'f');
      await expect
        .poll(() => text(page, 'overlay-badge'), { timeout: 60_000 })
        .toContain('flow (colour wheel)');
      await page.screenshot({ path: path.join(screenshotDir, 'workspace-03-flow.png') });
      await press(page, 'g');
      await expect.poll(() => text(page, 'overlay-badge')).toContain('optical strain');
      await page.screenshot({ path: path.join(screenshotDir, 'workspace-04-strain.png') });
      await press(page, 'g');
      await page.evaluate(() => {
        const image = document.querySelector('[data-testid="frame-image"]')!;
        const drawn: number[] = [];
        (window as unknown as { drawn: number[] }).drawn = drawn;
        new MutationObserver(() =>
          drawn.push(Number(image.getAttribute('data-shown-index'))),
        ).observe(image, { attributes: true, attributeFilter: ['data-shown-index'] });
      });
      await press(page, ']', 'Space');
      await expect.poll(() => text(page, 'playback')).toBe('▶ 0.5×');
      await page.waitForTimeout(900);
      await press(page, 'Space');
      await expect.poll(() => text(page, 'playback')).toBe('■ 0.5×');
      const frame = await shownFrame(page);
      expect(frame).toBeGreaterThanOrEqual(20);
      expect(frame).toBeLessThanOrEqual(50);
      // Each pass of the onset→offset loop starts on the onset and ends on the offset.
      const drawn = await page.evaluate(() => (window as unknown as { drawn: number[] }).drawn);
      expect(drawn[0]).toBe(20);
      const wraps = drawn.flatMap((index, i) => (i > 0 && index < drawn[i - 1] ? [i] : []));
      expect(wraps.length).toBeGreaterThanOrEqual(1);
      for (const at of wraps) expect([drawn[at - 1], drawn[at]]).toEqual([50, 20]);
    });

    it('undoes and redoes the last change', async () => {
      await press(page, '3', 'ArrowLeft', 'ArrowLeft');
      await expect.poll(() => shownFrame(page)).toBe(48);
      await press(page, 'o');
      await expect.poll(() => text(page, 'mark-offset')).toBe('48');
      await expect.poll(() => text(page, 'save-state')).toBe('saved');
      await press(page, 'Control+z');
      await expect.poll(() => text(page, 'mark-offset')).toBe('50');
      await press(page, 'Control+Shift+z');
      await expect.poll(() => text(page, 'mark-offset')).toBe('48');
      await press(page, 'Control+z');
      await expect.poll(() => text(page, 'mark-offset')).toBe('50');
    });

    it('rebinds a key in the keys view, by keyboard', async () => {
      await pressViewKeyUntil(page, 'keys');
      for (let i = 0; i < 12 && (await focusedTestId(page)) !== 'bind-stepForward'; i++)
        await press(page, 'Tab');
      expect(await focusedTestId(page)).toBe('bind-stepForward');
      await press(page, 'Enter');
      await expect.poll(() => text(page, 'bind-stepForward')).toBe('press a key…');
      await press(page, 'l');
      await expect.poll(() => text(page, 'keys-message')).toContain('Next frame: l');
      await page.screenshot({ path: path.join(screenshotDir, 'workspace-05-keys.png') });
      await pressViewKeyUntil(page, 'workspace');
      await press(page, '1', 'l');
      await expect.poll(() => shownFrame(page)).toBe(21);
    });

    it('finds everything saved after a reload (and the rebound key)', async () => {
      await page.reload();
      await expect.poll(() => shownFrame(page)).toBe(0);
      // back on the clip this window last showed
      await expect.poll(() => text(page, 'viewer-status')).toContain('sub01 / EP02');
      await expect.poll(() => text(page, 'mark-onset')).toBe('20');
      expect(await text(page, 'mark-offset')).toBe('50');
      expect(await page.getByTestId('class-positive').getAttribute('aria-pressed')).toBe('true');
      expect(await page.getByTestId('emotion').inputValue()).toBe('happiness');
      expect(await page.getByTestId('aus').inputValue()).toBe('L4+12B');
      expect(await page.getByTestId('flag-blink').isChecked()).toBe(true);
      expect(await page.getByTestId('notes').inputValue()).toBe('coded by keyboard');
      await press(page, 'l');
      await expect.poll(() => shownFrame(page)).toBe(1);
      await page.screenshot({ path: path.join(screenshotDir, 'workspace-06-reloaded.png') });
    });
  },
);
