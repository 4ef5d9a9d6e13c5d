import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CliCommand, CliIO } from '../command';
import { ExitCode, UserError } from '../command';
import { parseCommandArgs, printJson } from '../options';
import { openDataset } from '../../dataset';
import { ANNOTATION_FIELDS } from '../../../shared/contract/annotations';
import { importAnnotationFile } from '../../annotations/import/import';
import { AnnotationFileError } from '../../annotations/import/table';
import { attachImportedAnnotations, saveImportedSet } from '../../annotations/imported';
import { resolveStorage } from '../../annotations/location';
import type { SourceRow } from '../../annotations/import/rows';
import { toCsv } from '../../report/csv';
import { defaultDataFolder } from '../../app/paths';
import type {
  AnnotationField,
  ClassCounts,
  ColumnMapping,
  ImportReport,
} from '../../../shared/contract/annotations';

const usage =
  'mer-studio import <file> [--dataset <dir>] [--sheet NAME] [--header-row N] ' +
  '[--map field=Header,...] [--composite combined_3class_gt.csv] [--save] [--units-csv FILE] [--json]';

export const importCommand: CliCommand = {
  name: 'import',
  summary: "read a dataset's annotation spreadsheet or CSV and count rows, matches and classes",
  help: `${usage}

Reads CASME II, SAMM (sheet MICRO_ONLY), CAS(ME)^3 (sheet label) coding spreadsheets, the MEGC2019
combined_3class_gt.csv, or any CSV/XLSX with --map. Columns are found by header name.
Prints rows read, rows matched to the dataset's clips (with --dataset), rejected rows with their
reasons, and per-class counts (native labels and the MEGC2019 3-class mapping).

  --dataset <dir>     match rows to this dataset's clips (frame numbers → 0-based indexes)
  --sheet NAME        worksheet to read (default: MICRO_ONLY / label / the first with a header)
  --header-row N      1-based header row (0: the file has none; columns are 'column 1', …)
  --map f=Header,...  column mapping; fields: ${ANNOTATION_FIELDS.join(', ')}
  --composite FILE    also count the rows whose clip is in this combined_3class_gt.csv
  --units-csv FILE    write the action units of every accepted row (dataset,subject,clip,aus, e.g.
                      casme2,01,EP02_01f,1+2): the trainer's --unit-labels
  --save              keep the import with the dataset (<dataset>/.mer-studio/imported/, or the
                      app data folder when the dataset is read-only); replaces an earlier import
                      of the same file only`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      argv,
      {
        dataset: { type: 'string' },
        sheet: { type: 'string' },
        'header-row': { type: 'string' },
        map: { type: 'string' },
        composite: { type: 'string' },
        save: { type: 'boolean' },
        'units-csv': { type: 'string' },
      },
      usage,
    );
    if (positionals.length !== 1) throw new UserError(`usage: ${usage}`, ExitCode.usage);
    if (values.save && !values.dataset) {
      throw new UserError('--save needs --dataset <dir>', ExitCode.usage);
    }
    const file = path.resolve(positionals[0]);
    const dataFolder = defaultDataFolder();
    const dataset = values.dataset
      ? await openDataset(values.dataset).catch((error: Error) => {
          throw new UserError(error.message);
        })
      : undefined;
    if (dataset) await attachImportedAnnotations(dataset, dataFolder);
    const importedAt = new Date().toISOString();
    const outcome = await importAnnotationFile(file, {
      dataset,
      sheet: values.sheet,
      headerRow: parseHeaderRow(values['header-row']),
      mapping: values.map ? parseMapping(values.map) : undefined,
      composite: values.composite ? path.resolve(values.composite) : undefined,
      importedAt,
    }).catch((error: Error) => {
      throw error instanceof AnnotationFileError ? new UserError(error.message) : error;
    });
    if (dataset && values.save) {
      const location = await resolveStorage(dataset.root, dataFolder);
      outcome.report.saved = await saveImportedSet(location, outcome, importedAt);
    }
    if (values['units-csv'])
      await writeUnitsCsv(path.resolve(values['units-csv']), outcome.accepted);
    if (values.json) printJson(io, outcome.report);
    else printReport(io, outcome.report);
    return ExitCode.ok;
  },
};

/** One row per accepted clip: its action-unit numbers (sides and intensities dropped), '+'-joined. */
async function writeUnitsCsv(file: string, rows: SourceRow[]): Promise<void> {
  const units = (row: SourceRow) =>
    [...new Set(row.aus.map((code) => code.au))].sort((a, b) => a - b).join('+');
  const body = toCsv(
    ['dataset', 'subject', 'clip', 'aus'],
    rows.map((row) => [row.db ?? '', row.subject, row.clip, units(row)]),
  );
  await writeFile(file, body).catch((error: NodeJS.ErrnoException) => {
    throw new UserError(`${file}: cannot write the units CSV (${error.code ?? error.message})`);
  });
}

function parseHeaderRow(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const row = Number(value);
  if (!Number.isInteger(row) || row < 0) {
    throw new UserError(`--header-row must be 0 or a row number, got '${value}'`, ExitCode.usage);
  }
  return row;
}

/** 'subject=Subject,clip=Filename,onset=OnsetFrame' → { subject: 'Subject', … }. */
export function parseMapping(text: string): ColumnMapping {
  const mapping: ColumnMapping = {};
  for (const pair of text.split(',').filter((piece) => piece.trim() !== '')) {
    const equals = pair.indexOf('=');
    const field = pair.slice(0, equals).trim() as AnnotationField;
    if (equals < 0 || !ANNOTATION_FIELDS.includes(field)) {
      throw new UserError(
        `--map: '${pair}' is not field=Header (fields: ${ANNOTATION_FIELDS.join(', ')})`,
        ExitCode.usage,
      );
    }
    mapping[field] = pair.slice(equals + 1).trim();
  }
  return mapping;
}

function printReport(io: CliIO, report: ImportReport): void {
  io.out(
    `${report.file}\nformat: ${report.format}` +
      (report.sheet ? `   sheet: ${report.sheet}` : '') +
      `   header row: ${report.headerRow ?? 'none'}` +
      (report.encoding ? `   encoding: ${report.encoding}` : ''),
  );
  io.out(
    `rows read: ${report.rowsRead}   accepted: ${report.rowsAccepted}   ` +
      `matched: ${report.rowsMatched ?? '— (no --dataset)'}` +
      (report.clipsMatched !== null ? ` (${report.clipsMatched} clips)` : '') +
      `   rejected: ${report.rejected.length}`,
  );
  for (const [kind, count] of Object.entries(report.rejectedByKind)) io.out(`  ${kind}: ${count}`);
  for (const row of report.rejected.slice(0, 20)) {
    io.out(
      `  row ${row.row} (${[row.subject, row.clip].filter(Boolean).join(' ')}): ${row.reason}`,
    );
  }
  if (report.rejected.length > 20) io.out(`  … ${report.rejected.length - 20} more (see --json)`);
  io.out(`3-class, all rows read: ${formatCounts(report.counts.all)}`);
  io.out(`native labels, all rows read: ${formatNative(report.counts.all)}`);
  if (report.counts.matched)
    io.out(`3-class, matched rows: ${formatCounts(report.counts.matched)}`);
  if (report.counts.inComposite) {
    io.out(`3-class, rows in the composite: ${formatCounts(report.counts.inComposite)}`);
  }
  for (const [db, counts] of Object.entries(report.counts.byDb ?? {})) {
    io.out(`  ${db || '(no db)'}: ${formatCounts(counts)}`);
  }
  for (const warning of report.warnings) io.out(`warning: ${warning}`);
  if (report.saved) {
    io.out(
      `saved: ${report.saved.file} (${report.saved.where})` +
        (report.saved.replaced
          ? ` — replaced the import of ${report.saved.replaced.importedAt} ` +
            `(${report.saved.replaced.rowsAccepted} rows); coders' annotations untouched`
          : ''),
    );
  }
}

function formatCounts(counts: ClassCounts): string {
  const { negative, positive, surprise } = counts.threeClass;
  return `negative ${negative} / positive ${positive} / surprise ${surprise}   (no 3-class: ${counts.noThreeClass})`;
}

function formatNative(counts: ClassCounts): string {
  const entries = Object.entries(counts.native).sort((a, b) => b[1] - a[1]);
  return entries.length > 0 ? entries.map(([label, n]) => `${label} ${n}`).join(', ') : '(none)';
}
