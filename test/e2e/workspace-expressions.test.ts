import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAppSession, type AppSession } from '../support/app-session';
import path from 'node:path';
import { chromiumMissingNote, screenshotDir } from '../support/browser';
import { findCoderFile, focusedTestId, press, shownFrame, text } from './workspace-host';

interface CoderFile {
  schemaVersion: number;
  annotations: Record<
    string,
    { onset: number | null; apex: number | null; notes: string; expression?: number }
  >;
}

/**
 * A long recording holds several expressions: the coder codes a second one in the same clip
 * (N), goes back to the first (,) and forward (.), and deletes the second. Keyboard only.
 */
describe.skipIf(chromiumMissingNote())(
  'several expressions in one clip (web host + chromium)',
  () => {
    let app: AppSession;
    let page: Page;
    const onDisk = async () =>
      JSON.parse(
        await readFile(await findCoderFile(app.dataFolder, 'coder1'), 'utf8'),
      ) as CoderFile;

    beforeAll(async () => {
      app = await openAppSession();
      page = app.page;
    });

    afterAll(() => app?.close());

    async function markAt(onset: number, apex: number): Promise<void> {
      await press(page, 'Home');
      for (let i = 0; i < onset; i++) await press(page, 'ArrowRight');
      await expect.poll(() => shownFrame(page)).toBe(onset);
      await press(page, 'i');
      for (let i = onset; i < apex; i++) await press(page, 'ArrowRight');
      await expect.poll(() => shownFrame(page)).toBe(apex);
      await press(page, 'a');
      await expect.poll(() => text(page, 'save-state')).toBe('saved');
    }

    it('codes a second expression of the clip and keeps both', async () => {
      await expect.poll(() => shownFrame(page)).toBe(0);
      await markAt(2, 5);
      await expect.poll(() => text(page, 'expression-shown')).toBe('expression 1 of 1');
      // Notes still waiting for their autosave when the coder moves on go with the first.
      await page.getByTestId('notes').fill('the first');
      await press(page, 'Escape', 'n');
      await expect.poll(() => text(page, 'expression-shown')).toBe('expression 2 of 2');
      await expect.poll(() => text(page, 'mark-onset')).toBe('—');
      // The first expression stays in sight on the timeline.
      await expect.poll(() => page.getByTestId('other-expression').count()).toBe(1);
      await markAt(20, 24);
      await page.screenshot({ path: path.join(screenshotDir, 'workspace-30-expressions.png') });
      const file = await onDisk();
      expect(file.schemaVersion).toBe(2);
      expect(file.annotations['sub01/EP01']).toMatchObject({
        onset: 2,
        apex: 5,
        notes: 'the first',
      });
      expect(file.annotations['sub01/EP01#expression-2']).toMatchObject({
        onset: 20,
        apex: 24,
        expression: 2,
      });
    });

    it('steps between the expressions and deletes one', async () => {
      await press(page, ',');
      await expect.poll(() => text(page, 'expression-shown')).toBe('expression 1 of 2');
      await expect.poll(() => text(page, 'mark-onset')).toBe('2');
      await press(page, '.');
      await expect.poll(() => text(page, 'mark-onset')).toBe('20');
      await page.getByTestId('expression-remove').focus();
      // The first press only asks; Escape keeps the expression.
      await press(page, 'Enter');
      await expect
        .poll(() => text(page, 'expression-remove'))
        .toBe('Delete expression 2? Press again to delete');
      expect(await text(page, 'expression-remove-hint')).toBe(
        'Ctrl+z brings it back · Esc or moving on keeps it',
      );
      expect(await text(page, 'expression-shown')).toBe('expression 2 of 2');
      await press(page, 'Escape');
      await expect.poll(() => text(page, 'expression-remove')).toBe('delete this expression');
      expect(await focusedTestId(page)).toBe('expression-remove');
      // Asking, then moving on (Tab) keeps it too.
      await press(page, 'Enter', 'Tab');
      await expect.poll(() => text(page, 'expression-remove')).toBe('delete this expression');
      expect(Object.keys((await onDisk()).annotations)).toHaveLength(2);
      // Pressed twice: deleted, and the keyboard goes on from the panel's heading.
      await page.getByTestId('expression-remove').focus();
      await press(page, 'Enter', 'Enter');
      await expect.poll(() => text(page, 'expression-shown')).toBe('expression 1 of 1');
      expect(await text(page, 'mark-onset')).toBe('2');
      await expect.poll(() => focusedTestId(page)).toBe('annotation-heading');
      const file = await onDisk();
      expect(Object.keys(file.annotations)).toEqual(['sub01/EP01']);
      expect(file.schemaVersion).toBe(1);
    });

    it('brings the deleted expression back with undo, touching no other, and redo deletes it again', async () => {
      // Right after the delete, the panel shows expression 1, whose own last edit (its notes)
      // is older than the delete: undo takes back the delete, not that edit.
      await press(page, 'Control+z');
      await expect.poll(() => text(page, 'expression-shown')).toBe('expression 2 of 2');
      await expect
        .poll(async () => [await text(page, 'mark-onset'), await text(page, 'mark-apex')])
        .toEqual(['20', '24']);
      let file = await onDisk();
      expect(file.annotations['sub01/EP01']).toMatchObject({ onset: 2, notes: 'the first' });
      expect(file.annotations['sub01/EP01#expression-2']).toMatchObject({
        onset: 20,
        apex: 24,
        expression: 2,
      });
      await press(page, ',');
      await expect.poll(() => text(page, 'mark-onset')).toBe('2');
      expect(await page.getByTestId('notes').inputValue()).toBe('the first');
      await press(page, '.');
      await expect.poll(() => text(page, 'mark-onset')).toBe('20');
      await press(page, 'Control+Shift+z');
      await expect.poll(() => text(page, 'expression-shown')).toBe('expression 1 of 1');
      file = await onDisk();
      expect(Object.keys(file.annotations)).toEqual(['sub01/EP01']);
      await press(page, 'Control+z');
      await expect.poll(() => text(page, 'expression-shown')).toBe('expression 2 of 2');
      await expect.poll(() => text(page, 'mark-onset')).toBe('20');
      expect(Object.keys((await onDisk()).annotations)).toHaveLength(2);
    });

    it('shows the expression that moves into the place of a deleted one, and undo puts it back', async () => {
      await press(page, 'n');
      await expect.poll(() => text(page, 'expression-shown')).toBe('expression 3 of 3');
      await markAt(40, 44);
      await press(page, ',');
      await expect.poll(() => text(page, 'mark-onset')).toBe('20');
      await page.getByTestId('expression-remove').focus();
      await press(page, 'Enter', 'Enter');
      // The third is now the second: the panel shows it, not what it showed before.
      await expect.poll(() => text(page, 'expression-shown')).toBe('expression 2 of 2');
      await expect.poll(() => text(page, 'mark-onset')).toBe('40');
      expect(await text(page, 'mark-apex')).toBe('44');
      expect((await onDisk()).annotations['sub01/EP01#expression-2']).toMatchObject({ onset: 40 });
      await press(page, 'Control+z');
      await expect.poll(() => text(page, 'expression-shown')).toBe('expression 2 of 3');
      await expect.poll(() => text(page, 'mark-onset')).toBe('20');
      const annotations = (await onDisk()).annotations;
      expect(
        ['sub01/EP01', 'sub01/EP01#expression-2', 'sub01/EP01#expression-3'].map(
          (key) => annotations[key]?.onset,
        ),
      ).toEqual([2, 20, 40]);
    });

    it('moves a kept draft of a later expression with it when an earlier one is deleted', async () => {
      // Another tab (its own storage) changes expression 3: this tab's edit of it is refused, kept.
      await press(page, '.');
      await expect.poll(() => text(page, 'expression-shown')).toBe('expression 3 of 3');
      await expect.poll(() => text(page, 'mark-onset')).toBe('40');
      const other = await app.browser.newPage({ viewport: { width: 1400, height: 900 } });
      await other.goto(app.host.url);
      await expect.poll(() => text(other, 'save-state')).toBe('saved');
      for (const shown of ['expression 2 of 3', 'expression 3 of 3']) {
        await expect.poll(() => text(other, 'expression-shown')).not.toBe(shown);
        await press(other, '.');
        await expect.poll(() => text(other, 'expression-shown')).toBe(shown);
      }
      await expect.poll(() => text(other, 'save-state')).toBe('saved');
      await other.getByTestId('notes').fill('third, from the other tab');
      await press(other, 'Escape');
      await expect.poll(() => text(other, 'save-state')).toBe('saved');
      await page.bringToFront();
      // Still the version it read before the other tab's save.
      await other.close();
      await page.getByTestId('notes').fill('third, kept here');
      await press(page, 'Escape');
      await expect.poll(() => page.getByTestId('save-conflict').count()).toBe(1);
      await press(page, ',');
      await expect.poll(() => text(page, 'expression-shown')).toBe('expression 2 of 3');
      await page.getByTestId('expression-remove').focus();
      await press(page, 'Enter', 'Enter');
      await expect.poll(() => text(page, 'expression-shown')).toBe('expression 2 of 2');
      const drafts = () =>
        page.evaluate(() =>
          Object.keys(localStorage)
            .filter((key) => key.startsWith('mer-draft'))
            .map((key) => [
              key.split('\0').at(-1),
              JSON.parse(localStorage.getItem(key)!).fields.notes,
            ]),
        );
      // The kept edit moved with its expression (now the second), and the panel shows it.
      await expect.poll(drafts).toEqual([['sub01/EP01#expression-2', 'third, kept here']]);
      await expect.poll(() => page.getByTestId('notes').inputValue()).toBe('third, kept here');
      expect((await onDisk()).annotations['sub01/EP01#expression-2']).toMatchObject({
        onset: 40,
        notes: 'third, from the other tab',
      });
    });
  },
);
