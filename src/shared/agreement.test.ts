import { describe, expect, it } from 'vitest';
import { blankAnnotation, type ClipAnnotation, type ThreeClass } from './domain';
import { auAgreement, cohensKappa, compareCoders, intervalIoU } from './agreement';

function repeat(pair: [string, string], times: number): Array<[string, string]> {
  return Array.from({ length: times }, () => pair);
}

function annotation(clipId: string, fields: Partial<ClipAnnotation>): ClipAnnotation {
  return blankAnnotation(clipId, { coder: 'x', updatedAt: '2026-01-01T00:00:00.000Z', ...fields });
}

const au = (n: number) => ({ au: n, raw: String(n) });

describe("Cohen's kappa", () => {
  it('matches the textbook 2×2 example (20, 5, 10, 15 → p_o 0.7, p_e 0.5, κ 0.4)', () => {
    const result = cohensKappa([
      ...repeat(['yes', 'yes'], 20),
      ...repeat(['yes', 'no'], 5),
      ...repeat(['no', 'yes'], 10),
      ...repeat(['no', 'no'], 15),
    ]);
    expect(result.n).toBe(50);
    expect(result.observed).toBeCloseTo(0.7, 12);
    expect(result.expected).toBeCloseTo(0.5, 12);
    expect(result.kappa).toBeCloseTo(0.4, 12);
    expect(result.labels).toEqual(['no', 'yes']);
    expect(result.matrix).toEqual([
      [15, 10],
      [5, 20],
    ]);
  });

  it('is 1 for perfect agreement, negative below chance, undefined with one label only', () => {
    expect(
      cohensKappa([
        ['a', 'a'],
        ['b', 'b'],
      ]).kappa,
    ).toBe(1);
    expect(
      cohensKappa([
        ['a', 'b'],
        ['b', 'a'],
      ]).kappa,
    ).toBe(-1);
    expect(
      cohensKappa([
        ['a', 'a'],
        ['a', 'a'],
      ]).kappa,
    ).toBeNull();
    expect(cohensKappa([]).kappa).toBeNull();
  });
});

describe('interval IoU and AU agreement', () => {
  it('counts frames inclusively: [10, 19] vs [15, 24] share 5 of 15', () => {
    expect(intervalIoU({ start: 10, end: 19 }, { start: 15, end: 24 })).toBeCloseTo(5 / 15, 12);
    expect(intervalIoU({ start: 0, end: 9 }, { start: 0, end: 9 })).toBe(1);
    expect(intervalIoU({ start: 0, end: 4 }, { start: 5, end: 9 })).toBe(0);
  });

  it('is 2|A∩B|/(|A|+|B|)', () => {
    expect(auAgreement([1, 2, 4], [2, 4, 12, 14])).toBeCloseTo(4 / 7, 12);
    expect(auAgreement([4], [4])).toBe(1);
    expect(auAgreement([4], [])).toBe(0);
    expect(auAgreement([], [])).toBeNull();
  });
});

describe('compareCoders', () => {
  const labels: Array<[ThreeClass, ThreeClass]> = [
    ['negative', 'negative'],
    ['negative', 'positive'],
    ['positive', 'positive'],
    ['surprise', 'surprise'],
  ];
  const a = labels.map(([x], i) =>
    annotation(`s/${i}`, { threeClass: x, onset: 10, apex: 20, offset: 40, aus: [au(4)] }),
  );
  const b = labels.map(([, y], i) =>
    annotation(`s/${i}`, {
      threeClass: y,
      onset: 10 + i,
      apex: 20,
      offset: 40,
      aus: i === 0 ? [au(4), au(7)] : [au(4)],
    }),
  );
  b.push(annotation('s/only-b', { threeClass: 'negative' }));
  const report = compareCoders(a, b, 2);

  it('pairs clips by id and counts what only one coder coded', () => {
    expect(report.clipsCompared).toBe(4);
    expect(report.onlyA).toBe(0);
    expect(report.onlyB).toBe(1);
  });

  it('gives the known kappa of the fixture (p_o 3/4, p_e 5/16 → κ 7/11)', () => {
    expect(report.threeClass.observed).toBeCloseTo(0.75, 12);
    expect(report.threeClass.expected).toBeCloseTo(5 / 16, 12);
    expect(report.threeClass.kappa).toBeCloseTo(7 / 11, 12);
  });

  it('measures marks within the tolerance, interval IoU and AU agreement', () => {
    // Onset differences 0, 1, 2, 3 frames: three within ±2.
    expect(report.marks.onset).toEqual({
      n: 4,
      withinTolerance: 3,
      proportion: 0.75,
      meanAbsoluteDifference: 1.5,
    });
    expect(report.marks.apex.proportion).toBe(1);
    // IoU of [10,40] against [10+i,40]: (31−i)/31.
    expect(report.interval.meanIoU).toBeCloseTo((31 + 30 + 29 + 28) / 4 / 31, 12);
    expect(report.aus.mean).toBeCloseTo((2 / 3 + 1 + 1 + 1) / 4, 12);
    const disagreeing = report.clips.filter((clip) => clip.disagrees).map((clip) => clip.clipId);
    expect(disagreeing).toEqual(['s/0', 's/1', 's/3', 's/only-b']);
  });

  it('compares a clip expression by expression when coders coded several', () => {
    const a = [
      annotation('s/long', { onset: 10, threeClass: 'negative' }),
      annotation('s/long', { onset: 200, threeClass: 'positive', expression: 2 }),
    ];
    const b = [
      annotation('s/long', { onset: 11, threeClass: 'negative' }),
      annotation('s/long', { onset: 260, threeClass: 'positive', expression: 2 }),
      annotation('s/long', { onset: 400, expression: 3 }),
    ];
    const report = compareCoders(a, b, 2);
    expect(report.clips.map((clip) => [clip.expression, clip.disagrees])).toEqual([
      [1, false],
      [2, true],
      [3, true],
    ]);
    expect(report.clipsCompared).toBe(2);
    expect(report.onlyB).toBe(1);
    expect(report.threeClass.observed).toBe(1);
  });

  it('names the fields only one coder coded, apart from disagreements', () => {
    const marks = { onset: 10, apex: 20 };
    const a = annotation('s/x', { ...marks, offset: 40, threeClass: null, aus: [au(14)] });
    const b = annotation('s/x', { ...marks, threeClass: 'negative' });
    const [clip] = compareCoders([a], [b], 2).clips;
    expect(clip.disagrees).toBe(false);
    expect(clip.codedByOne).toEqual(['offset', 'threeClass', 'aus']);
  });
});
