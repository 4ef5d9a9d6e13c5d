import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAppSession, type AppSession } from '../support/app-session';
import { chromiumMissingNote, screenshotDir } from '../support/browser';
import { findCoderFile, press, shownFrame, text } from './workspace-host';

interface Stored {
  onset: number | null;
  notes: string;
  flags: { blink: boolean; occlusion: boolean };
}

/**
 * Two tabs of the same coder on the same clip: the second save made on a version the other tab
 * has changed since is refused, the tab says so in plain words and keeps the edit, and the coder
 * loads the other version or keeps theirs. Neither tab silently overwrites the other.
 */
describe.skipIf(chromiumMissingNote())('two tabs on one clip (web host + chromium)', () => {
  let app: AppSession;
  let first: Page;
  let second: Page;
  const storedAll = async (): Promise<Record<string, Stored>> => {
    const file = JSON.parse(await readFile(await findCoderFile(app.dataFolder, 'coder1'), 'utf8'));
    return (file as { annotations: Record<string, Stored> }).annotations;
  };
  const stored = async (): Promise<Stored> => (await storedAll())['sub01/EP01'];
  const storedKeys = async (): Promise<string[]> => Object.keys(await storedAll());

  beforeAll(async () => {
    app = await openAppSession();
    // Two tabs of one browser: they share its storage (and so its kept drafts).
    const context = await app.browser.newContext({ viewport: { width: 1400, height: 900 } });
    first = await context.newPage();
    second = await context.newPage();
    for (const page of [first, second]) await page.goto(app.host.url);
    await app.page.close();
  });

  afterAll(() => app?.close());

  it('refuses the save made on the older version, says so and keeps the edit', async () => {
    for (const page of [first, second]) {
      await expect.poll(() => shownFrame(page)).toBe(0);
      await expect.poll(() => text(page, 'save-state')).toBe('saved');
    }
    await first.bringToFront();
    await press(first, 'Shift+ArrowRight');
    await expect.poll(() => shownFrame(first)).toBe(10);
    await press(first, 'i');
    await expect.poll(() => text(first, 'mark-onset')).toBe('10');
    await expect.poll(() => text(first, 'save-state')).toBe('saved');
    await second.bringToFront();
    await second.getByTestId('notes').fill('seen in the second tab');
    await press(second, 'Escape');
    const conflict = second.getByTestId('save-conflict');
    await expect.poll(() => conflict.count(), { timeout: 10_000 }).toBe(1);
    expect(await conflict.getAttribute('role')).toBe('alert');
    expect((await text(second, 'save-conflict')).replace(/\s+/g, ' ')).toMatch(
      /^This clip’s annotation was changed in another window or tab after you began this edit, so your edit was not saved\. It is kept here\./,
    );
    expect(await text(second, 'save-state')).toBe('not saved');
    expect(await second.getByTestId('notes').inputValue()).toBe('seen in the second tab');
    await expect.poll(() => second.getByTestId('clip-draft').count()).toBe(1);
    // The tabs share the browser's drafts: the other tab marks the clip too.
    await expect.poll(() => first.getByTestId('clip-draft').count()).toBe(1);
    expect(await stored()).toMatchObject({ onset: 10, notes: '' });
    await second.screenshot({ path: path.join(screenshotDir, 'two-tabs-conflict.png') });
  });

  it('keeps the second tab’s version when the coder chooses it', async () => {
    await second.getByTestId('conflict-keep-mine').click();
    await expect.poll(() => text(second, 'save-state')).toBe('saved');
    expect(await second.getByTestId('save-conflict').count()).toBe(0);
    expect(await stored()).toMatchObject({ onset: null, notes: 'seen in the second tab' });
    await expect.poll(() => second.getByTestId('clip-draft').count()).toBe(0);
    await expect.poll(() => first.getByTestId('clip-draft').count()).toBe(0);
  });

  it('lets the first tab load the other version instead of its own', async () => {
    await first.bringToFront();
    await press(first, 'b');
    await expect
      .poll(() => first.getByTestId('save-conflict').count(), { timeout: 10_000 })
      .toBe(1);
    expect(await stored()).toMatchObject({
      notes: 'seen in the second tab',
      flags: { blink: false },
    });
    await first.getByTestId('conflict-load-theirs').click();
    await expect.poll(() => first.getByTestId('notes').inputValue()).toBe('seen in the second tab');
    expect(await text(first, 'mark-onset')).toBe('—');
    expect(await first.getByTestId('flag-blink').isChecked()).toBe(false);
    expect(await text(first, 'save-state')).toBe('saved');
    await expect.poll(() => first.getByTestId('clip-draft').count()).toBe(0);
  });

  it('never takes a tab’s own quick saves for another window’s', async () => {
    await first.getByTestId('notes').focus();
    for (const word of [' one', ' two', ' three']) {
      await first.keyboard.type(word);
      await first.waitForTimeout(150); // within and across autosave pauses
    }
    await press(first, 'Escape', 'b', 'x', 'b');
    await expect.poll(() => text(first, 'save-state')).toBe('saved');
    expect(await first.getByTestId('save-conflict').count()).toBe(0);
    expect(await stored()).toMatchObject({
      notes: 'seen in the second tab one two three',
      flags: { blink: false, occlusion: true },
    });
  });

  it('says the clip changed again when keeping one’s own version meets another save', async () => {
    await second.bringToFront();
    await second.getByTestId('notes').fill('second tab, again');
    await press(second, 'Escape');
    await expect
      .poll(() => second.getByTestId('save-conflict').count(), { timeout: 10_000 })
      .toBe(1);
    await first.bringToFront();
    await press(first, 'b');
    await expect.poll(() => text(first, 'save-state')).toBe('saved');
    await second.bringToFront();
    await second.getByTestId('conflict-keep-mine').click();
    await expect
      .poll(async () => (await text(second, 'save-conflict')).replace(/\s+/g, ' '), {
        timeout: 10_000,
      })
      .toMatch(
        /was changed again in another window or tab \(seen at .+\) after you chose to keep yours/,
      );
    expect((await stored()).flags.blink).toBe(true);
    await second.getByTestId('conflict-keep-mine').click();
    await expect.poll(() => text(second, 'save-state')).toBe('saved');
    expect(await stored()).toMatchObject({ notes: 'second tab, again', flags: { blink: false } });
  });

  it('does not offer to keep an edit whose expression another tab moved by deleting one', async () => {
    await first.bringToFront();
    await first.reload();
    await expect.poll(() => text(first, 'save-state')).toBe('saved');
    await press(first, 'n');
    await expect.poll(() => text(first, 'expression-shown')).toBe('expression 2 of 2');
    await expect.poll(() => text(first, 'save-state')).toBe('saved'); // read: marks now count
    await press(first, 'i');
    await expect.poll(() => text(first, 'mark-onset')).not.toBe('—');
    await expect.poll(storedKeys, { timeout: 10_000 }).toContain('sub01/EP01#expression-2');
    await second.bringToFront();
    await second.reload();
    await expect
      .poll(() => text(second, 'expression-shown'), { timeout: 10_000 })
      .toBe('expression 1 of 2');
    await first.bringToFront();
    await press(first, ',');
    await expect.poll(() => text(first, 'expression-shown')).toBe('expression 1 of 2');
    await first.getByTestId('expression-remove').focus();
    await press(first, 'Enter', 'Enter');
    await expect.poll(() => text(first, 'expression-shown')).toBe('expression 1 of 1');
    await second.bringToFront();
    await second.getByTestId('notes').fill('meant for the first expression');
    await press(second, 'Escape');
    await expect
      .poll(async () => (await text(second, 'save-conflict')).replace(/\s+/g, ' '), {
        timeout: 10_000,
      })
      .toMatch(/expressions were changed in another window or tab \(one was deleted or added\)/);
    expect(await second.getByTestId('conflict-keep-mine').count()).toBe(0);
    expect(await second.getByTestId('notes').inputValue()).toBe('meant for the first expression');
  });

  it('refuses an undo that would take back another tab’s save', async () => {
    await second.getByTestId('conflict-load-theirs').click();
    await expect.poll(() => second.getByTestId('save-conflict').count()).toBe(0);
    await first.bringToFront();
    await first.getByTestId('notes').fill('first tab, to be undone');
    await press(first, 'Escape');
    await expect.poll(() => text(first, 'save-state')).toBe('saved');
    await second.bringToFront();
    await second.reload();
    await expect.poll(() => text(second, 'save-state')).toBe('saved');
    await second.getByTestId('notes').fill('second tab’s careful work');
    await press(second, 'Escape');
    await expect.poll(() => text(second, 'save-state')).toBe('saved');
    await first.bringToFront();
    await press(first, 'Control+z');
    await expect
      .poll(async () => (await text(first, 'save-conflict')).replace(/\s+/g, ' '), {
        timeout: 10_000,
      })
      .toMatch(
        /changed in another window or tab since this one showed it, so undo was not applied/,
      );
    expect((await stored()).notes).toBe('second tab’s careful work');
  });
});
