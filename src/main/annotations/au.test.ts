import { describe, expect, it } from 'vitest';
import { formatAus, parseAus } from './au';

describe('parseAus', () => {
  it('reads plain, sided and prefixed units', () => {
    expect(parseAus('1+2').aus).toEqual([
      { au: 1, raw: '1' },
      { au: 2, raw: '2' },
    ]);
    expect(parseAus('AU1+AU2').aus.map((code) => code.au)).toEqual([1, 2]);
    expect(parseAus('L12+R14').aus).toEqual([
      { au: 12, side: 'L', raw: 'L12' },
      { au: 14, side: 'R', raw: 'R14' },
    ]);
    expect(parseAus('R4').aus).toEqual([{ au: 4, side: 'R', raw: 'R4' }]);
    expect(parseAus('4+7+43').aus.map((code) => code.au)).toEqual([4, 7, 43]);
  });

  it('reads intensities A–E, alone or with a side', () => {
    expect(parseAus('L10A').aus).toEqual([{ au: 10, side: 'L', intensity: 'A', raw: 'L10A' }]);
    expect(parseAus('12C').aus).toEqual([{ au: 12, intensity: 'C', raw: '12C' }]);
    expect(parseAus('4D+9B').aus.map((code) => code.intensity)).toEqual(['D', 'B']);
  });

  it('keeps undecided sides and intensities only in raw', () => {
    expect(parseAus('10A/B').aus).toEqual([{ au: 10, raw: '10A/B' }]);
    expect(parseAus('A/L12').aus).toEqual([{ au: 12, raw: 'A/L12' }]);
    expect(parseAus('A12+A7').aus).toEqual([
      { au: 12, raw: 'A12' },
      { au: 7, raw: 'A7' },
    ]);
  });

  it('reads SAMM alternatives and references', () => {
    expect(parseAus('(R6 or R12)+R15').aus.map((code) => code.raw)).toEqual(['R6', 'R12', 'R15']);
    expect(parseAus('ref(7B)+43C').aus).toEqual([
      { au: 7, intensity: 'B', raw: 'ref(7B)' },
      { au: 43, intensity: 'C', raw: '43C' },
    ]);
    expect(parseAus('L12 + 61').aus.map((code) => code.au)).toEqual([12, 61]);
  });

  it('reports pieces that are no action unit and keeps the rest', () => {
    expect(parseAus('?')).toEqual({ aus: [], unparsed: ['?'] });
    const parsed = parseAus('R14+17+soft focus');
    expect(parsed.aus.map((code) => code.au)).toEqual([14, 17]);
    expect(parsed.unparsed).toEqual(['soft focus']);
    expect(parseAus('')).toEqual({ aus: [], unparsed: [] });
  });

  it('writes items back in the compact form', () => {
    expect(formatAus(parseAus('L12C+R14+4').aus)).toBe('L12C+R14+4');
  });
});
