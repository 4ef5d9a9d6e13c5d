import CFB from 'cfb';
import {
  type BiffRecord,
  ContinuedReader,
  RECORD,
  readRecords,
  rkNumber,
  shortUnicodeString,
  unicodeString,
} from './records';

/** One worksheet of an Excel 97–2003 workbook as the text its cells show. */
export interface XlsSheet {
  name: string;
  /** Row i of the sheet (1-based) is rows[i - 1]; blank cells are ''. */
  rows: string[][];
}

interface Globals {
  sheets: { name: string; offset: number }[];
  strings: string[];
  /** Per cell format (XF) index: whether its number format shows a date. */
  dateStyles: boolean[];
  date1904: boolean;
}

const BIFF8 = 0x0600;
/** Records that may sit between a FORMULA and the STRING holding its text (shared/array/table). */
const FORMULA_COMPANIONS = new Set([0x04bc, 0x0221, 0x0236]);
const WORKSHEET_SHEET = 0;

/**
 * Reads every worksheet of an Excel 97–2003 (.xls, BIFF8) workbook. Throws an Error whose message
 * says what is wrong with the file (the caller adds its name).
 */
export function readXlsWorkbook(bytes: Uint8Array): XlsSheet[] {
  const stream = workbookStream(bytes);
  try {
    const globals = readGlobals(stream);
    return globals.sheets.map((sheet) => ({
      name: sheet.name,
      rows: readSheetRows(stream, sheet.offset, globals),
    }));
  } catch (error) {
    if (error instanceof RangeError)
      throw new Error(`the workbook is damaged (${error.message})`, { cause: error });
    throw error;
  }
}

function workbookStream(bytes: Uint8Array): Uint8Array {
  let container: CFB.CFB$Container;
  try {
    container = CFB.read(bytes, { type: 'buffer' });
  } catch (error) {
    throw new Error('the workbook is damaged or cut short (its compound file cannot be read)', {
      cause: error,
    });
  }
  const workbook = CFB.find(container, 'Workbook');
  if (workbook) return Uint8Array.from(workbook.content);
  if (CFB.find(container, 'Book')) {
    throw new Error(
      'an Excel 5.0/95 workbook, older than MER Studio reads: open it in Excel or LibreOffice ' +
        'and save it as .xlsx',
    );
  }
  throw new Error('a compound document without a workbook in it (not an Excel file)');
}

function readGlobals(stream: Uint8Array): Globals {
  const globals: Globals = { sheets: [], strings: [], dateStyles: [], date1904: false };
  const formats = new Map<number, string>();
  const xfFormats: number[] = [];
  const records = readRecords(stream);
  checkBof(records.next().value);
  for (const record of records) {
    const { type, data } = record;
    if (type === RECORD.eof) break;
    if (type === RECORD.filePass) {
      throw new Error(
        'the workbook is password-protected: open it in Excel, remove the password and save ' +
          'it as .xlsx',
      );
    }
    if (type === RECORD.dateMode) globals.date1904 = data.getUint16(0, true) === 1;
    if (type === RECORD.format) formats.set(data.getUint16(0, true), unicodeString(data, 2));
    if (type === RECORD.xf) xfFormats.push(data.getUint16(2, true));
    if (type === RECORD.boundSheet && data.getUint8(5) === WORKSHEET_SHEET) {
      globals.sheets.push({ name: shortUnicodeString(data, 6), offset: data.getUint32(0, true) });
    }
    if (type === RECORD.sst) globals.strings = readSharedStrings(record, stream);
  }
  globals.dateStyles = xfFormats.map((id) => isDateFormat(id, formats.get(id)));
  return globals;
}

function checkBof(record: BiffRecord | undefined): void {
  if (!record || record.type !== RECORD.bof) {
    throw new Error('the workbook is damaged (it does not start with a BOF record)');
  }
  if (record.data.getUint16(0, true) !== BIFF8) {
    throw new Error(
      'written by an Excel older than 97, which MER Studio does not read: open it in Excel or ' +
        'LibreOffice and save it as .xlsx',
    );
  }
}

function readSharedStrings(sst: BiffRecord, stream: Uint8Array): string[] {
  const reader = new ContinuedReader(continued(sst, stream), 8);
  const unique = sst.data.getUint32(4, true);
  return Array.from({ length: unique }, () => reader.richExtendedString());
}

function readSheetRows(stream: Uint8Array, offset: number, globals: Globals): string[][] {
  const rows: string[][] = [];
  const put = (row: number, column: number, text: string) => {
    (rows[row] ??= [])[column] = text;
  };
  const records = readRecords(stream, offset);
  checkBof(records.next().value);
  let depth = 1;
  let pendingFormula: { row: number; column: number } | null = null;
  for (const record of records) {
    if (record.type === RECORD.bof) depth++;
    if (record.type === RECORD.eof && --depth === 0) break;
    if (depth !== 1 || FORMULA_COMPANIONS.has(record.type)) continue;
    if (record.type === RECORD.string && pendingFormula) {
      const text = new ContinuedReader(continued(record, stream)).richExtendedString();
      put(pendingFormula.row, pendingFormula.column, text.trim());
    }
    pendingFormula = null;
    for (const cell of cellsOf(record, globals)) {
      if (cell.text === undefined) pendingFormula = cell;
      else put(cell.row, cell.column, cell.text);
    }
  }
  return Array.from(rows, (row) => Array.from(row ?? [], (text) => text ?? ''));
}

function continued(record: BiffRecord, stream: Uint8Array): DataView[] {
  const segments = [record.data];
  for (const next of readRecords(stream, record.offset + 4 + record.data.byteLength)) {
    if (next.type !== RECORD.continue) break;
    segments.push(next.data);
  }
  return segments;
}

interface CellText {
  row: number;
  column: number;
  /** undefined: a formula whose string result is in the next STRING record. */
  text: string | undefined;
}

function cellsOf(record: BiffRecord, globals: Globals): CellText[] {
  const { type, data } = record;
  const row = () => data.getUint16(0, true);
  const column = () => data.getUint16(2, true);
  const style = () => data.getUint16(4, true);
  const cell = (text: string | undefined) => [{ row: row(), column: column(), text }];
  switch (type) {
    case RECORD.labelSst:
      return cell((globals.strings[data.getUint32(6, true)] ?? '').trim());
    case RECORD.label:
    case RECORD.richString:
      return cell(unicodeString(data, 6).trim());
    case RECORD.number:
      return cell(numberText(data.getFloat64(6, true), style(), globals));
    case RECORD.rk:
      return cell(numberText(rkNumber(data.getInt32(6, true)), style(), globals));
    case RECORD.mulRk:
      return mulRkCells(data, globals);
    case RECORD.boolErr:
      return cell(boolErrText(data.getUint8(6), data.getUint8(7) === 1));
    case RECORD.formula:
      return cell(formulaText(data, globals));
    default:
      return [];
  }
}

function mulRkCells(data: DataView, globals: Globals): CellText[] {
  const row = data.getUint16(0, true);
  const first = data.getUint16(2, true);
  const count = Math.floor((data.byteLength - 6) / 6);
  return Array.from({ length: count }, (_, i) => {
    const at = 4 + i * 6;
    const value = rkNumber(data.getInt32(at + 2, true));
    return { row, column: first + i, text: numberText(value, data.getUint16(at, true), globals) };
  });
}

function formulaText(data: DataView, globals: Globals): string | undefined {
  if (data.getUint16(12, true) !== 0xffff) {
    return numberText(data.getFloat64(6, true), data.getUint16(4, true), globals);
  }
  const kind = data.getUint8(6);
  if (kind === 0) return undefined;
  if (kind === 1 || kind === 2) return boolErrText(data.getUint8(8), kind === 2);
  return '';
}

const ERRORS: Record<number, string> = {
  0x00: '#NULL!',
  0x07: '#DIV/0!',
  0x0f: '#VALUE!',
  0x17: '#REF!',
  0x1d: '#NAME?',
  0x24: '#NUM!',
  0x2a: '#N/A',
};

function boolErrText(value: number, isError: boolean): string {
  if (isError) return ERRORS[value] ?? '#ERROR';
  return value ? 'true' : 'false';
}

/** Numbers as written; numbers shown as dates as ISO 8601 (as the .xlsx reader gives them). */
function numberText(value: number, style: number, globals: Globals): string {
  if (!globals.dateStyles[style] || !Number.isFinite(value)) return String(value);
  const unixDays = value - (globals.date1904 ? 24107 : 25569);
  const date = new Date(Math.round(unixDays * 86_400_000));
  return Number.isNaN(date.getTime()) ? String(value) : date.toISOString();
}

/** Built-in date formats (including the East Asian ones), or a format string with date parts. */
function isDateFormat(id: number, format: string | undefined): boolean {
  const builtIn = [14, 22, 27, 36, 45, 47, 50, 58];
  for (let i = 0; i < builtIn.length; i += 2) {
    if (id >= builtIn[i] && id <= builtIn[i + 1]) return true;
  }
  return format !== undefined && /[dmyhs]/i.test(format.replace(/"[^"]*"|\\.|\[[^\]]*\]/g, ''));
}
