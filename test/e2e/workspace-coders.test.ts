import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnnotationStore } from '../../src/main/annotations/store';
import type { ClipAnnotation, ThreeClass } from '../../src/shared/domain';
import { openAppSession, type AppSession } from '../support/app-session';
import { chromiumMissingNote, screenshotDir } from '../support/browser';
import {
  findCoderFile,
  focusedTestId,
  press,
  pressViewKeyUntil,
  shownFrame,
  text,
} from './workspace-host';

/**
 * Two coders' files with a known answer: labels (negative, negative, positive, surprise) against
 * (negative, positive, positive, surprise) give p_o 3/4, p_e 5/16, κ = 7/11 ≈ 0.636; onsets
 * differing by 0, 1, 2, 3 frames are 3/4 within ±2. Then adjudication into the consensus set,
 * blind mode, and bad input in place (a coder file from a newer schema, a frame that cannot be
 * decoded mid-scrub, a frame index beyond the clip). Keyboard only.
 */
const CLIPS = ['sub01/EP01', 'sub01/EP02', 'sub01/EP03', 'sub02/EP01'];
const ANA: ThreeClass[] = ['negative', 'negative', 'positive', 'surprise'];
const BEN: ThreeClass[] = ['negative', 'positive', 'positive', 'surprise'];

function coderFile(coder: string, labels: ThreeClass[], onsetShift: (i: number) => number): string {
  const annotations = Object.fromEntries(
    CLIPS.map((clipId, i) => [
      clipId,
      {
        clipId,
        onset: 10 + onsetShift(i),
        apex: 25,
        offset: 45,
        emotion: null,
        threeClass: labels[i],
        aus: [{ au: 12, raw: '12' }],
        ausRaw: '12',
        flags: { blink: false, occlusion: false, badFrames: false },
        notes: '',
        coder,
        updatedAt: '2026-11-01T10:00:00.000Z',
      },
    ]),
  );
  const file = {
    format: 'mer-studio-annotations',
    schemaVersion: 1,
    coder,
    dataset: 'demo-dataset',
    annotations,
  };
  return JSON.stringify(file, null, 2);
}

async function tabTo(page: Page, testId: string, limit = 60): Promise<void> {
  for (let i = 0; i < limit && (await focusedTestId(page)) !== testId; i++)
    await press(page, 'Tab');
  expect(await focusedTestId(page)).toBe(testId);
}

/** Becomes another coder in the coders view, by keyboard, and goes back to the workspace. */
async function codeAs(page: Page, coder: string): Promise<void> {
  await press(page, 'v');
  await tabTo(page, 'coder-name');
  await page.keyboard.type(coder);
  await press(page, 'Enter');
  await expect.poll(() => text(page, 'current-coder')).toBe(coder);
  await pressViewKeyUntil(page, 'workspace');
}

describe.skipIf(chromiumMissingNote())('several coders (web host + chromium)', () => {
  let app: AppSession;
  let page: Page;
  let dataFolder: string;

  beforeAll(async () => {
    app = await openAppSession();
    ({ page, dataFolder } = app);
  });

  afterAll(() => app?.close());

  it('writes the fixture coders beside coder1', async () => {
    await expect.poll(() => shownFrame(page)).toBe(0);
    await press(page, 'i');
    await expect.poll(() => text(page, 'save-state')).toBe('saved');
    // Beside coder1, and in the dataset's own folder too: a store resolves its folder on first
    // use, and two concurrent first uses can disagree (reported to the store's owner).
    const folders = new Set([
      path.dirname(await findCoderFile(dataFolder, 'coder1')),
      path.join(dataFolder, 'demo-dataset', '.mer-studio', 'annotations'),
    ]);
    for (const folder of folders) {
      await mkdir(folder, { recursive: true });
      await writeFile(
        path.join(folder, 'ana.json'),
        coderFile('ana', ANA, () => 0),
      );
      await writeFile(
        path.join(folder, 'ben.json'),
        coderFile('ben', BEN, (i) => i),
      );
      const future = { schemaVersion: 99, annotations: {} };
      await writeFile(path.join(folder, 'future.json'), JSON.stringify(future));
      // edited by hand and broken; the previous save is its backup
      const previous = coderFile('dora', ANA, () => 0);
      await writeFile(path.join(folder, 'dora.json'), previous.slice(0, previous.length / 2));
      await writeFile(path.join(folder, 'dora.json.bak'), previous);
      // marked on a longer version of every clip (its video since replaced)
      const everyClip = ['sub01', 'sub02', 'sub03', 'sub04'].flatMap((subject) =>
        ['EP01', 'EP02', 'EP03'].map((clip) => `${subject}/${clip}`),
      );
      const eve = JSON.parse(coderFile('eve', ANA, () => 0));
      const marked = eve.annotations['sub01/EP01'];
      eve.annotations = Object.fromEntries(
        everyClip.map((clipId) => [clipId, { ...marked, clipId, offset: 5000 }]),
      );
      await writeFile(path.join(folder, 'eve.json'), JSON.stringify(eve));
    }
  });

  it("saves a window's edits as its own coder when another window switches coder", async () => {
    const other = await app.browser.newPage({ viewport: { width: 1400, height: 900 } });
    try {
      await other.goto(app.host.url);
      await expect.poll(() => shownFrame(other)).toBe(0);
      await codeAs(other, 'ben');
    } finally {
      await other.close();
    }
    expect(await text(page, 'coder-badge')).toContain('coder1');
    await press(page, 'ArrowRight', 'ArrowRight', 'ArrowRight', 'i');
    await expect.poll(() => text(page, 'save-state')).toBe('saved');
    const onsetOf = async (coder: string) => {
      const file = JSON.parse(await readFile(await findCoderFile(dataFolder, coder), 'utf8')) as {
        annotations: Record<string, { onset: number }>;
      };
      return file.annotations['sub01/EP01'].onset;
    };
    expect(await onsetOf('coder1')).toBe(3);
    expect(await onsetOf('ben')).toBe(10);
  });

  it("computes Cohen's kappa and the frame agreement of the two coders", async () => {
    await press(page, 'v');
    await expect
      .poll(() => page.getByTestId('view-coders').getAttribute('aria-current'))
      .toBe('page');
    await expect
      .poll(() => page.getByTestId('coder-a').locator('option').allTextContents())
      .toContain('ben');
    await tabTo(page, 'coder-a');
    await page.keyboard.type('ana');
    await press(page, 'Tab');
    expect(await focusedTestId(page)).toBe('coder-b');
    await page.keyboard.type('ben');
    await press(page, 'Tab', 'Control+a', 'Backspace', 'Enter');
    await expect.poll(() => text(page, 'coders-error')).toMatch(/whole number of frames/);
    await press(page, 'Control+a');
    await page.keyboard.type('2');
    await press(page, 'Enter');
    await page.getByTestId('agreement').waitFor();
    await expect.poll(() => text(page, 'kappa-three-class')).toContain('κ 0.636');
    expect(await text(page, 'kappa-three-class')).toContain('p_o 0.750, p_e 0.313');
    expect(await text(page, 'agree-onset')).toContain('75.0% within (3/4)');
    expect(await text(page, 'au-agreement')).toContain('1.000');
    await page.screenshot({ path: path.join(screenshotDir, 'workspace-20-agreement.png') });
  });

  it('adjudicates a disagreement into the consensus set', async () => {
    await tabTo(page, 'disagreements-first');
    await press(page, 'Enter');
    await page.getByTestId('adjudication').waitFor();
    await tabTo(page, 'pick-threeClass-a');
    await press(page, 'ArrowRight', 'Escape');
    await tabTo(page, 'adjudicate');
    await press(page, 'Enter');
    const consensusText = async () =>
      readFile(await findCoderFile(dataFolder, 'consensus'), 'utf8').catch(() => '');
    await expect.poll(consensusText, { timeout: 10_000 }).toContain('"threeClass": "positive"');
    const saved = JSON.parse(await consensusText()) as {
      annotations: Record<string, { onset: number; threeClass: string; notes: string }>;
    };
    expect(saved.annotations['sub01/EP02']).toMatchObject({ onset: 10, threeClass: 'positive' });
    expect(saved.annotations['sub01/EP02'].notes).toContain('threeClass: ben');
    await page.screenshot({ path: path.join(screenshotDir, 'workspace-21-adjudication.png') });
  });

  it('says when the consensus changed since the view showed it, and keeps the choices', async () => {
    await expect
      .poll(() => text(page, 'adjudication-message'))
      .toContain('saved to the consensus set');
    const consensusFile = await findCoderFile(dataFolder, 'consensus');
    type Consensus = { onset: number; threeClass: string; notes: string };
    const stored = async (): Promise<Consensus> =>
      JSON.parse(await readFile(consensusFile, 'utf8')).annotations['sub01/EP02'];
    // Another process (as `mer-studio serve` beside this one) changes the consensus meanwhile.
    const other = new AnnotationStore({
      location: { folder: path.dirname(path.dirname(consensusFile)), where: 'dataset' },
      coder: 'consensus',
      dataset: { name: 'demo-dataset', root: path.join(dataFolder, 'demo-dataset') },
    });
    const changeElsewhere = async (notes: string) => {
      const current = (await other.get('sub01/EP02')) as ClipAnnotation;
      await other.save({ ...current, threeClass: 'surprise', notes, updatedAt: current.updatedAt });
    };
    await changeElsewhere('changed in another process');

    await tabTo(page, 'pick-onset-a');
    await press(page, 'ArrowRight', 'Escape'); // ben's onset, 11
    await tabTo(page, 'adjudicate');
    await press(page, 'Enter');
    const conflict = page.getByTestId('adjudication-conflict');
    await expect.poll(() => conflict.count(), { timeout: 10_000 }).toBe(1);
    expect(await conflict.getAttribute('role')).toBe('alert');
    expect((await text(page, 'adjudication-conflict')).replace(/\s+/g, ' ')).toMatch(
      /^This clip’s consensus was changed in another window or tab since this view showed it, so your choices were not saved\. They are kept here\./,
    );
    expect(await stored()).toMatchObject({
      threeClass: 'surprise',
      notes: 'changed in another process',
    });
    for (const kept of ['pick-onset-b', 'pick-threeClass-b'])
      expect(await page.getByTestId(kept).isChecked(), kept).toBe(true);
    await page.screenshot({
      path: path.join(screenshotDir, 'workspace-21-adjudication-conflict.png'),
    });

    // Load the other version: the consensus column shows it, the choices stay for the coder.
    await tabTo(page, 'adjudication-load-theirs');
    await press(page, 'Enter');
    await expect.poll(() => text(page, 'consensus-threeClass')).toBe('surprise');
    expect(await conflict.count()).toBe(0);
    expect(await text(page, 'adjudication-message')).toContain('Your choices are kept');
    expect(await page.getByTestId('pick-onset-b').isChecked()).toBe(true);
    expect(await focusedTestId(page)).toBe('adjudicate');
    await press(page, 'Enter');
    await expect
      .poll(async () => (await stored()).threeClass, { timeout: 10_000 })
      .toBe('positive');
    expect(await stored()).toMatchObject({
      onset: 11,
      notes: expect.stringContaining('onset: ben'),
    });

    // Changed again elsewhere: "Keep mine" saves the choices over it.
    await changeElsewhere('changed again in another process');
    await press(page, 'Enter');
    await expect.poll(() => conflict.count(), { timeout: 10_000 }).toBe(1);
    expect(await stored()).toMatchObject({ notes: 'changed again in another process' });
    await tabTo(page, 'adjudication-keep-mine');
    await press(page, 'Enter');
    await expect
      .poll(async () => (await stored()).threeClass, { timeout: 10_000 })
      .toBe('positive');
    expect(await conflict.count()).toBe(0);
    expect(await stored()).toMatchObject({
      onset: 11,
      notes: expect.stringContaining('onset: ben'),
    });
  });

  it('hides the others in blind mode', async () => {
    await tabTo(page, 'blind-mode');
    await press(page, 'Space');
    await page.getByTestId('blind-badge').waitFor();
    expect(await page.getByTestId('agreement').count()).toBe(0);
    await pressViewKeyUntil(page, 'results');
    await expect.poll(() => text(page, 'results-blind')).toContain('Hidden in blind mode');
    expect(await page.getByTestId('batch-start').count()).toBe(0);
    await pressViewKeyUntil(page, 'workspace');
    await expect.poll(() => text(page, 'save-state')).toBe('saved');
    expect(await page.getByTestId('imported-compare').count()).toBe(0);
  });

  it('shows a coder file from a newer schema in place; the rest keeps working', async () => {
    await codeAs(page, 'future');
    await page.screenshot({ path: path.join(screenshotDir, 'workspace-22-newer-schema.png') });
    await expect.poll(() => text(page, 'annotation-error')).toContain('newer MER Studio');
    const before = await shownFrame(page);
    await press(page, 'ArrowRight');
    await expect.poll(() => shownFrame(page)).toBe(before + 1);
    await press(page, 'i');
    await expect.poll(() => text(page, 'mark-message')).toContain('read-only');
    await page.screenshot({ path: path.join(screenshotDir, 'workspace-22-newer-schema.png') });
  });

  it('says when a damaged coder file was recovered from its backup, and keeps working', async () => {
    await codeAs(page, 'dora');
    await expect
      .poll(() => text(page, 'annotation-notice'))
      .toMatch(/dora\.json is not valid JSON .*recovered the previous save from .*dora\.json\.bak/);
    await press(page, 'i');
    await expect.poll(() => text(page, 'save-state')).toBe('saved');
  });

  it('says when saved marks lie beyond the clip (its video was replaced)', async () => {
    await codeAs(page, 'eve');
    await expect
      .poll(async () => (await text(page, 'marks-outside')).replace(/\s+/g, ' '))
      .toMatch(/^offset 5000 is beyond this clip \(frames 0–\d+\): the video may have changed/);
  });

  it('reports a frame that fails to decode mid-scrub, and a frame beyond the clip, in place', async () => {
    const broken = path.join(dataFolder, 'demo-dataset', 'sub04', 'EP03', 'img31.jpg');
    const bytes = await readFile(broken);
    await writeFile(broken, bytes.subarray(0, Math.floor(bytes.length / 3)));
    await press(page, '/');
    await page.keyboard.type('sub04/EP03');
    await press(page, 'Escape', 'PageDown');
    await expect.poll(() => text(page, 'viewer-status')).toContain('sub04 / EP03');
    await press(page, 'Shift+ArrowRight', 'Shift+ArrowRight');
    await expect.poll(() => shownFrame(page)).toBe(20);
    await page.keyboard.down('ArrowRight');
    await expect
      .poll(() => text(page, 'frame-error').catch(() => ''), { timeout: 10_000 })
      .toContain('sub04/EP03 frame 30');
    await page.keyboard.up('ArrowRight');
    expect(await shownFrame(page)).toBe(30);
    expect(await text(page, 'frame-error')).toContain('img31.jpg');
    await page.screenshot({ path: path.join(screenshotDir, 'workspace-23-bad-frame.png') });
    await press(page, 'ArrowRight');
    await expect.poll(() => shownFrame(page)).toBe(31);
    expect(await page.getByTestId('frame-error').count()).toBe(0);
    await press(page, 'Shift+g');
    await page.keyboard.type('999');
    await press(page, 'Enter');
    // Refused beside the field, which keeps the text to correct; Escape goes back to the frames.
    await expect.poll(() => text(page, 'goto-error')).toContain('frame 999 is beyond the clip');
    expect(await focusedTestId(page)).toBe('goto-frame');
    expect(await page.getByTestId('goto-frame').inputValue()).toBe('999');
    for (const refused of ['-5', '1e1']) {
      await page.getByTestId('goto-frame').fill(refused);
      await press(page, 'Enter');
      await expect.poll(() => text(page, 'goto-error')).toMatch(/type digits only/);
    }
    expect(await shownFrame(page)).toBe(31);
    await press(page, 'Escape', 'ArrowLeft');
    await expect.poll(() => shownFrame(page)).toBe(30);
  });
});
