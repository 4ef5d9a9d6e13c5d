import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clip, DatasetIndex } from '../../../shared/domain';
import { importAnnotationFile, previewAnnotationFile } from './import';

const CODING_SHEET_XLS = fileURLToPath(
  new URL('../../../../test/fixtures/annotations/coding-sheet.xls', import.meta.url),
);
let dir: string;
const at = (name: string) => path.join(dir, name);

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mer-import-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function clip(subject: string, name: string, firstFrame: number, frames: number): Clip {
  const frameNumbers = Array.from({ length: frames }, (_, i) => firstFrame + i);
  return {
    id: `${subject}/${name}`,
    subject,
    name,
    fps: 200,
    frameCount: frames,
    source: {
      kind: 'images',
      dir: `${subject}/${name}`,
      files: frameNumbers.map((n) => `img${n}.jpg`),
    },
    frameNumbers,
    problems: [],
  };
}

function dataset(kind: DatasetIndex['kind'], clips: Clip[]): DatasetIndex {
  return {
    root: dir,
    kind,
    name: 'fixture',
    fps: 200,
    subjects: [...new Set(clips.map((c) => c.subject))],
    clips,
    problems: [],
    official: {},
  };
}

async function writeWorkbook(name: string, sheets: Record<string, unknown[][]>): Promise<string> {
  const workbook = new ExcelJS.Workbook();
  for (const [sheetName, rows] of Object.entries(sheets)) {
    const sheet = workbook.addWorksheet(sheetName);
    rows.forEach((row, i) => {
      sheet.getRow(i + 1).values = row as ExcelJS.CellValue[];
    });
  }
  await workbook.xlsx.writeFile(at(name));
  return at(name);
}

const CASME2_HEADER = [
  'Subject',
  'Filename',
  '',
  'OnsetFrame',
  'ApexFrame',
  'OffsetFrame',
  '',
  'Action Units',
  'Estimated Emotion',
];

describe('importing by header name', () => {
  it('reads a CASME II-style sheet, rejects bad rows with reasons and counts classes', async () => {
    const file = await writeWorkbook('casme2.xlsx', {
      Sheet1: [
        CASME2_HEADER,
        ['01', 'EP02_01f', null, 46, 59, 86, null, 12, 'happiness'],
        ['01', 'EP19_05f', null, 396, 416, 446, null, '4+L10', 'disgust'],
        ['04', 'EP12_01f', null, 81, '/', 126, null, 'L10', 'disgust'],
        ['02', 'EP03_02f', null, 100, 90, 136, null, 15, 'repression'],
        ['01', 'EP02_01f', null, 46, 59, 86, null, 12, 'happiness'],
        [],
        ['02', 'EP11_01', null, 16, 69, 106, null, '1+L2', 'surprise'],
        ['02', 'EP09_10', null, 26, 36, 66, null, 17, 'others'],
      ],
    });
    const { report } = await importAnnotationFile(file);
    expect(report.format).toBe('casme2');
    expect(report.rowsRead).toBe(7);
    expect(report.rowsAccepted).toBe(4);
    expect(report.rowsMatched).toBeNull();
    expect(report.rejected).toEqual([
      {
        row: 4,
        subject: '04',
        clip: 'EP12_01f',
        reason: "not a frame number: apex '/' is not a frame number",
      },
      {
        row: 5,
        subject: '02',
        clip: 'EP03_02f',
        reason: 'frames out of order: onset 100 is after apex 90',
      },
      { row: 6, subject: '01', clip: 'EP02_01f', reason: 'duplicate row: duplicate of row 2' },
    ]);
    expect(report.counts.all.threeClass).toEqual({ negative: 3, positive: 2, surprise: 1 });
    expect(report.counts.all.noThreeClass).toBe(1);
    expect(report.counts.accepted.threeClass).toEqual({ negative: 1, positive: 1, surprise: 1 });
    expect(report.counts.all.native).toMatchObject({ disgust: 2, happiness: 2, repression: 1 });
  });

  it('says when formulas hold no computed value (a script wrote the file) and rows are hidden', async () => {
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('Coding');
    sheet.addRow(CASME2_HEADER);
    sheet.addRow(['01', 'EP02_01f', null, { formula: '40+6' }, 59, 86, null, 12, 'happiness']);
    sheet.addRow([
      '01',
      'EP19_05f',
      null,
      { formula: '396', result: 396 },
      416,
      446,
      null,
      4,
      'disgust',
    ]);
    sheet.addRow(['02', 'EP03_02f', null, 100, 110, 136, null, 15, 'repression']).hidden = true;
    await workbook.xlsx.writeFile(at('scripted.xlsx'));
    const { report } = await importAnnotationFile(at('scripted.xlsx'));
    expect(report.warnings).toEqual([
      expect.stringMatching(
        /^sheet Coding: 1 formula cell\(s\) hold no computed value and read as empty \(D2 =40\+6\).*open and save it in Excel or LibreOffice$/,
      ),
      'sheet Coding: 1 hidden row(s) are read like the others (row 4)',
    ]);
    expect(report.rowsAccepted).toBe(3); // the formula row is kept, with no onset
  });

  it('matches rows to clips across spellings and turns frame numbers into indexes', async () => {
    const file = await writeWorkbook('match.xlsx', {
      Sheet1: [
        CASME2_HEADER,
        ['01', 'EP02_01f', null, 46, 59, 86, null, 'L12+R14', 'happiness'],
        ['01', 'EP99_01', null, 1, 2, 3, null, 4, 'disgust'],
        ['02', 'EP03_02f', null, 10, 20, 300, null, 15, 'repression'],
      ],
    });
    const open = dataset('casme2', [
      clip('sub01', 'EP02_01f', 40, 60),
      clip('sub02', 'EP03_02f', 1, 100),
    ]);
    const { report, annotations } = await importAnnotationFile(file, { dataset: open });
    expect(report.rowsMatched).toBe(1);
    expect(report.rejected.map((r) => [r.reason, r.clipId])).toEqual([
      ["unknown clip: no clip 'EP99_01' of subject '01' in fixture", undefined],
      [
        'frame not in clip: offset frame 300 is not a frame of sub02/EP03_02f (frames 1–100)',
        'sub02/EP03_02f',
      ],
    ]);
    expect(annotations['sub01/EP02_01f']).toEqual([
      expect.objectContaining({
        onset: 6,
        apex: 19,
        offset: 46,
        emotion: 'happiness',
        threeClass: 'positive',
        ausRaw: 'L12+R14',
        aus: [
          { au: 12, side: 'L', raw: 'L12' },
          { au: 14, side: 'R', raw: 'R14' },
        ],
      }),
    ]);
  });

  it('matches SMIC s01 to folder s1 and SAMM 6 to 006 from the composite list', async () => {
    await writeFile(
      at('composite.csv'),
      'smic,s01,s01_ne_01,0\nsamm,6,006_1_2,2\nsmic,s02,s2_po_05,1\n',
    );
    const smic = dataset('smic-hs', [clip('s1', 's1_ne_01', 1, 10)]);
    const { report, annotations } = await importAnnotationFile(at('composite.csv'), {
      dataset: smic,
    });
    expect(report.format).toBe('megc2019-composite');
    expect(Object.keys(annotations)).toEqual(['s1/s1_ne_01']);
    expect(annotations['s1/s1_ne_01'][0].threeClass).toBe('negative');
    expect(report.rejectedByKind).toEqual({ 'other database': 1, 'unknown clip': 1 });
    const samm = dataset('samm', [clip('006', '006_1_2', 5000, 10)]);
    const sammImport = await importAnnotationFile(at('composite.csv'), { dataset: samm });
    expect(sammImport.annotations['006/006_1_2'][0].threeClass).toBe('surprise');
    expect(sammImport.report.counts.byDb?.smic.threeClass).toEqual({
      negative: 1,
      positive: 1,
      surprise: 0,
    });
  });

  it('imports any CSV through a column mapping, with a preview and suggestions', async () => {
    await writeFile(
      at('mine.csv'),
      'who;video;begin;top;stop;feeling;facs\np1;clipA;3;5;9;happy;AU6+AU12\n',
    );
    const preview = await previewAnnotationFile(at('mine.csv'));
    expect(preview.headers).toEqual(['who', 'video', 'begin', 'top', 'stop', 'feeling', 'facs']);
    expect(preview.rows).toEqual([['p1', 'clipA', '3', '5', '9', 'happy', 'AU6+AU12']]);
    expect(preview.suggested).toEqual({ clip: 'video', aus: 'facs' });
    const mapping = {
      subject: 'who',
      clip: 'video',
      onset: 'begin',
      apex: 'top',
      offset: 'stop',
      emotion: 'feeling',
      aus: 'facs',
    };
    const { report } = await importAnnotationFile(at('mine.csv'), { mapping });
    expect(report.format).toBe('mapped');
    expect(report.rowsAccepted).toBe(1);
    expect(report.counts.all.threeClass.positive).toBe(1);
  });

  it('imports a CSV without a header row through numbered columns', async () => {
    await writeFile(at('bare.csv'), 'x,clipA,1,2,3\nx,clipB,4,5,6\n');
    await expect(importAnnotationFile(at('bare.csv'))).rejects.toThrow(/unknown headers/);
    const { report } = await importAnnotationFile(at('bare.csv'), {
      headerRow: 0,
      mapping: { clip: 'column 2', onset: 'column 3', apex: 'column 4', offset: 'column 5' },
    });
    expect(report.rowsRead).toBe(2);
    expect(report.rowsAccepted).toBe(2);
  });

  it('says which headers it expected and which it found', async () => {
    await writeFile(at('odd.csv'), 'alpha,beta,gamma\n1,2,3\n');
    await expect(importAnnotationFile(at('odd.csv'))).rejects.toThrow(
      /odd\.csv: unknown headers — expected .*Subject, Filename, OnsetFrame.*the first row has 'alpha', 'beta', 'gamma'/,
    );
  });

  it('reads Latin-1 and BOM-marked CSV and says so', async () => {
    const latin1 = Buffer.concat([
      Buffer.from('Subject,Filename,Onset,Apex,Offset,Emotion\n'),
      Buffer.from([0x4a, 0xe9, 0x72, 0xf4, 0x6d, 0x65]), // "Jérôme" in Latin-1
      Buffer.from(',c1,1,2,3,surprise\n'),
    ]);
    await writeFile(at('latin1.csv'), latin1);
    const { report } = await importAnnotationFile(at('latin1.csv'));
    expect(report.encoding).toBe('windows-1252');
    expect(report.warnings[0]).toMatch(/not valid UTF-8/);
    expect(report.rejected).toEqual([]);
    const preview = await previewAnnotationFile(at('latin1.csv'));
    expect(preview.rows[0][0]).toBe('Jérôme');
    await writeFile(at('bom.csv'), `\ufeffSubject,Filename,Onset,Apex,Offset\n1,c,1,2,3\n`);
    const bom = await previewAnnotationFile(at('bom.csv'));
    expect(bom.encoding).toBe('utf-8 (BOM)');
    expect(bom.headers[0]).toBe('Subject');
  });

  it('refuses empty files, damaged or disguised .xls files and unknown sheets clearly', async () => {
    await writeFile(at('empty.csv'), '');
    await expect(importAnnotationFile(at('empty.csv'))).rejects.toThrow(
      /empty\.csv: the file is empty/,
    );
    await writeFile(at('blank.csv'), '\n\n,,\n');
    await expect(importAnnotationFile(at('blank.csv'))).rejects.toThrow(/the file is empty/);
    await writeFile(
      at('old.xls'),
      Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0]),
    );
    await expect(importAnnotationFile(at('old.xls'))).rejects.toThrow(
      /old\.xls: the workbook is damaged/,
    );
    await new ExcelJS.Workbook().xlsx.writeFile(at('nosheets.xlsx'));
    await expect(importAnnotationFile(at('nosheets.xlsx'))).rejects.toThrow(
      /nosheets\.xlsx: a zip archive with no worksheets in it/,
    );
    await mkdir(at('folder.xlsx'));
    await expect(importAnnotationFile(at('folder.xlsx'))).rejects.toThrow(
      /folder\.xlsx: a folder, not an annotation table/,
    );
    if (process.platform !== 'win32') {
      execFileSync('mkfifo', [at('pipe.csv')]);
      await expect(importAnnotationFile(at('pipe.csv'))).rejects.toThrow(
        /pipe\.csv: not a regular file \(a pipe or device\)/,
      );
    }
    await writeFile(at('short.csv'), 'Subject,Filename\n01,EP01\n');
    await expect(importAnnotationFile(at('short.csv'), { headerRow: 999 })).rejects.toThrow(
      /header row 999 is past the end of the table \(2 rows\)/,
    );
    await expect(previewAnnotationFile(at('short.csv'), { headerRow: 999 })).rejects.toThrow(
      /header row 999 is past the end/,
    );
    await writeFile(at('sheet.ods'), 'x');
    await expect(importAnnotationFile(at('sheet.ods'))).rejects.toThrow(
      /save it from LibreOffice as \.xlsx or CSV/,
    );
    await writeFile(at('page.xls'), '<html><body><table><tr><td>Subject</td></tr></table>');
    await expect(importAnnotationFile(at('page.xls'))).rejects.toThrow(
      /page\.xls: not an Excel workbook \(a web page or XML file\); open it in Excel/,
    );
    const file = await writeWorkbook('sheets.xlsx', { First: [CASME2_HEADER] });
    await expect(importAnnotationFile(file, { sheet: 'MICRO_ONLY' })).rejects.toThrow(
      /no sheet 'MICRO_ONLY'; the workbook has 'First'/,
    );
    await expect(importAnnotationFile(file)).rejects.toThrow(/no data rows below the header/);
    await writeFile(at('notes.md'), 'hello');
    await expect(importAnnotationFile(at('notes.md'))).rejects.toThrow(/not an annotation table/);
  });

  it('imports an Excel 97–2003 coding sheet, and tab-separated text named .xls', async () => {
    const { report } = await importAnnotationFile(CODING_SHEET_XLS);
    expect(report).toMatchObject({ format: 'casme3', sheet: 'label', headerRow: 4 });
    expect(report).toMatchObject({ rowsRead: 5, rowsAccepted: 3 });
    expect(report.rejected.map((row) => [row.row, row.clip])).toEqual([
      [8, 'c'],
      [9, 'd'],
    ]);
    const tsv = [CASME2_HEADER, ['01', 'EP02_01f', '', 46, 59, 86, '', '12', 'happiness']];
    await writeFile(at('export.xls'), tsv.map((row) => row.join('\t')).join('\n'));
    const text = await importAnnotationFile(at('export.xls'));
    expect(text.report).toMatchObject({ format: 'casme2', rowsAccepted: 1 });
  });

  it('counts the rows of a file that the composite list contains', async () => {
    await writeFile(at('gt.csv'), 'casme2,sub01,EP02_01f,1\ncasme2,sub02,EP03_02f,0\n');
    const file = await writeWorkbook('withcomposite.xlsx', {
      Sheet1: [
        CASME2_HEADER,
        ['01', 'EP02_01f', null, 46, 59, 86, null, 12, 'happiness'],
        ['02', 'EP03_02f', null, 1, 2, 3, null, 15, 'repression'],
        ['03', 'EP03_02f', null, 1, 2, 3, null, 15, 'sadness'],
      ],
    });
    const { report } = await importAnnotationFile(file, { composite: at('gt.csv') });
    expect(report.counts.inComposite?.threeClass).toEqual({
      negative: 1,
      positive: 1,
      surprise: 0,
    });
    await expect(importAnnotationFile(file, { composite: file })).rejects.toThrow(
      /not a MEGC2019 composite list/,
    );
  });
});
