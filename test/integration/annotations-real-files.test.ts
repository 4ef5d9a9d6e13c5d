import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
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

interface SheetSpec {
  file: string;
  sheet?: string;
  frames: [string, string, string];
  /** Where each clip's frames go and how they are named, as in the real trees (DATASETS.md). */
  frameFile: (subject: string, clip: string, frame: number) => string;
}

const SHEETS: Record<'casme2' | 'samm' | 'casme3', SheetSpec> = {
  casme2: {
    file: CASME2,
    frames: ['OnsetFrame', 'ApexFrame', 'OffsetFrame'],
    frameFile: (subject, clip, n) => path.join(`sub${subject}`, clip, `img${n}.jpg`),
  },
  samm: {
    file: SAMM,
    sheet: 'MICRO_ONLY',
    frames: ['Onset Frame', 'Apex Frame', 'Offset Frame'],
    frameFile: (subject, clip, n) =>
      path.join(subject, clip, `${subject}_${String(n).padStart(5, '0')}.jpg`),
  },
  casme3: {
    file: CASME3,
    sheet: 'label',
    frames: ['Onset', 'Apex', 'Offset'],
    frameFile: (subject, clip, n) => path.join(subject, clip, 'color', `${n}.jpg`),
  },
};

/**
 * A tree in the dataset's real layout holding, for every row of its sheet, the frames the row
 * names (and one either side): enough for the real loader and for the matching. The sheet is
 * walked here with exceljs directly, independently of the importer under test.
 */
async function buildTree(spec: SheetSpec, root: string): Promise<number> {
  const rows = await sheetRows(spec);
  const jpeg = await tinyJpeg(128);
  const files = new Set<string>();
  for (const row of rows) {
    for (const n of row.frames.flatMap((frame) => [frame - 1, frame, frame + 1])) {
      if (n >= 0) files.add(spec.frameFile(row.subject, row.clip, n));
    }
  }
  for (const file of files) {
    await mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await writeFile(path.join(root, file), jpeg);
  }
  return rows.length;
}

async function sheetRows(
  spec: SheetSpec,
): Promise<Array<{ subject: string; clip: string; frames: number[] }>> {
  const ExcelJS = (await import('exceljs')).default;
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.readFile(spec.file);
  const sheet = spec.sheet ? workbook.getWorksheet(spec.sheet) : workbook.worksheets[0];
  if (!sheet) throw new Error(`${spec.file}: no sheet ${spec.sheet}`);
  let header: string[] | null = null;
  const rows: Array<{ subject: string; clip: string; frames: number[] }> = [];
  sheet.eachRow((row) => {
    const values = (row.values as unknown[]).map((v) => (v == null ? '' : String(v).trim()));
    if (!header) {
      if (values.includes('Subject') && values.includes('Filename')) header = values;
      return;
    }
    const col = (name: string) => values[(header as string[]).indexOf(name)];
    const frames = spec.frames.map((name) => Number(col(name))).filter(Number.isInteger);
    rows.push({ subject: col('Subject'), clip: col('Filename'), frames });
  });
  return rows;
}

describe.skipIf(!hasSharedData)(
  'matching the real sheets to trees in the datasets’ layouts',
  () => {
    let base: string;
    const trees: Partial<Record<keyof typeof SHEETS, DatasetIndex>> = {};

    beforeAll(async () => {
      base = await mkdtemp(path.join(os.tmpdir(), 'mer-real-match-'));
      const roots = {
        casme2: path.join(base, 'CASME2_RAW_selected'),
        samm: path.join(base, 'SAMM'),
        casme3: path.join(base, 'part_A', 'data', 'part_A'),
      };
      for (const name of Object.keys(SHEETS) as Array<keyof typeof SHEETS>) {
        await buildTree(SHEETS[name], roots[name]);
        trees[name] = await openDataset(roots[name]);
      }
    }, 180_000);

    afterAll(async () => {
      if (base) await rm(base, { recursive: true, force: true });
    });

    it('CASME II: every valid row matches its clip; frame numbers become indexes', async () => {
      const dataset = trees.casme2 as DatasetIndex;
      expect(dataset.kind).toBe('casme2');
      const { report, annotations } = await importAnnotationFile(CASME2, { dataset });
      expect(report.rowsMatched).toBe(254);
      expect(report.rejectedByKind).toEqual({ 'not a frame number': 1 });
      const clip = dataset.clips.find((c) => c.id === 'sub01/EP02_01f');
      const first = annotations['sub01/EP02_01f'][0];
      expect(clip?.frameNumbers?.[first.onset ?? -1]).toBe(46);
      expect(clip?.frameNumbers?.[first.apex ?? -1]).toBe(59);
      expect(clip?.frameNumbers?.[first.offset ?? -1]).toBe(86);
      expect(report.counts.matched?.threeClass).toEqual(classes(98, 32, 25));
    });

    it('SAMM: all 159 rows match (subject 006, 5-digit frame files)', async () => {
      const dataset = trees.samm as DatasetIndex;
      expect(dataset.kind).toBe('samm');
      const { report, annotations } = await importAnnotationFile(SAMM, { dataset });
      expect(report.rowsMatched).toBe(159);
      expect(report.counts.matched?.threeClass).toEqual(classes(92, 26, 15));
      const clip = dataset.clips.find((c) => c.id === '006/006_1_2');
      expect(clip?.frameNumbers?.[annotations['006/006_1_2'][0].apex ?? -1]).toBe(5588);
    });

    it('CAS(ME)^3: every valid row matches, several expressions per clip kept', async () => {
      const dataset = trees.casme3 as DatasetIndex;
      expect(dataset.kind).toBe('casme3-a');
      const { report, annotations } = await importAnnotationFile(CASME3, { dataset });
      expect(report.rowsMatched).toBe(report.rowsAccepted);
      expect(report.rowsAccepted).toBe(856);
      const expressions = Object.values(annotations).reduce((sum, list) => sum + list.length, 0);
      expect(expressions).toBe(856);
      expect(report.clipsMatched).toBeLessThan(856);
      expect(annotations['spNO.1/e'].map((a) => a.emotion)).toEqual(['others', 'others']);
    });

    it('restricts CASME II to the composite: 145 clips, 88/32/25, labels agreeing', async () => {
      const dataset = trees.casme2 as DatasetIndex;
      const composite = await importAnnotationFile(COMPOSITE, { dataset });
      const members = new Set(Object.keys(composite.annotations));
      expect(members.size).toBe(145);
      expect(composite.report.rejectedByKind).toEqual({ 'other database': 297 });
      const sheet = await importAnnotationFile(CASME2, { dataset });
      const counts = classes(0, 0, 0);
      for (const [id, [annotation]] of Object.entries(sheet.annotations)) {
        if (!members.has(id)) continue;
        expect(annotation.threeClass).toBe(composite.annotations[id][0].threeClass);
        if (annotation.threeClass) counts[annotation.threeClass]++;
      }
      expect(counts).toEqual(classes(88, 32, 25));
    });
  },
);

const soffice = (process.env.PATH ?? '')
  .split(path.delimiter)
  .map((dir) => path.join(dir, 'soffice'))
  .find((candidate) => existsSync(candidate));
if (!soffice) {
  console.warn(
    '[skipped] the real sheets saved as .xls: needs LibreOffice (soffice; Debian package ' +
      'libreoffice-calc-nogui), not found',
  );
}

describe.skipIf(!hasSharedData || !soffice)(
  'the same sheets saved as Excel 97–2003 (.xls) by LibreOffice',
  () => {
    let dir: string;
    const asXls = (xlsx: string) => path.join(dir, path.basename(xlsx).replace(/\.xlsx$/, '.xls'));

    beforeAll(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'mer-xls-'));
      const profile = `-env:UserInstallation=file://${path.join(dir, 'profile')}`;
      const convert = ['--headless', '--convert-to', 'xls:MS Excel 97', '--outdir', dir];
      await promisify(execFile)(soffice as string, [profile, ...convert, CASME2, SAMM, CASME3]);
    }, 300_000);
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it.each([CASME2, SAMM, CASME3])('%s: the same rows, counts and rejects', async (xlsx) => {
      const fromXlsx = await importAnnotationFile(xlsx, { composite: COMPOSITE });
      const fromXls = await importAnnotationFile(asXls(xlsx), { composite: COMPOSITE });
      expect(fromXls.report.rowsRead).toBeGreaterThan(150);
      expect({ ...fromXls.report, file: xlsx }).toEqual(fromXlsx.report);
      expect(fromXls.accepted).toEqual(fromXlsx.accepted);
    });
  },
);
