import { describe, expect, it } from 'vitest';
import type { ClipSummary } from '../../../shared/contract/dataset';
import { parseFrameTarget } from './frame-numbers';

const casme = { id: 'sub01/EP02_01f', frameNumbers: [38, 39, 40, 41] } as ClipSummary;

describe('go-to-frame input', () => {
  it('reads an index, or # and the number in the file name', () => {
    expect(parseFrameTarget(casme, '2')).toBe(2);
    expect(parseFrameTarget(casme, ' #40 ')).toBe(2);
    expect(parseFrameTarget(casme, '40')).toBe(40); // an index: the viewer says it is beyond
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
