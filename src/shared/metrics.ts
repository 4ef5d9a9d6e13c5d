/**
 * MEGC2019 metrics (DATASETS.md): pool the predictions, build the confusion matrix, then per class
 * F1_c = 2TP/(2TP+FP+FN) and recall_c = TP/N_c; UF1 = mean F1_c, UAR = mean recall_c.
 * Pure functions shared by the backend, the renderer and the CLI.
 *
 * Classes absent from a subset (a subject with no surprise clip, a source dataset): a class with
 * no true samples has no recall and is left out of UAR; a class that is neither true nor
 * predicted anywhere (2TP+FP+FN = 0) is left out of UF1. A class never true but predicted counts
 * with F1 = 0 — a false alarm is a mistake. When nothing is left, the figure is null.
 */
import { THREE_CLASSES, type ThreeClass } from './domain';

export interface LabelledPrediction {
  truth: ThreeClass;
  predicted: ThreeClass;
}

export interface ClassScore {
  className: ThreeClass;
  /** Clips whose truth is this class (row sum). */
  support: number;
  /** Clips predicted as this class (column sum). */
  predicted: number;
  truePositives: number;
  /** null when nothing was predicted as this class. */
  precision: number | null;
  /** null when no clip is of this class. */
  recall: number | null;
  /** null when the class is neither true nor predicted. */
  f1: number | null;
}

export interface ClassMetrics {
  classes: readonly ThreeClass[];
  /** matrix[truth][predicted], in the order of `classes`. */
  matrix: number[][];
  perClass: ClassScore[];
  count: number;
  accuracy: number | null;
  uf1: number | null;
  uar: number | null;
}

export interface GroupMetrics extends ClassMetrics {
  group: string;
}

export interface MetricsReport {
  overall: ClassMetrics;
  /** Per source dataset (CASME II, SAMM, SMIC …), sorted by name. */
  bySource: GroupMetrics[];
  /** Per subject, sorted by source then subject. */
  bySubject: Array<GroupMetrics & { source: string }>;
}

export function confusionMatrix(
  items: readonly LabelledPrediction[],
  classes: readonly ThreeClass[] = THREE_CLASSES,
): number[][] {
  const index = new Map(classes.map((name, i) => [name, i]));
  const matrix = classes.map(() => classes.map(() => 0));
  for (const { truth, predicted } of items) {
    const row = index.get(truth);
    const column = index.get(predicted);
    if (row === undefined || column === undefined) {
      throw new RangeError(`unknown class in ${truth} → ${predicted}`);
    }
    matrix[row][column]++;
  }
  return matrix;
}

/** Per-class scores, UF1, UAR and accuracy of a confusion matrix (rows truth, columns predicted). */
export function metricsFromMatrix(
  matrix: number[][],
  classes: readonly ThreeClass[] = THREE_CLASSES,
): ClassMetrics {
  const perClass = classes.map((className, c): ClassScore => {
    const truePositives = matrix[c][c];
    const support = sum(matrix[c]);
    const predicted = sum(matrix.map((row) => row[c]));
    const falsePositives = predicted - truePositives;
    const falseNegatives = support - truePositives;
    const f1Denominator = 2 * truePositives + falsePositives + falseNegatives;
    return {
      className,
      support,
      predicted,
      truePositives,
      precision: predicted > 0 ? truePositives / predicted : null,
      recall: support > 0 ? truePositives / support : null,
      f1: f1Denominator > 0 ? (2 * truePositives) / f1Denominator : null,
    };
  });
  const count = sum(matrix.map(sum));
  const correct = sum(classes.map((_, c) => matrix[c][c]));
  return {
    classes,
    matrix: matrix.map((row) => [...row]),
    perClass,
    count,
    accuracy: count > 0 ? correct / count : null,
    uf1: mean(perClass.map((score) => score.f1)),
    uar: mean(perClass.map((score) => score.recall)),
  };
}

export function computeMetrics(
  items: readonly LabelledPrediction[],
  classes: readonly ThreeClass[] = THREE_CLASSES,
): ClassMetrics {
  return metricsFromMatrix(confusionMatrix(items, classes), classes);
}

/** Metrics of each group (source dataset, subject …), sorted by group name. */
export function metricsByGroup<T extends LabelledPrediction>(
  items: readonly T[],
  groupOf: (item: T) => string,
  classes: readonly ThreeClass[] = THREE_CLASSES,
): GroupMetrics[] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const group = groupOf(item);
    const list = groups.get(group) ?? [];
    list.push(item);
    groups.set(group, list);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => compareNames(a, b))
    .map(([group, list]) => ({ group, ...computeMetrics(list, classes) }));
}

export interface ScoredClip extends LabelledPrediction {
  source: string;
  subject: string;
}

/** Overall, per source dataset and per subject: the composite protocol's report. */
export function metricsReport(items: readonly ScoredClip[]): MetricsReport {
  const bySubject = metricsByGroup(items, (item) => `${item.source}\u0000${item.subject}`).map(
    ({ group, ...metrics }) => {
      const [source, subject] = group.split('\u0000');
      return { ...metrics, group: subject, source };
    },
  );
  return {
    overall: computeMetrics(items),
    bySource: metricsByGroup(items, (item) => item.source),
    bySubject,
  };
}

/** Rows divided by their sums (a row with no clips stays zeros). */
export function rowNormalised(matrix: number[][]): number[][] {
  return matrix.map((row) => {
    const total = sum(row);
    return row.map((value) => (total > 0 ? value / total : 0));
  });
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function mean(values: ReadonlyArray<number | null>): number | null {
  const present = values.filter((value): value is number => value !== null);
  return present.length > 0 ? sum(present) / present.length : null;
}

/** Natural order: sub2 before sub10. */
export function compareNames(a: string, b: string): number {
  return a.localeCompare(b, undefined, { numeric: true, sensitivity: 'base' });
}
