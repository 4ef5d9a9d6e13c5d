import { parseThreeClass } from '../../../shared/three-class';
import { AnnotationFileError, isBlankRow } from './table';
import {
  ANNOTATION_FIELDS,
  type AnnotationField,
  type ColumnMapping,
  type ImportFormat,
} from '../../../shared/contract/annotations';

/** Header names (compared without case, spaces or punctuation) each field is suggested from. */
const HEADER_NAMES: Record<AnnotationField, string[]> = {
  db: ['db', 'dataset', 'database', 'source'],
  subject: ['subject', 'sub', 'subjectid', 'participant', 'person'],
  clip: ['filename', 'clip', 'clipname', 'clipid', 'video', 'sequence', 'episode', 'file', 'name'],
  onset: ['onsetframe', 'onset', 'onsetf', 'startframe', 'start'],
  apex: ['apexframe', 'apex', 'apexf', 'apex1', 'peak', 'peakframe'],
  offset: ['offsetframe', 'offset', 'offsetf', 'endframe', 'end'],
  emotion: ['estimatedemotion', 'emotion', 'emotionlabel', 'emotions'],
  threeClass: ['3class', 'threeclass', 'class3', 'megc', 'megclabel', '3classlabel'],
  aus: ['actionunits', 'actionunit', 'au', 'aus', 'facs', 'facscode'],
  notes: ['notes', 'note', 'comment', 'comments', 'remarks'],
};

/** Signatures of the datasets' own spreadsheets: all of these headers present. */
const KNOWN_FORMATS: Array<{ format: ImportFormat; headers: string[]; db: string }> = [
  {
    format: 'samm',
    db: 'samm',
    headers: ['subject', 'filename', 'onsetframe', 'apexframe', 'offsetframe', 'inducementcode'],
  },
  {
    format: 'casme2',
    db: 'casme2',
    headers: ['subject', 'filename', 'onsetframe', 'apexframe', 'offsetframe', 'estimatedemotion'],
  },
  {
    format: 'casme3',
    db: 'casme3',
    headers: ['subject', 'filename', 'onset', 'apex', 'offset', 'objectiveclass', 'emotion'],
  },
];

/** Databases named in the MEGC composite lists' first column. */
const COMPOSITE_DATABASES = ['casme2', 'casmeii', 'samm', 'smic', 'smichs', 'casme3', 'casme^3'];

export function headerKey(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9^]/g, '');
}

export interface TableLayout {
  format: ImportFormat;
  /** The database the rows come from when the format fixes it (else from a db column). */
  db?: string;
  /** 1-based sheet row of the header; null when the file has none (the composite csv). */
  headerRow: number | null;
  headers: string[];
  suggested: ColumnMapping;
}

/** Finds the header row among the first rows (SAMM's is on row 14) and names the format. */
export function detectLayout(rows: string[][], file: string): TableLayout | null {
  const limit = Math.min(rows.length, 60);
  for (let i = 0; i < limit; i++) {
    if (isBlankRow(rows[i])) continue;
    const suggested = suggestMapping(rows[i]);
    const matched = Object.keys(suggested).length;
    if (matched >= 3 && (suggested.clip || suggested.subject)) {
      return { ...formatOf(rows[i]), headerRow: i + 1, headers: rows[i], suggested };
    }
  }
  return compositeLayout(rows) ?? (rows.length === 0 ? emptyFile(file) : null);
}

function emptyFile(file: string): never {
  throw new AnnotationFileError(`${file}: the file has no rows`);
}

function formatOf(headers: string[]): { format: ImportFormat; db?: string } {
  const keys = new Set(headers.map(headerKey));
  const known = KNOWN_FORMATS.find((candidate) => candidate.headers.every((h) => keys.has(h)));
  return known ? { format: known.format, db: known.db } : { format: 'mapped' };
}

/** The MEGC2019 combined_3class_gt.csv: no header, db,subject,clip,label (0/1/2). */
function compositeLayout(rows: string[][]): TableLayout | null {
  const first = rows.find((row) => !isBlankRow(row));
  if (!first || first.length < 4) return null;
  if (!COMPOSITE_DATABASES.includes(headerKey(first[0]))) return null;
  if (parseThreeClass(first[3]) === null) return null;
  const headers = [
    'db',
    'subject',
    'clip',
    'label',
    ...first.slice(4).map((_, i) => `column ${i + 5}`),
  ];
  return {
    format: 'megc2019-composite',
    headerRow: null,
    headers,
    suggested: { db: 'db', subject: 'subject', clip: 'clip', threeClass: 'label' },
  };
}

/** Headers for a file without a header row: 'column 1', 'column 2', … */
export function numberedHeaders(rows: string[][]): string[] {
  const width = Math.max(0, ...rows.slice(0, 50).map((row) => row.length));
  return Array.from({ length: width }, (_, i) => `column ${i + 1}`);
}

/** Each field mapped to the first header that names it (exact names first). */
export function suggestMapping(headers: string[]): ColumnMapping {
  const keys = headers.map(headerKey);
  const mapping: ColumnMapping = {};
  const used = new Set<number>();
  for (const field of ANNOTATION_FIELDS) {
    for (const name of HEADER_NAMES[field]) {
      const index = keys.findIndex((key, i) => key === name && !used.has(i));
      if (index >= 0) {
        mapping[field] = headers[index];
        used.add(index);
        break;
      }
    }
  }
  return mapping;
}

/** Column index per mapped field; an unknown header is an error that lists what was found. */
export function resolveMapping(
  mapping: ColumnMapping,
  headers: string[],
  file: string,
): Partial<Record<AnnotationField, number>> {
  const keys = headers.map((header) => header.trim().toLowerCase());
  const columns: Partial<Record<AnnotationField, number>> = {};
  const missing: string[] = [];
  for (const [field, header] of Object.entries(mapping) as Array<[AnnotationField, string]>) {
    const index = keys.indexOf(header.trim().toLowerCase());
    if (index < 0) missing.push(`${field} → '${header}'`);
    else columns[field] = index;
  }
  if (missing.length > 0) {
    throw new AnnotationFileError(
      `${file}: no column named ${missing.join(', ')}; the header row has: ${listHeaders(headers)}`,
    );
  }
  if (columns.clip === undefined) {
    throw new AnnotationFileError(
      `${file}: no column for the clip name (expected a header such as Filename or Clip); ` +
        `the header row has: ${listHeaders(headers)}. Map one of them to the clip ` +
        '(in the Imports view, or --map clip=<header>)',
    );
  }
  return columns;
}

export function listHeaders(headers: string[]): string {
  const named = headers.filter((header) => header !== '');
  return named.length > 0 ? named.map((header) => `'${header}'`).join(', ') : '(no names)';
}

/** What the import expected to find, for the "unknown headers" message. */
export function expectedHeadersText(): string {
  return (
    'a header row naming at least the clip and two of subject, onset, apex, offset, emotion, ' +
    "action units (e.g. CASME II 'Subject, Filename, OnsetFrame, ApexFrame, OffsetFrame, " +
    "Action Units, Estimated Emotion')"
  );
}
