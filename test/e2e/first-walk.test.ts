import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDemoDataset } from '../../src/main/dataset/demo/generate';
import { parseCsv } from '../../src/main/report/csv';
import { openAppSession, type AppSession } from '../support/app-session';
import { chromiumMissingNote, screenshotDir } from '../support/browser';
import type { RunningHost } from '../support/web-host';

/**
 * The first walk through real components, in chromium through the web host: the demo clips are
 * listed, frames decoded by ffmpeg are shown, ←/→ step frames, I/A set onset and apex, the
 * native addon computes flow, the ONNX model classifies, and the CSV export holds it all.
 */
describe.skipIf(chromiumMissingNote())('first walk (web host + chromium)', () => {
  let app: AppSession;
  let host: RunningHost;
  let page: Page;

  beforeAll(async () => {
    app = await openAppSession({ viewport: { width: 1400, height: 860 } });
    ({ host, page } = app);
  });

  afterAll(() => app?.close());

  it('refuses requests without the token', async () => {
    const response = await fetch(`${host.origin}/`);
    expect(response.status).toBe(403);
    const frame = await fetch(`${host.origin}/frames/sub01%2FEP01/0`);
    expect(frame.status).toBe(403);
  });

  it('lists the demo clips and shows a decoded frame', async () => {
    await page.goto(host.url);
    await page.getByTestId('clip-list').getByRole('button').first().waitFor();
    expect(await page.getByTestId('clip-list').getByRole('button').count()).toBe(12);
    await expect.poll(() => naturalWidth(page)).toBeGreaterThan(0);
    expect(page.url()).not.toContain('token=');
    await page.screenshot({ path: path.join(screenshotDir, '01-opened.png') });
  });

  it('steps frames with the arrow keys and marks onset and apex by key', async () => {
    await page.keyboard.press('Shift+ArrowRight'); // frame 10
    await expect.poll(() => page.getByTestId('frame-index').textContent()).toContain('frame 10 /');
    await page.keyboard.press('i');
    for (let i = 0; i < 2; i++) await page.keyboard.press('Shift+ArrowRight');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowLeft');
    await expect.poll(() => page.getByTestId('frame-index').textContent()).toContain('frame 30 /');
    await page.keyboard.press('a');
    await expect.poll(() => page.getByTestId('mark-onset').textContent()).toBe('10');
    await expect.poll(() => page.getByTestId('mark-apex').textContent()).toBe('30');
    await expect.poll(() => page.getByTestId('save-state').textContent()).toBe('saved');
    await expect.poll(() => naturalWidth(page)).toBeGreaterThan(0);
  });

  it('computes optical flow and classifies the clip with the ONNX model', async () => {
    await page.getByRole('button', { name: 'Optical flow' }).click();
    await page.getByTestId('flow-image').waitFor({ timeout: 60_000 });
    await page.getByTestId('classify').click();
    await page.getByTestId('prediction').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('provider').textContent()).toBe('cpu');
    const percents = await Promise.all(
      ['negative', 'positive', 'surprise'].map(async (name) =>
        parseFloat((await page.getByTestId(`p-${name}`).textContent()) ?? 'NaN'),
      ),
    );
    expect(percents.reduce((a, b) => a + b, 0)).toBeCloseTo(100, 0);
    await page.screenshot({ path: path.join(screenshotDir, '02-classified.png') });
  });

  it('exports the annotation and prediction to CSV', async () => {
    await page.getByTestId('export-csv').click();
    const result = await page.getByTestId('export-result').textContent();
    const file = /written to (\S+\.csv)/.exec(result ?? '')?.[1];
    expect(file).toBeDefined();
    const rows = parseCsv(await readFile(file!, 'utf8'));
    const header = rows[0];
    const row = rows.find(
      (cells) => cells[header.indexOf('clip')] === 'EP01' && cells[1] === 'sub01',
    );
    expect(row).toBeDefined();
    const cell = (name: string) => row![header.indexOf(name)];
    expect(cell('onset')).toBe('10');
    expect(cell('apex')).toBe('30');
    expect(cell('onset_to_apex_ms')).toBe('100');
    expect(['negative', 'positive', 'surprise']).toContain(cell('prediction'));
    expect(cell('provider')).toBe('cpu');
    await page.screenshot({ path: path.join(screenshotDir, '03-exported.png') });
  });
});

describe.skipIf(chromiumMissingNote())('opening a dataset folder (web host + chromium)', () => {
  let app: AppSession;
  let page: Page;
  let otherDataset: string;

  beforeAll(async () => {
    otherDataset = path.join(mkdtempSync(path.join(os.tmpdir(), 'mer-open-')), 'small');
    await generateDemoDataset(otherDataset, {
      subjects: 1,
      clipsPerSubject: 2,
      framesPerClip: 20,
      width: 160,
      height: 120,
    });
    app = await openAppSession({ viewport: { width: 1400, height: 860 } });
    page = app.page;
    await page.getByTestId('open-dataset').waitFor();
  });

  afterAll(() => app?.close());

  it('says clearly when a folder is no dataset, and keeps the open one', async () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'mer-not-a-dataset-'));
    await page.getByTestId('open-dataset').click();
    await page.getByTestId('dataset-path').fill(empty);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('open-error').textContent()).toContain(empty);
    await page.keyboard.press('Escape');
    expect(await page.locator('header').textContent()).toContain('12 clips');
  });

  it('opens another dataset folder by its path', async () => {
    await page.getByTestId('open-dataset').click();
    await page.getByTestId('dataset-path').fill(otherDataset);
    await page.keyboard.press('Enter');
    await expect
      .poll(() => page.locator('header').textContent())
      .toContain('small · demo · 2 clips');
    await expect
      .poll(() => page.locator('strong[title="subject / clip"]').textContent())
      .toBe('sub01 / EP01');
  });
});

/** Width of the decoded frame the viewer's canvas shows (0 until one is drawn). */
async function naturalWidth(page: Page): Promise<number> {
  return Number(await page.getByTestId('frame-image').getAttribute('data-shown-width'));
}
