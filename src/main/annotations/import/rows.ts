import type { AuCode, ThreeClass } from '../../../shared/domain';
import type { AnnotationField } from '../../../shared/contract/annotations';
import { parseAus } from '../au';
import { parseThreeClass, threeClassOfEmotion } from '../../../shared/three-class';
import { isBlankRow } from './table';
import { clipKey, subjectKey } from './keys';

/** One data row of an annotation file, labels parsed, frames still the file's frame numbers. */
export interface SourceRow {
  /** 1-based sheet row. */
  row: number;
  db?: string;
  subject: string;
  clip: string;
  onset: number | null;
  apex: number | null;
  offset: number | null;
  emotion: string | null;
  threeClass: ThreeClass | null;
  aus: AuCode[];
  ausRaw: string;
  notes: string;
}

export interface ParsedRow {
  source: SourceRow;
  /** Why the row cannot be imported; the row still counts among the rows read. */
  problem?: { kind: string; reason: string };
}

type Columns = Partial<Record<AnnotationField, number>>;

/** Turns the data rows (after the header) into parsed rows; blank rows are skipped. */
export function parseRows(
  rows: string[][],
  firstDataRow: number,
  columns: Columns,
  db: string | undefined,
): ParsedRow[] {
  const parsed: ParsedRow[] = [];
  const seen = new Map<string, number>();
  for (let i = firstDataRow; i < rows.length; i++) {
    if (isBlankRow(rows[i])) continue;
    const row = parseRow(rows[i], i + 1, columns, db);
    if (!row.problem) {
      const key = duplicateKey(row.source);
      const first = seen.get(key);
      if (first !== undefined) {
        row.problem = { kind: 'duplicate row', reason: `duplicate of row ${first}` };
      } else seen.set(key, row.source.row);
    }
    parsed.push(row);
  }
  return parsed;
}

function parseRow(
  cells: string[],
  row: number,
  columns: Columns,
  db: string | undefined,
): ParsedRow {
  const cell = (field: AnnotationField) => {
    const index = columns[field];
    return index === undefined ? '' : (cells[index] ?? '').trim();
  };
  const emotion = cell('emotion') || null;
  const threeClassCell = cell('threeClass');
  const ausRaw = cell('aus');
  const { aus } = parseAus(ausRaw);
  const source: SourceRow = {
    row,
    db: cell('db') || db,
    subject: cell('subject'),
    clip: cell('clip'),
    onset: null,
    apex: null,
    offset: null,
    emotion,
    threeClass: threeClassCell ? parseThreeClass(threeClassCell) : threeClassOfEmotion(emotion),
    aus,
    ausRaw,
    notes: cell('notes'),
  };
  if (!source.clip) return { source, problem: { kind: 'no clip name', reason: 'no clip name' } };
  if (threeClassCell && source.threeClass === null) {
    return {
      source,
      problem: {
        kind: 'unknown 3-class label',
        reason: `3-class label '${threeClassCell}' is not 0/1/2 or negative/positive/surprise`,
      },
    };
  }
  const frameProblem = readFrames(source, cell);
  return frameProblem ? { source, problem: frameProblem } : { source };
}

function readFrames(
  source: SourceRow,
  cell: (field: AnnotationField) => string,
): ParsedRow['problem'] {
  for (const mark of ['onset', 'apex', 'offset'] as const) {
    const text = cell(mark);
    if (text === '') continue;
    if (!/^\d+(\.0+)?$/.test(text)) {
      return { kind: 'not a frame number', reason: `${mark} '${text}' is not a frame number` };
    }
    source[mark] = Number(text);
  }
  const marks = (['onset', 'apex', 'offset'] as const).filter((mark) => source[mark] !== null);
  for (let i = 1; i < marks.length; i++) {
    const before = source[marks[i - 1]] as number;
    const after = source[marks[i]] as number;
    if (before > after) {
      return {
        kind: 'frames out of order',
        reason: `${marks[i - 1]} ${before} is after ${marks[i]} ${after}`,
      };
    }
  }
  return undefined;
}

function duplicateKey(row: SourceRow): string {
  return [row.db ?? '', subjectKey(row.subject), clipKey(row.clip), row.onset, row.apex, row.offset]
    .map(String)
    .join('|');
}
