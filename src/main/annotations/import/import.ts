import path from 'node:path';
import type { ClipAnnotation, DatasetIndex } from '../../../shared/domain';
import { THREE_CLASSES } from '../../../shared/domain';
import type {
  ClassCounts,
  ColumnMapping,
  ImportPreview,
  ImportReport,
  RejectedRow,
} from '../../../shared/contract/annotations';
import { parseAus } from '../au';
import {
  detectLayout,
  expectedHeadersText,
  headerKey,
  listHeaders,
  numberedHeaders,
  resolveMapping,
  suggestMapping,
  type TableLayout,
} from './columns';
import { clipKey, databaseKey, subjectKey } from './keys';
import { ClipMatcher } from './match';
import { parseRows, type ParsedRow, type SourceRow } from './rows';
import { AnnotationFileError, readTables, type Table } from './table';

export interface ImportSourceOptions {
  sheet?: string;
  /** 1-based header row; 0 = none. Omitted: found automatically. */
  headerRow?: number;
}

export interface ImportOptions extends ImportSourceOptions {
  mapping?: ColumnMapping;
  /** The open dataset: rows are matched to its clips and frames turned into indexes. */
  dataset?: DatasetIndex;
  /** A combined_3class_gt.csv: also count the rows whose clip it lists. */
  composite?: string;
  /** Time stamped on the imported annotations. */
  importedAt?: string;
}

export interface ImportOutcome {
  report: ImportReport;
  /** Imported expressions per clip id (only with a dataset), each list sorted by onset. */
  annotations: Record<string, ClipAnnotation[]>;
  /** The rows accepted, as read (frames still the file's frame numbers). */
  accepted: SourceRow[];
}

const PREFERRED_SHEETS = ['micro_only', 'label'];
const PREVIEW_ROWS = 10;

/** The column-mapping step: headers, first rows and the suggested mapping. */
export async function previewAnnotationFile(
  file: string,
  options: ImportSourceOptions = {},
): Promise<ImportPreview> {
  const table = await loadTable(file, options.sheet);
  const layout = previewLayout(table, options.headerRow);
  const first = layout.headerRow ?? 0;
  return {
    file,
    format: layout.format,
    sheets: table.sheets,
    sheet: table.sheet,
    headerRow: layout.headerRow,
    headers: layout.headers,
    rows: table.rows.slice(first, first + PREVIEW_ROWS),
    suggested: layout.suggested,
    encoding: table.encoding,
    warnings: table.warnings,
  };
}

/** Reads an annotation file and reports what it holds and what it could not take. */
export async function importAnnotationFile(
  file: string,
  options: ImportOptions = {},
): Promise<ImportOutcome> {
  const table = await loadTable(file, options.sheet);
  const layout = layoutOf(table, options.headerRow, options.mapping);
  const mapping = options.mapping ?? layout.suggested;
  const columns = resolveMapping(mapping, layout.headers, describeTable(table));
  const parsed = parseRows(table.rows, layout.headerRow ?? 0, columns, layout.db);
  if (parsed.length === 0) {
    throw new AnnotationFileError(`${describeTable(table)}: no data rows below the header`);
  }
  const rejected: RejectedRow[] = [];
  const matcher = options.dataset ? new ClipMatcher(options.dataset) : null;
  const reject = (row: SourceRow, kind: string, reason: string) => {
    const clip = kind === 'other database' ? undefined : matcher?.find(row);
    rejected.push({
      row: row.row,
      subject: row.subject,
      clip: row.clip,
      reason: `${kind}: ${reason}`,
      ...(clip ? { clipId: clip.id } : {}),
    });
  };
  const accepted: SourceRow[] = [];
  for (const row of parsed) {
    if (row.problem) reject(row.source, row.problem.kind, row.problem.reason);
    else accepted.push(row.source);
  }
  const importedAt = options.importedAt ?? new Date().toISOString();
  const matched = matcher
    ? matchRows(accepted, matcher, reject, path.basename(file), importedAt)
    : null;
  const report: ImportReport = {
    file,
    format: layout.format,
    sheet: table.sheet,
    headerRow: layout.headerRow,
    mapping,
    encoding: table.encoding,
    rowsRead: parsed.length,
    rowsAccepted: accepted.length,
    rowsMatched: matched ? matched.rows.length : null,
    clipsMatched: matched ? Object.keys(matched.annotations).length : null,
    rejected: rejected.sort((a, b) => a.row - b.row),
    rejectedByKind: countKinds(rejected),
    warnings: [...table.warnings, ...auWarnings(parsed), ...(matched?.warnings ?? [])],
    counts: {
      all: countClasses(parsed.map((row) => row.source)),
      accepted: countClasses(accepted),
      ...(matched ? { matched: countClasses(matched.rows) } : {}),
      ...(columns.db !== undefined ? { byDb: countByDb(parsed.map((row) => row.source)) } : {}),
    },
  };
  if (options.composite) {
    const membership = await loadCompositeMembership(options.composite);
    report.counts.inComposite = countClasses(
      parsed.map((row) => row.source).filter((row) => membership.has(row)),
    );
  }
  return { report, annotations: matched?.annotations ?? {}, accepted };
}

async function loadTable(file: string, sheet: string | undefined): Promise<Table> {
  const { tables, kind } = await readTables(file);
  if (sheet !== undefined) {
    if (kind === 'csv') throw new AnnotationFileError(`${file}: a CSV file has no sheets`);
    const named = tables.find((table) => table.sheet?.toLowerCase() === sheet.toLowerCase());
    if (!named) {
      throw new AnnotationFileError(
        `${file}: no sheet '${sheet}'; the workbook has ${tables.map((t) => `'${t.sheet}'`).join(', ')}`,
      );
    }
    return named;
  }
  const preferred = tables.find((t) => PREFERRED_SHEETS.includes((t.sheet ?? '').toLowerCase()));
  if (preferred) return preferred;
  const withHeader = tables.find((table) => safeDetect(table) !== null);
  return withHeader ?? tables.find((table) => table.rows.length > 0) ?? tables[0];
}

function safeDetect(table: Table): TableLayout | null {
  try {
    return detectLayout(table.rows, describeTable(table));
  } catch {
    return null;
  }
}

function describeTable(table: Table): string {
  return table.sheet && table.sheets.length > 1
    ? `${table.file} (sheet ${table.sheet})`
    : table.file;
}

function layoutOf(
  table: Table,
  headerRow: number | undefined,
  mapping?: ColumnMapping,
): TableLayout {
  const where = describeTable(table);
  if (table.rows.every((row) => row.every((cell) => cell === ''))) {
    throw new AnnotationFileError(`${where}: the ${table.sheet ? 'sheet' : 'file'} is empty`);
  }
  if (headerRow === 0) return numberedLayout(table);
  if (headerRow !== undefined) return layoutAt(table, headerRow, where);
  const detected = detectLayout(table.rows, where);
  if (detected) return detected;
  const firstRow = table.rows.findIndex((row) => row.some((cell) => cell !== ''));
  if (mapping) {
    const numbered = numberedHeaders(table.rows);
    const names = Object.values(mapping).map((name) => name.trim().toLowerCase());
    const useNumbers = names.every((name) => numbered.includes(name));
    return useNumbers ? numberedLayout(table) : layoutAt(table, firstRow + 1, where);
  }
  throw new AnnotationFileError(
    `${where}: unknown headers — expected ${expectedHeadersText()}; the first row has ` +
      `${listHeaders(table.rows[firstRow])}. Use the column-mapping step (--map field=Header, or ` +
      "headerRow 0 for a file without a header row and columns named 'column 1', 'column 2', …)",
  );
}

/** For the mapping step: the known layout, else the first row taken as the header row. */
function previewLayout(table: Table, headerRow: number | undefined): TableLayout {
  try {
    return layoutOf(table, headerRow);
  } catch (error) {
    const firstRow = table.rows.findIndex((row) => row.some((cell) => cell !== ''));
    // A header row the user chose that cannot be one is said so, not replaced by a guess.
    if (headerRow !== undefined || !(error instanceof AnnotationFileError) || firstRow < 0) {
      throw error;
    }
    const layout = layoutAt(table, firstRow + 1, describeTable(table));
    table.warnings.push(
      `no known header row found: row ${firstRow + 1} is shown as the header; map the columns ` +
        '(or choose header row 0 if the file has none)',
    );
    return layout;
  }
}

function numberedLayout(table: Table): TableLayout {
  return { format: 'mapped', headerRow: null, headers: numberedHeaders(table.rows), suggested: {} };
}

function layoutAt(table: Table, headerRow: number, where: string): TableLayout {
  if (headerRow > table.rows.length) {
    throw new AnnotationFileError(
      `${where}: header row ${headerRow} is past the end of the table (${table.rows.length} rows)`,
    );
  }
  const headers = table.rows[headerRow - 1];
  const detected = detectLayout([headers], where);
  return detected
    ? { ...detected, headerRow }
    : { format: 'mapped', headerRow, headers, suggested: suggestMapping(headers) };
}

interface MatchedRows {
  rows: SourceRow[];
  annotations: Record<string, ClipAnnotation[]>;
  warnings: string[];
}

function matchRows(
  rows: SourceRow[],
  matcher: ClipMatcher,
  reject: (row: SourceRow, kind: string, reason: string) => void,
  source: string,
  importedAt: string,
): MatchedRows {
  const matched: SourceRow[] = [];
  const annotations: Record<string, ClipAnnotation[]> = {};
  for (const row of rows) {
    const result = matcher.match(row);
    if (!result.ok) {
      reject(row, result.kind, result.reason);
      continue;
    }
    matched.push(row);
    const { clip, onset, apex, offset } = result.match;
    (annotations[clip.id] ??= []).push({
      clipId: clip.id,
      onset,
      apex,
      offset,
      emotion: row.emotion,
      threeClass: row.threeClass,
      aus: row.aus,
      ausRaw: row.ausRaw,
      flags: { blink: false, occlusion: false, badFrames: false },
      notes: row.notes,
      coder: `imported: ${source}`,
      updatedAt: importedAt,
    });
  }
  for (const list of Object.values(annotations))
    list.sort((a, b) => (a.onset ?? 0) - (b.onset ?? 0));
  const several = Object.entries(annotations).filter(([, list]) => list.length > 1);
  const warnings =
    several.length > 0
      ? [
          `${several.length} clips hold more than one expression (e.g. ${several[0][0]}: ` +
            `${several[0][1].length}); all are kept, the first by onset is the clip's official annotation`,
        ]
      : [];
  return { rows: matched, annotations, warnings };
}

export function emptyCounts(): ClassCounts {
  return {
    rows: 0,
    native: {},
    threeClass: Object.fromEntries(
      THREE_CLASSES.map((name) => [name, 0]),
    ) as ClassCounts['threeClass'],
    noThreeClass: 0,
  };
}

export function countClasses(rows: SourceRow[]): ClassCounts {
  const counts = emptyCounts();
  for (const row of rows) {
    counts.rows++;
    if (row.emotion) counts.native[row.emotion] = (counts.native[row.emotion] ?? 0) + 1;
    if (row.threeClass) counts.threeClass[row.threeClass]++;
    else counts.noThreeClass++;
  }
  return counts;
}

function countByDb(rows: SourceRow[]): Record<string, ClassCounts> {
  const byDb: Record<string, SourceRow[]> = {};
  for (const row of rows) (byDb[row.db ?? ''] ??= []).push(row);
  return Object.fromEntries(Object.entries(byDb).map(([db, list]) => [db, countClasses(list)]));
}

function countKinds(rejected: RejectedRow[]): Record<string, number> {
  const kinds: Record<string, number> = {};
  for (const { reason } of rejected) {
    const kind = reason.slice(0, reason.indexOf(':'));
    kinds[kind] = (kinds[kind] ?? 0) + 1;
  }
  return kinds;
}

function auWarnings(rows: ParsedRow[]): string[] {
  const odd = rows
    .map(({ source }) => ({ row: source.row, pieces: parseAus(source.ausRaw).unparsed }))
    .filter((entry) => entry.pieces.length > 0);
  if (odd.length === 0) return [];
  const examples = odd
    .slice(0, 5)
    .map((entry) => `row ${entry.row} '${entry.pieces.join("', '")}'`);
  return [
    `${odd.length} action-unit cells hold text that is no AU (kept as written): ${examples.join('; ')}`,
  ];
}

/** The clips a composite list names, to test rows against ("restrict to the composite"). */
export interface CompositeMembership {
  has(row: Pick<SourceRow, 'db' | 'subject' | 'clip'>): boolean;
  size: number;
}

export async function loadCompositeMembership(file: string): Promise<CompositeMembership> {
  const { report } = await importAnnotationFile(file).catch((error: Error) => {
    throw new AnnotationFileError(`composite list ${error.message}`);
  });
  if (report.format !== 'megc2019-composite') {
    throw new AnnotationFileError(
      `${file}: not a MEGC2019 composite list (expected rows db,subject,clip,label such as ` +
        "'casme2,sub01,EP02_01f,1')",
    );
  }
  const table = await loadTable(file, undefined);
  const withDb = new Set<string>();
  const anyDb = new Set<string>();
  for (const row of parseRows(table.rows, 0, { db: 0, subject: 1, clip: 2 }, undefined)) {
    const { db, subject, clip } = row.source;
    withDb.add(`${databaseKey(db ?? '')}|${subjectKey(subject)}|${clipKey(clip)}`);
    anyDb.add(`${subjectKey(subject)}|${clipKey(clip)}`);
  }
  return {
    size: withDb.size,
    has: ({ db, subject, clip }) =>
      db
        ? withDb.has(`${databaseKey(db)}|${subjectKey(subject)}|${clipKey(clip)}`)
        : anyDb.has(`${subjectKey(subject)}|${clipKey(clip)}`),
  };
}

/** Whether two header names are the same column name (for messages and the CLI's --map). */
export function sameHeader(a: string, b: string): boolean {
  return headerKey(a) === headerKey(b);
}
