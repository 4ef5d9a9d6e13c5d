import { open, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { decodeText, parseCsv } from './csv';
import { readXlsWorkbook } from './xls/workbook';

/** A sheet of an annotation file as strings, with the rows' numbers as the user sees them. */
export interface Table {
  file: string;
  format: 'xlsx' | 'xls' | 'csv';
  sheet?: string;
  sheets: string[];
  /** Cell text per row; row i of the sheet (1-based) is rows[i - 1]. Blank cells are ''. */
  rows: string[][];
  encoding?: string;
  warnings: string[];
}

/** A file the user gave that cannot be read; the message says what to do. */
export class AnnotationFileError extends Error {
  override name = 'AnnotationFileError';
}

const IMPORTABLE = ['.xlsx', '.xlsm', '.xls', '.csv', '.tsv', '.txt'];
const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];
const COMPOUND_MAGIC = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];

/** Reads a spreadsheet or CSV; `sheet` picks a worksheet by name (else the caller chooses). */
export async function readTables(
  file: string,
): Promise<{ tables: Table[]; kind: Table['format'] }> {
  const extension = path.extname(file).toLowerCase();
  if (!IMPORTABLE.includes(extension)) {
    const odf = extension === '.ods' ? '; save it from LibreOffice as .xlsx or CSV' : '';
    throw new AnnotationFileError(
      `${file}: not an annotation table (expected ${IMPORTABLE.join(', ')})${odf}`,
    );
  }
  await requireRegularFile(file);
  const head = await readHead(file);
  if (head.length === 0) throw new AnnotationFileError(`${file}: the file is empty`);
  if (startsWith(head, COMPOUND_MAGIC)) return { tables: await readOldWorkbook(file), kind: 'xls' };
  if (startsWith(head, ZIP_MAGIC)) return { tables: await readWorkbook(file), kind: 'xlsx' };
  const workbookName = extension !== '.csv' && extension !== '.tsv' && extension !== '.txt';
  if (workbookName && (extension !== '.xls' || looksLikeMarkup(head))) {
    const what = looksLikeMarkup(head)
      ? 'a web page or XML file'
      : 'the file does not start as one';
    throw new AnnotationFileError(
      `${file}: not an Excel workbook (${what}); open it in Excel or LibreOffice and save it ` +
        'as .xlsx or CSV',
    );
  }
  // Some tools write tab-separated text under an .xls name: read it as the text table it is.
  return { tables: [await readCsvTable(file)], kind: 'csv' };
}

function looksLikeMarkup(head: Uint8Array): boolean {
  return new TextDecoder().decode(head).trimStart().startsWith('<');
}

/** Excel 97–2003 (.xls): an OLE2 compound file holding a BIFF8 workbook stream. */
async function readOldWorkbook(file: string): Promise<Table[]> {
  let sheets;
  try {
    sheets = readXlsWorkbook(await readFile(file));
  } catch (error) {
    throw new AnnotationFileError(`${file}: ${(error as Error).message}`);
  }
  if (sheets.length === 0) {
    throw new AnnotationFileError(`${file}: the workbook has no worksheets (only charts?)`);
  }
  const names = sheets.map((sheet) => sheet.name);
  return sheets.map((sheet) => ({
    file,
    format: 'xls' as const,
    sheet: sheet.name,
    sheets: names,
    rows: sheet.rows,
    warnings: [],
  }));
}

/** A folder, pipe or device named like a table would block or fail deep inside a reader. */
async function requireRegularFile(file: string): Promise<void> {
  const info = await stat(file).catch((error: NodeJS.ErrnoException) => {
    throw new AnnotationFileError(`${file}: cannot open (${error.code ?? error.message})`);
  });
  if (!info.isFile()) {
    const what = info.isDirectory() ? 'a folder' : 'not a regular file (a pipe or device)';
    throw new AnnotationFileError(`${file}: ${what}, not an annotation table`);
  }
}

async function readHead(file: string): Promise<Uint8Array> {
  const handle = await open(file, 'r').catch((error: NodeJS.ErrnoException) => {
    throw new AnnotationFileError(`${file}: cannot open (${error.code ?? error.message})`);
  });
  try {
    const buffer = new Uint8Array(8);
    const { bytesRead } = await handle.read(buffer, 0, 8, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

function startsWith(bytes: Uint8Array, magic: number[]): boolean {
  return magic.every((byte, i) => bytes[i] === byte);
}

async function readWorkbook(file: string): Promise<Table[]> {
  const workbook = new ExcelJS.Workbook();
  try {
    await workbook.xlsx.readFile(file);
  } catch (error) {
    throw new AnnotationFileError(
      `${file}: cannot read the workbook (${(error as Error).message})`,
    );
  }
  if (workbook.worksheets.length === 0) {
    throw new AnnotationFileError(
      `${file}: a zip archive with no worksheets in it (not an Excel workbook: a zipped file, ` +
        'a Word document or an OpenDocument file renamed?); save it from its program as .xlsx',
    );
  }
  const sheets = workbook.worksheets.map((sheet) => sheet.name);
  return workbook.worksheets.map((sheet) => ({
    file,
    format: 'xlsx' as const,
    sheet: sheet.name,
    sheets,
    ...sheetRows(sheet),
  }));
}

function sheetRows(sheet: ExcelJS.Worksheet): { rows: string[][]; warnings: string[] } {
  const rows: string[][] = [];
  const uncomputed: string[] = [];
  const hidden: number[] = [];
  sheet.eachRow({ includeEmpty: true }, (row, number) => {
    const values = Array.isArray(row.values) ? row.values.slice(1) : [];
    rows[number - 1] = values.map(cellText);
    if (row.hidden && values.some((value) => cellText(value) !== '')) hidden.push(number);
    row.eachCell((cell) => {
      if (cell.type === ExcelJS.ValueType.Formula && cell.result === undefined)
        uncomputed.push(`${cell.address} =${cell.formula}`);
    });
  });
  for (let i = 0; i < rows.length; i++) rows[i] ??= [];
  const warnings: string[] = [];
  if (uncomputed.length > 0) {
    warnings.push(
      `sheet ${sheet.name}: ${uncomputed.length} formula cell(s) hold no computed value and read as ` +
        `empty (${uncomputed.slice(0, 3).join(', ')}${uncomputed.length > 3 ? ', …' : ''}): the ` +
        'file was written by a program that does not compute formulas; open and save it in ' +
        'Excel or LibreOffice',
    );
  }
  if (hidden.length > 0) {
    warnings.push(
      `sheet ${sheet.name}: ${hidden.length} hidden row(s) are read like the others ` +
        `(row ${hidden.slice(0, 5).join(', ')}${hidden.length > 5 ? ', …' : ''})`,
    );
  }
  return { rows, warnings };
}

/** The text a cell shows: formula results, rich text and hyperlinks flattened; numbers as written. */
export function cellText(value: ExcelJS.CellValue | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : String(value);
  if (typeof value === 'boolean') return String(value);
  if (value instanceof Date) return value.toISOString();
  if ('richText' in value)
    return value.richText
      .map((part) => part.text)
      .join('')
      .trim();
  if ('result' in value) return cellText(value.result as ExcelJS.CellValue);
  if ('text' in value) return String(value.text).trim();
  if ('error' in value) return String(value.error);
  return '';
}

async function readCsvTable(file: string): Promise<Table> {
  const bytes = await readFile(file);
  const decoded = decodeText(bytes, path.basename(file));
  const rows = parseCsv(decoded.text).map((row) => row.map((cell) => cell.trim()));
  return {
    file,
    format: 'csv',
    sheets: [],
    rows,
    encoding: decoded.encoding,
    warnings: decoded.warning ? [decoded.warning] : [],
  };
}

export function isBlankRow(row: string[] | undefined): boolean {
  return !row || row.every((cell) => cell === '');
}
