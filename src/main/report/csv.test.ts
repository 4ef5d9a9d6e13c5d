import { describe, expect, it } from 'vitest';
import { parseCsv, toCsv } from './csv';

describe('CSV for spreadsheet programs', () => {
  it('round-trips quotes, commas, newlines and unicode', () => {
    const rows = [['a,b', 'say "hi"', 'two\nlines', 'Ünïcødé 微表情', ' padded ']];
    const text = toCsv(['x', 'y', 'z', 'u', 'p'], rows);
    expect(parseCsv(text)).toEqual([['x', 'y', 'z', 'u', 'p'], ...rows]);
  });

  it('defuses cells that a spreadsheet would run as formulas', () => {
    const text = toCsv(['clip'], [['=HYPERLINK("http://x")'], ['+1'], ['-2'], ['@SUM(A1)']]);
    const cells = parseCsv(text)
      .slice(1)
      .map((row) => row[0]);
    for (const cell of cells) expect(cell.startsWith("'")).toBe(true);
  });

  it('writes numbers as numbers and empty cells for missing values', () => {
    expect(toCsv(['a', 'b', 'c'], [[1.5, null, Number.NaN]])).toBe('a,b,c\r\n1.5,,\r\n');
  });

  it('adds a UTF-8 byte order mark on request, and the parser skips it', () => {
    const text = toCsv(['a'], [['b']], { bom: true });
    expect(text.charCodeAt(0)).toBe(0xfeff);
    expect(parseCsv(text)).toEqual([['a'], ['b']]);
  });
});
