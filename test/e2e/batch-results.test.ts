import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../../src/main/report/csv';
import { openAppSession, type AppSession } from '../support/app-session';
import { chromiumMissingNote, screenshotDir } from '../support/browser';
import { focusedTestId, press, shownFrame } from './workspace-host';

/**
 * The results view in chromium through the web host, on the built-in demo dataset (12 clips with
 * known onset/apex/label): run a batch, read the matrix, click a cell to list its clips, open one
 * (the 'mer-open-clip' event), export the reports and read them back.
 */
describe.skipIf(chromiumMissingNote())('batch results (web host + chromium)', () => {
  let app: AppSession;
  let page: Page;

  beforeAll(async () => {
    app = await openAppSession({ viewport: { width: 1500, height: 950 } });
    page = app.page;
    await page.getByTestId('view-results').click();
  });

  afterAll(() => app?.close());

  it('runs a batch with a progress bar and shows UF1/UAR when it ends', async () => {
    // From the keyboard: while the batch runs the button says it is unavailable and keeps focus.
    await page.getByTestId('batch-start').focus();
    await press(page, 'Enter');
    await page.getByTestId('batch-progress').waitFor();
    expect(await page.getByTestId('batch-start').getAttribute('aria-disabled')).toBe('true');
    expect(await focusedTestId(page)).toBe('batch-start');
    expect(await page.getByTestId('batch-progress').getAttribute('aria-label')).toBe(
      'Batch progress',
    );
    await expect
      .poll(() => page.getByTestId('batch-status').textContent(), {
        timeout: 150_000,
        interval: 500,
      })
      .toMatch(/^done · 12\/12 clips/);
    const headline = await page.getByTestId('overall-metrics').textContent();
    expect(headline).toMatch(/UF1 \d\.\d{4} · UAR \d\.\d{4} · accuracy \d\.\d{4} over\s+12 clips/);
    expect(await page.getByTestId('batch-provider').textContent()).toBe('cpu');
    expect(await page.getByTestId('demo-note').textContent()).toMatch(/not how well the model/);
    expect(await page.getByTestId('clip-rows').locator('tbody tr').count()).toBe(12);
    await page.screenshot({
      path: path.join(screenshotDir, 'batch-01-results.png'),
      fullPage: true,
    });
  });

  it('clicks a matrix cell, lists its clips and opens one in the workspace', async () => {
    const counts = await matrixCounts(page);
    expect(counts.flat().reduce((a, b) => a + b, 0)).toBe(12);
    // a cell other than the first, so a click that selects nothing in particular cannot pass
    const [t, p] = lastNonEmpty(counts);
    await clickChartCell(page, t, p);
    await expect
      .poll(() => page.getByTestId('cell-clips').locator('li').count())
      .toBe(counts[t][p]);
    const title = (await page.getByTestId('cell-title').textContent())?.replace(/\s+/g, ' ');
    const names = ['negative', 'positive', 'surprise'];
    const noun = counts[t][p] === 1 ? 'clip' : 'clips';
    expect(title).toContain(`truth ${names[t]} → predicted ${names[p]}: ${counts[t][p]} ${noun}`);
    await page.evaluate(() => {
      const win = window as unknown as { opened: string[] };
      win.opened = [];
      window.addEventListener('mer-open-clip', (event) =>
        win.opened.push((event as CustomEvent<{ clipId: string }>).detail.clipId),
      );
    });
    const clipId = (await page.getByTestId('open-clip').first().textContent())!.trim();
    const listed = await page.getByTestId('cell-clips').locator('li').first().textContent();
    const onset = Number(/frames (\d+)→/.exec(listed ?? '')![1]);
    await page.getByTestId('open-clip').first().click();
    const opened = await page.evaluate(() => (window as unknown as { opened: string[] }).opened);
    expect(opened).toEqual([clipId]);
    // The workspace takes over with that clip.
    await expect
      .poll(() => page.locator('strong[title="subject / clip"]').textContent())
      .toBe(clipId.replace('/', ' / '));
    await expect.poll(() => shownFrame(page)).toBe(onset); // at the classified expression's onset
    // The keys go on in the workspace: focus is on the frame, not dropped with the results.
    expect(await focusedTestId(page)).toBe('frame-image');
    await page.screenshot({ path: path.join(screenshotDir, 'batch-02-cell.png'), fullPage: true });
  });

  it('switches the matrix to row-normalised shares', async () => {
    await page.getByTestId('view-results').click();
    await page.getByTestId('matrix-normalised').check();
    const text = await page.getByTestId('matrix-table').locator('tbody').textContent();
    expect(text).toMatch(/\d+\.\d%/);
  });

  it('exports the per-clip CSV, the metrics CSV, the MEGC csv and the matrix PNG', async () => {
    await page.getByTestId('export-clips').focus();
    await press(page, 'Enter');
    const clipsFile = await exportedPath(page, /clips: 12 rows written to\s+(\S+\.csv)/);
    // Busy while it exported, yet focus stayed on the button (a disabled one drops it).
    expect(await focusedTestId(page)).toBe('export-clips');
    const rows = parseCsv(await readFile(clipsFile, 'utf8'));
    const header = rows[0];
    expect(rows).toHaveLength(13);
    expect(header).toEqual(
      expect.arrayContaining(['prediction', 'p_negative', 'three_class', 'status']),
    );
    for (const row of rows.slice(1)) {
      expect(['negative', 'positive', 'surprise']).toContain(row[header.indexOf('prediction')]);
      expect(row[header.indexOf('provider')]).toBe('cpu');
    }

    await page.getByTestId('export-metrics').click();
    const metricsFile = await exportedPath(page, /metrics: \d+ rows written to\s+(\S+\.csv)/);
    const metrics = parseCsv(await readFile(metricsFile, 'utf8'));
    const overall = metrics.find((row) => row[0] === 'overall')!;
    const headline = await page.getByTestId('overall-metrics').textContent();
    const uf1 = Number(/UF1 (\d\.\d{4})/.exec(headline ?? '')![1]);
    expect(Number(overall[metrics[0].indexOf('uf1')])).toBeCloseTo(uf1, 4);

    await page.getByTestId('export-megc').click();
    const megcFile = await exportedPath(page, /megc: 12 rows written to\s+(\S+\.csv)/);
    const megc = await readFile(megcFile, 'utf8');
    expect(megc.charCodeAt(0)).not.toBe(0xfeff); // scripts read it: no BOM, whatever the box says
    expect(megc.trim().split('\n')).toHaveLength(12);

    await page.getByTestId('export-matrix').click();
    const pngFile = await exportedPath(page, /matrix: written to\s+(\S+\.png)/);
    const info = await sharp(pngFile).metadata();
    expect(info.format).toBe('png');
    expect(info.width).toBeGreaterThan(200);
    await page.screenshot({
      path: path.join(screenshotDir, 'batch-03-exported.png'),
      fullPage: true,
    });
  });
});

async function matrixCounts(page: Page): Promise<number[][]> {
  const counts: number[][] = [];
  for (let t = 0; t < 3; t++) {
    counts.push([]);
    for (let p = 0; p < 3; p++) {
      counts[t].push(Number(await page.getByTestId(`matrix-cell-${t}-${p}`).textContent()));
    }
  }
  return counts;
}

/** Clicks a cell of the chart.js canvas itself (its centres are published on the canvas). */
async function clickChartCell(page: Page, truth: number, predicted: number): Promise<void> {
  const canvas = page.getByTestId('matrix-canvas');
  await expect.poll(() => canvas.getAttribute('data-cell-centres')).toBeTruthy();
  const centres = JSON.parse((await canvas.getAttribute('data-cell-centres'))!) as number[][][];
  const [x, y] = centres[truth][predicted];
  await canvas.click({ position: { x, y } });
}

function lastNonEmpty(counts: number[][]): [number, number] {
  for (let t = 2; t >= 0; t--) for (let p = 2; p >= 0; p--) if (counts[t][p] > 0) return [t, p];
  throw new Error('empty matrix');
}

async function exportedPath(page: Page, pattern: RegExp): Promise<string> {
  await expect
    .poll(async () => pattern.test((await page.getByTestId('export-done').textContent()) ?? ''))
    .toBe(true);
  return pattern.exec((await page.getByTestId('export-done').textContent())!)![1];
}
