import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import CFB from 'cfb';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../../shared/random';
import { readTables } from '../table';
import { RECORD, rkNumber } from './records';
import { readXlsWorkbook } from './workbook';

const FIXTURE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../../../test/fixtures/annotations/coding-sheet.xls',
);

/** A BIFF8 record: type, size, data. */
function record(type: number, ...parts: number[][]): number[] {
  const data = parts.flat();
  return [type & 0xff, type >> 8, data.length & 0xff, data.length >> 8, ...data];
}

const u16 = (value: number) => [value & 0xff, (value >> 8) & 0xff];
const u32 = (value: number) => [...u16(value & 0xffff), ...u16(value >>> 16)];
const bytes = (text: string) => [...text].map((char) => char.charCodeAt(0));
const utf16 = (text: string) => [...text].flatMap((char) => u16(char.charCodeAt(0)));
const bof = (kind: number, version = 0x0600) => record(RECORD.bof, u16(version), u16(kind));
const eof = () => record(RECORD.eof);

/** A compound file holding the given streams, as Excel writes them. */
function compound(streams: Record<string, number[]>): Uint8Array {
  const container = CFB.utils.cfb_new();
  for (const [name, content] of Object.entries(streams)) {
    CFB.utils.cfb_add(container, name, Uint8Array.from(content));
  }
  return CFB.write(container, { type: 'buffer' }) as Uint8Array;
}

/** Globals (with `globalRecords`) and one worksheet holding `cells`, its offset patched in. */
function workbook(globalRecords: number[][], cells: number[][]): Uint8Array {
  const sheetName = [4, 0, ...bytes('data')];
  const boundSheet = (offset: number) => record(RECORD.boundSheet, u32(offset), [0, 0], sheetName);
  const head = [...bof(0x0005), ...globalRecords.flat()];
  const sheetOffset = head.length + boundSheet(0).length + eof().length;
  const globals = [...head, ...boundSheet(sheetOffset), ...eof()];
  return compound({ Workbook: [...globals, ...bof(0x0010), ...cells.flat(), ...eof()] });
}

const cellHeader = (row: number, column: number, style = 0) => [
  ...u16(row),
  ...u16(column),
  ...u16(style),
];

describe('reading Excel 97–2003 workbooks', () => {
  it('reads every worksheet LibreOffice wrote, as the cells show', () => {
    const sheets = readXlsWorkbook(readFileSync(FIXTURE));
    expect(sheets.map((sheet) => sheet.name)).toEqual(['readme', 'label', 'hidden']);
    const [readme, label, hidden] = sheets.map((sheet) => sheet.rows);
    expect(readme[1][0]).toBe('微表情'.repeat(1500));
    expect(readme[2][0]).toBe('onset-apex '.repeat(900).trim());
    expect(readme[3][0]).toBe('rich text');
    expect(label.slice(0, 5)).toEqual([
      ['CAS(ME)^3-style coding sheet'],
      ['coder: fixture'],
      [],
      [
        ...['Subject', 'Filename', 'Onset', 'Apex', 'Offset', 'AU', 'Objective class'],
        ...['emotion', 'Note', 'Checked', 'Coded on'],
      ],
      [
        ...['spNO.1', 'a', '175', '190', '210', 'L1+L2', 'II', 'surprise', '眉毛上扬', 'true'],
        '2020-01-02T00:00:00.000Z',
      ],
    ]);
    expect(label[5]).toEqual([
      'spNO.1',
      'b',
      '35',
      '57',
      '71',
      '4+7',
      'IV',
      'disgust',
      'b-35',
      'false',
    ]);
    expect(label[6]).toEqual([]);
    expect(label[7].slice(2, 5)).toEqual(['1000000', '1000012.5', '123456789']);
    expect(label[7][8]).toBe('#N/A');
    expect(label[8].slice(2, 5)).toEqual(['-3', '0.01', '2.75']);
    expect(label[8][8]).toBe('mixed runs');
    expect(label[9][8]).toBe('padded');
    expect(hidden).toEqual([[], ['', 'hidden cell']]);
  });

  it('follows a shared string into CONTINUE records, where it may change width', () => {
    const text = 'négatif→正';
    const sst = record(RECORD.sst, u32(1), u32(1), u16(text.length), [0], bytes('négat'));
    const rest = record(RECORD.continue, [1], utf16('if→正'));
    const cell = record(RECORD.labelSst, cellHeader(0, 0), u32(0));
    const [sheet] = readXlsWorkbook(workbook([sst, rest], [cell]));
    expect(sheet.rows).toEqual([[text]]);
  });

  it('decodes numbers stored as RK values and as MULRK runs', () => {
    expect(rkNumber((7 << 2) | 0x02)).toBe(7);
    expect(rkNumber((-3 << 2) | 0x02)).toBe(-3);
    expect(rkNumber((1234 << 2) | 0x03)).toBe(12.34);
    const half = new DataView(new ArrayBuffer(8));
    half.setFloat64(0, 2.5, true);
    expect(rkNumber(half.getInt32(4, true))).toBe(2.5);
    const mulRk = record(
      RECORD.mulRk,
      u16(2),
      u16(1),
      [...u16(0), ...u32((46 << 2) | 0x02)],
      [...u16(0), ...u32((5 << 2) | 0x03)],
      u16(2),
    );
    const [sheet] = readXlsWorkbook(workbook([], [mulRk]));
    expect(sheet.rows[2]).toEqual(['', '46', '0.05']);
  });

  it('reads or names the damage in every randomly damaged copy of the fixture', () => {
    const original = readFileSync(FIXTURE);
    const random = seededRandom(6);
    const outcomes = new Set<string>();
    for (let copy = 0; copy < 300; copy++) {
      const damaged = Uint8Array.from(original);
      for (let byte = 0; byte < 1 + random() * 8; byte++) {
        damaged[Math.floor(random() * damaged.length)] = Math.floor(random() * 256);
      }
      try {
        readXlsWorkbook(damaged);
        outcomes.add('read');
      } catch (error) {
        expect((error as Error).message).toMatch(/^(the workbook is damaged|a compound document)/);
        outcomes.add('refused');
      }
    }
    expect(outcomes).toEqual(new Set(['read', 'refused']));
  });

  it('refuses a workbook whose sheets are all charts, by name', async () => {
    const chart = record(RECORD.boundSheet, u32(0), [0, 2], [5, 0, ...bytes('chart')]);
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'mer-xls-')), 'charts.xls');
    writeFileSync(file, compound({ Workbook: [...bof(0x0005), ...chart, ...eof()] }));
    await expect(readTables(file)).rejects.toThrow(/charts\.xls: the workbook has no worksheets/);
  });

  it('says what is wrong with files it cannot read', () => {
    expect(() =>
      readXlsWorkbook(compound({ Workbook: [...bof(0x0005), ...record(RECORD.filePass, [0])] })),
    ).toThrow(/password-protected: open it in Excel, remove the password/);
    expect(() => readXlsWorkbook(compound({ Book: [...bof(0x0005, 0x0500), ...eof()] }))).toThrow(
      /Excel 5\.0\/95 workbook/,
    );
    expect(() => readXlsWorkbook(compound({ WordDocument: [0, 1, 2, 3] }))).toThrow(
      /without a workbook in it \(not an Excel file\)/,
    );
    expect(() =>
      readXlsWorkbook(compound({ Workbook: [...bof(0x0005), 0x85, 0, 40, 0, 1] })),
    ).toThrow(/the workbook is damaged \(a record runs past the end of the file\)/);
    const cutShort = record(RECORD.sst, u32(1), u32(1), u16(20), [0], bytes('short'));
    expect(() => readXlsWorkbook(workbook([cutShort], []))).toThrow(
      /damaged \(a string runs past its record\)/,
    );
    expect(() => readXlsWorkbook(Uint8Array.from([0xd0, 0xcf, 0x11, 0xe0, 0, 0]))).toThrow(
      /the workbook is damaged/,
    );
  });
});
