import { describe, expect, it } from 'vitest';
import type { ClipSummary } from '../../../shared/contract/dataset';
import { parseFrameTarget } from './frame-numbers';

const casme = {
  id: 'sub01/EP02_01f',
  frameCount: 4,
  frameNumbers: [38, 39, 40, 41],
} as ClipSummary;

describe('go-to-frame input', () => {
  it('reads an index, or # and the number in the file name', () => {
    expect(parseFrameTarget(casme, '2')).toBe(2);
    expect(parseFrameTarget(casme, ' #40 ')).toBe(2);
    expect(parseFrameTarget(casme, '40')).toBe(
      'frame 40 is beyond the clip: sub01/EP02_01f has frames 0–3 (files #38–#41: type # and a file number)',
    );
  });

  it('takes digits only: no sign, exponent or fraction slips through', () => {
    for (const typed of ['-5', '1e1', '2.0', '0x2', '+1', '# -1']) {
      expect(parseFrameTarget(casme, typed), typed).toMatch(/type digits only/);
    }
    expect(parseFrameTarget(casme, '03')).toBe(3);
  });

  it('says why nothing matches', () => {
    expect(parseFrameTarget(casme, '#46')).toBe(
      'no frame file #46 in sub01/EP02_01f (its files are #38–#41)',
    );
    expect(parseFrameTarget(casme, '#')).toMatch(/is not a frame number/);
    expect(parseFrameTarget(casme, 'x')).toMatch(/"x" is not a frame number/);
    expect(parseFrameTarget({ id: 'v', frameNumbers: undefined } as ClipSummary, '#3')).toBe(
      'v has no numbered frame files',
    );
  });
});
