import { describe, expect, it } from 'vitest';
import type { ThreeClass } from './domain';
import {
  computeMetrics,
  confusionMatrix,
  metricsFromMatrix,
  metricsReport,
  rowNormalised,
  type ScoredClip,
} from './metrics';

/**
 * Hand-computed example (rows truth, columns predicted; negative, positive, surprise):
 *   negative  5 2 1   (8)
 *   positive  1 3 0   (4)
 *   surprise  0 1 2   (3)
 * columns     6 6 3,  15 clips, 10 correct.
 * F1: neg 10/14, pos 6/10, sur 4/6 → UF1 = (0.714286 + 0.6 + 0.666667) / 3 = 0.660317
 * recall: 5/8, 3/4, 2/3 → UAR = 0.680556; precision 5/6, 3/6, 2/3.
 */
const HAND_MATRIX = [
  [5, 2, 1],
  [1, 3, 0],
  [0, 1, 2],
];

function itemsOf(matrix: number[][]): Array<{ truth: ThreeClass; predicted: ThreeClass }> {
  const classes: ThreeClass[] = ['negative', 'positive', 'surprise'];
  return matrix.flatMap((row, t) =>
    row.flatMap((count, p) =>
      Array.from({ length: count }, () => ({ truth: classes[t], predicted: classes[p] })),
    ),
  );
}

describe('MEGC metrics', () => {
  it('builds the confusion matrix from pooled predictions', () => {
    expect(confusionMatrix(itemsOf(HAND_MATRIX))).toEqual(HAND_MATRIX);
  });

  it('matches the hand-computed per-class scores, UF1 and UAR', () => {
    const metrics = computeMetrics(itemsOf(HAND_MATRIX));
    expect(metrics.count).toBe(15);
    expect(metrics.accuracy).toBeCloseTo(10 / 15, 10);
    const [negative, positive, surprise] = metrics.perClass;
    expect(negative.f1).toBeCloseTo(10 / 14, 10);
    expect(positive.f1).toBeCloseTo(0.6, 10);
    expect(surprise.f1).toBeCloseTo(4 / 6, 10);
    expect(negative.precision).toBeCloseTo(5 / 6, 10);
    expect(positive.precision).toBeCloseTo(0.5, 10);
    expect(surprise.recall).toBeCloseTo(2 / 3, 10);
    expect(negative.support).toBe(8);
    expect(metrics.uf1).toBeCloseTo(0.660317, 6);
    expect(metrics.uar).toBeCloseTo(0.680556, 6);
  });

  it('leaves a class absent from a subset out of UAR but counts its false alarms in UF1', () => {
    // truth only negative/positive; one clip wrongly predicted surprise
    const metrics = metricsFromMatrix([
      [2, 0, 1],
      [0, 1, 0],
      [0, 0, 0],
    ]);
    expect(metrics.perClass[2].recall).toBeNull();
    expect(metrics.perClass[2].f1).toBe(0);
    expect(metrics.uar).toBeCloseTo((2 / 3 + 1) / 2, 10);
    expect(metrics.uf1).toBeCloseTo((0.8 + 1 + 0) / 3, 10);
  });

  it('leaves a class neither true nor predicted out of UF1', () => {
    const metrics = metricsFromMatrix([
      [2, 0, 0],
      [1, 1, 0],
      [0, 0, 0],
    ]);
    expect(metrics.perClass[2].f1).toBeNull();
    expect(metrics.uf1).toBeCloseTo((0.8 + 2 / 3) / 2, 10);
  });

  it('has no figures for an empty set', () => {
    const metrics = computeMetrics([]);
    expect(metrics.uf1).toBeNull();
    expect(metrics.uar).toBeNull();
    expect(metrics.accuracy).toBeNull();
  });

  it('reports per source dataset and per subject', () => {
    const items: ScoredClip[] = [
      { source: 'samm', subject: '006', truth: 'negative', predicted: 'negative' },
      { source: 'samm', subject: '006', truth: 'positive', predicted: 'negative' },
      { source: 'casme2', subject: 'sub10', truth: 'surprise', predicted: 'surprise' },
      { source: 'casme2', subject: 'sub2', truth: 'positive', predicted: 'positive' },
    ];
    const report = metricsReport(items);
    expect(report.overall.count).toBe(4);
    expect(report.bySource.map((g) => g.group)).toEqual(['casme2', 'samm']);
    expect(report.bySource[0].uar).toBe(1);
    expect(report.bySource[1].uar).toBeCloseTo(0.5, 10);
    expect(report.bySubject.map((g) => `${g.source}/${g.group}`)).toEqual([
      'casme2/sub2',
      'casme2/sub10',
      'samm/006',
    ]);
  });

  it('row-normalises without dividing by zero', () => {
    expect(
      rowNormalised([
        [1, 3],
        [0, 0],
      ]),
    ).toEqual([
      [0.25, 0.75],
      [0, 0],
    ]);
  });

  it('refuses a label outside the classes', () => {
    expect(() =>
      confusionMatrix([{ truth: 'angry' as ThreeClass, predicted: 'negative' }]),
    ).toThrow(RangeError);
  });
});
