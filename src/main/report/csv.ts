/**
 * CSV that opens cleanly in spreadsheet programs: RFC 4180 quoting, CRLF line ends, and cells
 * that would start a formula (=, +, -, @, tab, CR) prefixed with a quote so a clip name can
 * never run as a formula. Numbers are written as numbers.
 */
export type CsvCell = string | number | boolean | null | undefined;

export function toCsv(
  header: string[],
  rows: CsvCell[][],
  options: { bom?: boolean } = {},
): string {
  const lines = [header, ...rows].map((row) => row.map(formatCell).join(','));
  return (options.bom ? '\uFEFF' : '') + lines.join('\r\n') + '\r\n';
}

function formatCell(cell: CsvCell): string {
  if (cell === null || cell === undefined) return '';
  if (typeof cell === 'number') return Number.isFinite(cell) ? String(cell) : '';
  if (typeof cell === 'boolean') return cell ? 'true' : 'false';
  const safe = /^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell;
  return /[",\r\n]/.test(safe) || safe !== safe.trim() ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** Reading CSV (quoting, delimiters, byte-order mark) lives with the importers. */
export { parseCsv } from '../annotations/import/csv';
