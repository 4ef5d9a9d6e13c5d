import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importAnnotationFile } from '../../src/main/annotations/import/import';
import { openDataset } from '../../src/main/dataset';
import type { DatasetIndex } from '../../src/shared/domain';
import { tinyJpeg } from '../fixtures/datasets';
import { hasSharedData, noteIfSharedMissing, sharedPath } from '../support/shared-data';

noteIfSharedMissing('annotation import of the real spreadsheets');
const file = (...parts: string[]) => sharedPath('annotations', ...parts);
const CASME2 = file('casme2', 'CASME2-coding-20140508.xlsx');
const SAMM = file('samm', 'SAMM_Micro_FACS_Codes_v2.xlsx');
const CASME3 = file('casme3', 'cas(me)3_part_A_ME_label_JpgIndex_v2.xlsx');
const COMPOSITE = file('megc2019', 'combined_3class_gt.csv');

const classes = (negative: number, positive: number, surprise: number) => ({
  negative,
  positive,
  surprise,
});

describe.skipIf(!hasSharedData)('the datasets’ own annotation files (DATASETS.md counts)', () => {
  it('CASME II coding sheet: 255 rows, 99/32/25, sub04 EP12_01f rejected for its apex', async () => {
    const { report } = await importAnnotationFile(CASME2, { composite: COMPOSITE });
    expect(report.format).toBe('casme2');
    expect(report.rowsRead).toBe(255);
    expect(report.counts.all.threeClass).toEqual(classes(99, 32, 25));
    expect(report.counts.all.native).toEqual({
      others: 99,
      disgust: 63,
      happiness: 32,
      repression: 27,
      surprise: 25,
      sadness: 7,
      fear: 2,
    });
    expect(report.rejected).toEqual([
      {
        row: expect.any(Number),
        subject: '04',
        clip: 'EP12_01f',
        reason: "not a frame number: apex '/' is not a frame number",
      },
    ]);
    expect(report.counts.inComposite?.threeClass).toEqual(classes(88, 32, 25));
  });

  it('SAMM MICRO_ONLY (header on row 14): 159 rows, 92/26/15, all in the composite', async () => {
    const { report } = await importAnnotationFile(SAMM, { composite: COMPOSITE });
    expect(report).toMatchObject({ format: 'samm', sheet: 'MICRO_ONLY', headerRow: 14 });
    expect(report.rowsRead).toBe(159);
    expect(new Set(report.rejected.map((row) => row.reason))).toEqual(new Set());
    expect(report.counts.all.threeClass).toEqual(classes(92, 26, 15));
    expect(report.counts.inComposite?.threeClass).toEqual(classes(92, 26, 15));
  });

  it('CAS(ME)^3 part A label sheet: 860 rows, 457/55/187 with 161 others', async () => {
    const { report } = await importAnnotationFile(CASME3);
    expect(report).toMatchObject({ format: 'casme3', sheet: 'label', headerRow: 1 });
    expect(report.rowsRead).toBe(860);
    expect(report.counts.all.threeClass).toEqual(classes(457, 55, 187));
    expect(report.counts.all.noThreeClass).toBe(161);
    expect(report.counts.all.native).toEqual({
      disgust: 250,
      surprise: 187,
      others: 158,
      Others: 3,
      fear: 86,
      anger: 64,
      sad: 57,
      happy: 55,
    });
    // Real quirks of this copy: onset after apex, offset 0 ("not marked"); each named.
    for (const row of report.rejected) expect(row.reason).toMatch(/^frames out of order: /);
  });

  it('MEGC2019 composite list: 442 samples, 250/109/83, per database as documented', async () => {
    const { report } = await importAnnotationFile(COMPOSITE);
    expect(report).toMatchObject({ format: 'megc2019-composite', headerRow: null, rowsRead: 442 });
    expect(report.rejected).toEqual([]);
    expect(report.counts.all.threeClass).toEqual(classes(250, 109, 83));
    const byDb = Object.fromEntries(
      Object.entries(report.counts.byDb ?? {}).map(([db, counts]) => [db, counts.threeClass]),
    );
    expect(byDb).toEqual({
      casme2: classes(88, 32, 25),
      samm: classes(92, 26, 15),
      smic: classes(70, 51, 43),
    });
    const lines = (await readFile(COMPOSITE, 'utf8')).trim().split(/\r?\n/);
    const subjects = new Set(lines.map((line) => line.split(',').slice(0, 2).join('/')));
    expect(subjects.size).toBe(68);
  });
});

describe.skipIf(!hasSharedData)('matching the real sheets to a CASME II tree', () => {
  let base: string;
  let dataset: DatasetIndex;

  // A CASME II tree with every clip the sheet names, holding the frames the sheet refers to
  // (onset, apex, offset) plus one before and after: enough for the loader and the matching.
  beforeAll(async () => {
    base = await mkdtemp(path.join(os.tmpdir(), 'mer-real-match-'));
    const root = path.join(base, 'CASME2_RAW_selected');
    const { report } = await importAnnotationFile(CASME2);
    const rows = await sheetFrames();
    const jpeg = await tinyJpeg(128);
    for (const row of rows) {
      const dir = path.join(root, `sub${row.subject}`, row.clip);
      await mkdir(dir, { recursive: true });
      const numbers = new Set(row.frames.flatMap((n) => [n - 1, n, n + 1]));
      for (const n of numbers) await writeFile(path.join(dir, `img${n}.jpg`), jpeg);
    }
    expect(report.rowsRead).toBe(rows.length);
    dataset = await openDataset(root);
  }, 120_000);

  afterAll(async () => {
    if (base) await rm(base, { recursive: true, force: true });
  });

  it('matches every valid row to its clip and maps frame numbers to indexes', async () => {
    expect(dataset.kind).toBe('casme2');
    const { report, annotations } = await importAnnotationFile(CASME2, { dataset });
    expect(report.rowsMatched).toBe(254);
    expect(report.rejectedByKind).toEqual({ 'not a frame number': 1 });
    const clip = dataset.clips.find((c) => c.id === 'sub01/EP02_01f');
    const first = annotations['sub01/EP02_01f'][0];
    expect(clip?.frameNumbers?.[first.onset ?? -1]).toBe(46);
    expect(clip?.frameNumbers?.[first.apex ?? -1]).toBe(59);
    expect(clip?.frameNumbers?.[first.offset ?? -1]).toBe(86);
  });

  it('restricts the dataset to the composite: 145 clips, 88/32/25', async () => {
    const composite = await importAnnotationFile(COMPOSITE, { dataset });
    const members = new Set(Object.keys(composite.annotations));
    expect(members.size).toBe(145);
    expect(composite.report.rejectedByKind).toEqual({ 'other database': 297 });
    const sheet = await importAnnotationFile(CASME2, { dataset });
    const inComposite = Object.entries(sheet.annotations).filter(([id]) => members.has(id));
    const counts = classes(0, 0, 0);
    for (const [id, [annotation]] of inComposite) {
      expect(annotation.threeClass).toBe(composite.annotations[id][0].threeClass);
      if (annotation.threeClass) counts[annotation.threeClass]++;
    }
    expect(counts).toEqual(classes(88, 32, 25));
  });
});

/** The sheet's clips and frame numbers, read independently of the importer (CSV-like walk). */
async function sheetFrames(): Promise<Array<{ subject: string; clip: string; frames: number[] }>> {
  const ExcelJS = (await import('exceljs')).default;
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.readFile(CASME2);
  const sheet = workbook.worksheets[0];
  const header = (sheet.getRow(1).values as unknown[]).map((v) => String(v ?? ''));
  const col = (name: string) => header.indexOf(name);
  const rows: Array<{ subject: string; clip: string; frames: number[] }> = [];
  sheet.eachRow((row, number) => {
    if (number === 1) return;
    const values = row.values as unknown[];
    const frames = ['OnsetFrame', 'ApexFrame', 'OffsetFrame']
      .map((name) => Number(values[col(name)]))
      .filter((n) => Number.isInteger(n));
    rows.push({
      subject: String(values[col('Subject')]),
      clip: String(values[col('Filename')]),
      frames,
    });
  });
  return rows;
}
