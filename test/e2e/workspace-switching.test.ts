import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDemoDataset } from '../../src/main/dataset/demo/generate';
import { NOTES_MAX_LENGTH } from '../../src/shared/contract/schemas';
import { openAppSession, type AppSession } from '../support/app-session';
import { chromiumMissingNote } from '../support/browser';
import { press, shownFrame, text } from './workspace-host';

/**
 * Edits that must stay where they were made: go-to-frame typed twice, notes at their limit, and
 * a second dataset whose first clip has the same id (sub01/EP01) as the demo's.
 */
describe.skipIf(chromiumMissingNote())('switching and limits (web host + chromium)', () => {
  let app: AppSession;
  let page: Page;
  let other: string;

  beforeAll(async () => {
    other = await mkdtemp(path.join(os.tmpdir(), 'mer-other-dataset-'));
    await generateDemoDataset(other, {
      subjects: 1,
      clipsPerSubject: 2,
      framesPerClip: 20,
      width: 320,
      height: 240,
    });
    app = await openAppSession();
    page = app.page;
    await page.getByTestId('frame-image').waitFor();
  });

  afterAll(async () => {
    await app?.close();
    await rm(other, { recursive: true, force: true });
  });

  it('finds clips by every word typed, and says when none matches', async () => {
    await press(page, '/');
    await page.keyboard.type('sub02 ep03');
    await expect.poll(() => page.getByTestId('clip-list').getByRole('button').count()).toBe(1);
    await page.keyboard.type('x');
    await expect.poll(() => text(page, 'no-clip-matches')).toBe('No clip matches “sub02 ep03x”.');
    await page.getByTestId('clip-search').fill('');
    await press(page, 'Escape');
    await expect.poll(() => page.getByTestId('clip-list').getByRole('button').count()).toBe(12);
  });

  it('goes to the frame typed each time, not to the digits typed so far', async () => {
    await expect.poll(() => shownFrame(page)).toBe(0);
    await press(page, 'Shift+G');
    await page.keyboard.type('10');
    await press(page, 'Enter');
    await expect.poll(() => shownFrame(page)).toBe(10);
    await press(page, 'Shift+G');
    await page.keyboard.type('5');
    await press(page, 'Enter');
    await expect.poll(() => shownFrame(page)).toBe(5);
  });

  it('stops notes at their limit and says how long they are', async () => {
    await page.getByTestId('notes').fill('x'.repeat(NOTES_MAX_LENGTH + 2000));
    expect((await page.getByTestId('notes').inputValue()).length).toBe(NOTES_MAX_LENGTH);
    await expect.poll(() => text(page, 'notes-length')).toMatch(/10,000 \/ 10,000/);
    await expect.poll(() => text(page, 'save-state')).toBe('saved');
  });

  it("opens another dataset without carrying this one's annotation into it", async () => {
    await page.getByTestId('notes').fill('');
    await page.getByTestId('aus').fill('L4+12');
    await press(page, 'Escape', 'i');
    await expect.poll(() => text(page, 'mark-onset')).toBe('5');
    await expect.poll(() => text(page, 'save-state')).toBe('saved');
    await openDataset(other);
    await expect.poll(() => page.getByTestId('clip-list').getByRole('button').count()).toBe(2);
    const counted = async () =>
      ((await text(page, 'class-counts')).match(/\d+/g) ?? []).reduce((a, b) => a + Number(b), 0);
    await expect.poll(counted).toBe(2);
    await expect.poll(() => text(page, 'mark-onset')).toBe('—');
    expect(await page.getByTestId('aus').inputValue()).toBe('');
    // Its own frames, not the demo's cached frames of the clip with the same id.
    await expect
      .poll(() => page.getByTestId('frame-image').getAttribute('data-shown-width'))
      .toBe('320');
    // The panel takes marks once its clip's annotation has loaded (its fields are enabled then).
    await expect.poll(() => page.getByTestId('emotion').isEnabled()).toBe(true);
    await press(page, 'i');
    await expect.poll(() => text(page, 'mark-onset')).toBe('0');
    await expect.poll(() => text(page, 'save-state')).toBe('saved');
    const saved = await codedClips(other);
    expect(saved.map(({ clipId, onset, ausRaw }) => [clipId, onset, ausRaw])).toEqual([
      ['sub01/EP01', 0, ''],
    ]);
  });

  it('opens the same dataset again with its marks, and the next edit keeps them', async () => {
    await press(page, 'Shift+G');
    await page.keyboard.type('9');
    await press(page, 'Enter', 'a');
    await expect.poll(() => text(page, 'mark-apex')).toBe('9');
    await expect.poll(() => text(page, 'save-state')).toBe('saved');
    await openDataset(other);
    await expect.poll(() => shownFrame(page)).toBe(0); // reopened: the first frame again
    await expect.poll(() => text(page, 'mark-apex')).toBe('9');
    expect(await text(page, 'mark-onset')).toBe('0');
    await page.getByTestId('notes').fill('reopened');
    await expect.poll(() => text(page, 'save-state')).toBe('saved');
    const saved = await codedClips(other);
    expect(saved.map(({ clipId, onset, apex, notes }) => [clipId, onset, apex, notes])).toEqual([
      ['sub01/EP01', 0, 9, 'reopened'],
    ]);
  });

  it("clears each clip's draft once its save lands, even when the coder moves on at once", async () => {
    await page.getByTestId('notes').fill('moved on');
    await press(page, 'Escape', 'PageDown');
    for (let i = 0; i < 6; i++) await press(page, 'i', i % 2 ? 'PageDown' : 'PageUp');
    await expect.poll(() => page.getByTestId('clip-draft').count()).toBe(0);
    const drafts = await page.evaluate(
      () => Object.keys(localStorage).filter((key) => key.startsWith('mer-draft')).length,
    );
    expect(drafts).toBe(0);
    const saved = await codedClips(other);
    expect(saved.find((clip) => clip.clipId === 'sub01/EP01')?.notes).toBe('moved on');
    expect(saved.find((clip) => clip.clipId === 'sub01/EP01')?.apex).toBe(9); // not another clip's
  });

  async function openDataset(folder: string): Promise<void> {
    await page.getByTestId('open-dataset').click();
    await page.getByTestId('dataset-path').fill(folder);
    await press(page, 'Enter');
  }

  /** The annotations of every coder file under a dataset's own folder. */
  async function codedClips(
    root: string,
  ): Promise<
    Array<{ clipId: string; onset: number; apex: number; ausRaw: string; notes: string }>
  > {
    const folder = path.join(root, '.mer-studio', 'annotations');
    const files = await readdir(folder).catch(() => [] as string[]);
    const annotations = [];
    for (const file of files.filter((name) => name.endsWith('.json'))) {
      const parsed = JSON.parse(await readFile(path.join(folder, file), 'utf8')) as {
        annotations: Record<
          string,
          { clipId: string; onset: number; apex: number; ausRaw: string; notes: string }
        >;
      };
      annotations.push(...Object.values(parsed.annotations));
    }
    return annotations;
  }
});
