import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAppSession, type AppSession } from '../support/app-session';
import { chromiumMissingNote, screenshotDir } from '../support/browser';
import { text as rawText } from './workspace-host';

/**
 * Importing the dataset's own annotations from the Imports view, in chromium through the web
 * host: a CASME II-style sheet recognised by its headers, a table whose columns the user maps,
 * bad rows named with their row, the imported label shown beside the coder's, and removal.
 * The demo dataset's clips are sub01/EP01 … sub04/EP03, frames img1.jpg … img60.jpg.
 */
describe.skipIf(chromiumMissingNote())('imports (web host + chromium)', () => {
  let app: AppSession;
  let page: Page;

  beforeAll(async () => {
    app = await openAppSession();
    page = app.page;
    await page.getByTestId('clip-list').getByRole('button').first().waitFor();
    await page.getByTestId('view-imports').click();
  });

  afterAll(() => app?.close());

  const text = async (testId: string) => (await rawText(page, testId)).replace(/\s+/g, ' ');

  async function preview(file: string): Promise<void> {
    await page.getByTestId('import-file').fill(file);
    await page.getByTestId('import-preview').click();
  }

  it('names a file it cannot read', async () => {
    await preview(path.join(app.dataFolder, 'missing.xlsx'));
    await expect.poll(() => text('import-error')).toMatch(/missing\.xlsx: cannot open/);
  });

  it('recognises a CASME II-style sheet, imports it and names the rows it rejects', async () => {
    const sheet = path.join(app.dataFolder, 'coding.csv');
    await writeFile(
      sheet,
      'Subject,Filename,OnsetFrame,ApexFrame,OffsetFrame,Estimated Emotion\n' +
        '01,EP01,5,12,30,happiness\n' +
        '02,EP02,20,10,40,disgust\n' +
        '09,EP01,5,12,30,surprise\n' +
        '03,EP03,6,15,33,surprise\n',
    );
    await preview(sheet);
    await expect.poll(() => text('import-format')).toBe('CASME II coding sheet');
    expect(await page.getByTestId('map-subject').inputValue()).toBe('Subject');
    expect(await page.getByTestId('map-apex').inputValue()).toBe('ApexFrame');
    await page.getByTestId('import-header-row').fill('2.5');
    await page.getByTestId('import-header-row').press('Tab');
    await expect.poll(() => text('import-error')).toMatch(/the header row is a row number/);
    // The field shows the header row of the preview still shown, not the refused one.
    expect(await page.getByTestId('import-header-row').inputValue()).toBe('1');
    await page.getByTestId('import-run').click();
    await expect
      .poll(() => text('import-summary'))
      .toMatch(
        /rows read 4 · accepted 3\s+· matched 2 \(2\s+clips\)\s+· rejected 1\s+· not in this dataset 1/,
      );
    const rejected = await text('import-rejected');
    expect(rejected).toMatch(/row 3 \(02 EP02\): frames out of order/);
    expect(rejected).toMatch(/row 4 \(09 EP01\): .*/);
    await page.screenshot({ path: path.join(screenshotDir, 'imports-01-report.png') });
    await expect.poll(() => text('import-sets')).toMatch(/coding\.csv · CASME II/);
  });

  it('shows the imported annotation beside the coder’s, and filters the clips by the import', async () => {
    await page.getByTestId('view-workspace').click();
    await page.getByTestId('clip-list').getByRole('button', { name: /EP01/ }).first().click();
    await page.screenshot({ path: path.join(screenshotDir, 'imports-02-compare.png') });
    await expect.poll(() => text('compare-emotion')).toMatch(/happiness/);
    await expect.poll(() => text('compare-apex')).toMatch(/11 \(#12\)/); // img12.jpg
    await page.getByTestId('clip-filter').selectOption({ label: 'in coding.csv (2)' });
    await expect
      .poll(() => page.getByTestId('clip-list').getByRole('button').allTextContents())
      .toEqual([expect.stringMatching(/^\s*EP01/), expect.stringMatching(/^\s*EP03/)]);
    await page.getByTestId('clip-filter').selectOption('all');
  });

  it("imports the MEGC2019 composite's headerless list as the preview read it", async () => {
    await page.getByTestId('view-imports').click();
    const list = path.join(app.dataFolder, 'combined_3class_gt.csv');
    await writeFile(list, 'casme2,sub02,EP01,2\ncasme2,sub02,EP02,0\n');
    await preview(list);
    await expect.poll(() => text('import-format')).toBe('MEGC2019 composite list');
    await page.getByTestId('import-run').click();
    await expect
      .poll(() => text('import-summary'))
      .toMatch(/rows read 2 · accepted 2\s?· matched 2 \(2\s+clips\)/);
    await page.getByTestId('import-remove').last().focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('import-remove').count()).toBe(1);
    // The row and its button are gone: focus goes to the list's heading, not to the page.
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-testid')))
      .toBe('import-sets-heading');
  });

  it('imports a table whose columns the user maps, then removes both imports', async () => {
    await page.getByTestId('view-imports').click();
    const table = path.join(app.dataFolder, 'own-format.csv');
    await writeFile(table, 'who;take;start;peak;end;label\nsub04;EP02;2;9;20;positive\n');
    await preview(table);
    await expect.poll(() => text('import-format')).toBe('table (columns mapped by hand)');
    const map = { subject: 'who', clip: 'take', onset: 'start', apex: 'peak', offset: 'end' };
    for (const [field, header] of Object.entries(map)) {
      await page.getByTestId(`map-${field}`).selectOption(header);
    }
    await page.getByTestId('map-threeClass').selectOption('label');
    await page.getByTestId('import-run').click();
    await expect
      .poll(() => text('import-summary'))
      .toMatch(/rows read 1 · accepted 1\s+· matched 1 \(1\s+clip\)/);
    await expect.poll(() => page.getByTestId('import-remove').count()).toBe(2);
    await page.getByTestId('import-remove').first().click();
    await expect.poll(() => page.getByTestId('import-remove').count()).toBe(1);
    await page.getByTestId('import-remove').first().click();
    await expect.poll(() => text('import-sets')).toBe('Nothing imported yet.');
  });
});
