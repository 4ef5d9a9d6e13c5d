import { describe, expect, it } from 'vitest';
import { formatAu, parseAuText } from './aus';

describe('AU text', () => {
  it('reads side before or after the number, intensity after it, any separator', () => {
    const { aus, invalid } = parseAuText('L4+12B, AU1 R14C 10L');
    expect(invalid).toEqual([]);
    expect(aus.map(formatAu)).toEqual(['L4', '12B', '1', 'R14C', 'L10']);
    expect(aus[3]).toEqual({ au: 14, side: 'R', intensity: 'C', raw: 'R14C' });
  });

  it('reports what it cannot read instead of dropping it', () => {
    expect(parseAuText('4+smile+AU999').invalid).toEqual(['smile', 'AU999']);
    expect(parseAuText('').aus).toEqual([]);
  });

  it('names an AU written twice, sides kept apart', () => {
    expect(parseAuText('12E+12A+L4+R4+4++').repeated).toEqual(['12']);
    expect(parseAuText('L4+R4').repeated).toEqual([]);
  });
});
