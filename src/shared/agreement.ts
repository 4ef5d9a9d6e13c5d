/**
 * Agreement between two coders' annotations of the same clips: Cohen's kappa on labels,
 * frame-offset agreement within a tolerance for onset / apex / offset, interval IoU of
 * onset→offset, and AU agreement 2|A∩B|/(|A|+|B|). Pure functions: used by the backend's
 * coding.agreement request and testable on fixtures with known answers.
 */
import type { ClipAnnotation } from './domain';

export interface KappaResult {
  /** Clips both coders labelled. */
  n: number;
  observed: number;
  expected: number;
  /** null when undefined (no pairs, or both coders used one and the same label throughout). */
  kappa: number | null;
  labels: string[];
  /** matrix[i][j]: clips coder A labelled labels[i] and coder B labels[j]. */
  matrix: number[][];
}

/** Cohen's kappa of paired nominal labels: (p_o − p_e) / (1 − p_e). */
export function cohensKappa(pairs: ReadonlyArray<readonly [string, string]>): KappaResult {
  const labels = [...new Set(pairs.flat())].sort();
  const at = new Map(labels.map((label, i) => [label, i]));
  const matrix = labels.map(() => labels.map(() => 0));
  for (const [a, b] of pairs) matrix[at.get(a)!][at.get(b)!]++;
  const n = pairs.length;
  if (n === 0) return { n, observed: 0, expected: 0, kappa: null, labels, matrix };
  const observed = labels.reduce((sum, _label, i) => sum + matrix[i][i], 0) / n;
  const expected = labels.reduce((sum, _label, i) => {
    const rowTotal = matrix[i].reduce((a, b) => a + b, 0);
    const columnTotal = matrix.reduce((a, row) => a + row[i], 0);
    return sum + (rowTotal / n) * (columnTotal / n);
  }, 0);
  const kappa = expected === 1 ? null : (observed - expected) / (1 - expected);
  return { n, observed, expected, kappa, labels, matrix };
}

/** Frames both intervals share over the frames either covers, both inclusive of their ends. */
export function intervalIoU(
  a: { start: number; end: number },
  b: { start: number; end: number },
): number {
  const intersection = Math.max(0, Math.min(a.end, b.end) - Math.max(a.start, b.start) + 1);
  const union = a.end - a.start + 1 + (b.end - b.start + 1) - intersection;
  return union > 0 ? intersection / union : 0;
}

/** 2|A∩B| / (|A|+|B|) on AU numbers; null when neither coder gave any AU. */
export function auAgreement(a: readonly number[], b: readonly number[]): number | null {
  const setA = new Set(a);
  const setB = new Set(b);
  if (setA.size + setB.size === 0) return null;
  let common = 0;
  for (const au of setA) if (setB.has(au)) common++;
  return (2 * common) / (setA.size + setB.size);
}

export type MarkKey = 'onset' | 'apex' | 'offset';
export const MARK_KEYS: readonly MarkKey[] = ['onset', 'apex', 'offset'];

export interface MarkAgreement {
  /** Clips where both coders set this mark. */
  n: number;
  withinTolerance: number;
  /** withinTolerance / n; null when n = 0. */
  proportion: number | null;
  meanAbsoluteDifference: number | null;
}

export interface ClipComparison {
  clipId: string;
  /** Which of the clip's expressions (1 unless a coder coded several). */
  expression: number;
  a: ClipAnnotation | null;
  b: ClipAnnotation | null;
  /** |a − b| in frames per mark; null when either is missing. */
  differences: Record<MarkKey, number | null>;
  iou: number | null;
  auAgreement: number | null;
  sameThreeClass: boolean | null;
  sameEmotion: boolean | null;
  /** Anything outside the tolerance or any label that differs. */
  disagrees: boolean;
  /** Fields only one of the two coded (a label, a mark, AUs): for adjudication, not disagreement. */
  codedByOne: CodedField[];
}

const CODED_FIELDS = ['onset', 'apex', 'offset', 'emotion', 'threeClass', 'aus'] as const;
export type CodedField = (typeof CODED_FIELDS)[number];

function hasCoded(annotation: ClipAnnotation, field: CodedField): boolean {
  if (field === 'aus') return annotation.aus.length > 0;
  if (field === 'emotion' || field === 'threeClass') return Boolean(annotation[field]);
  return annotation[field] !== null;
}

export interface AgreementReport {
  tolerance: number;
  /** Clips coded by both. */
  clipsCompared: number;
  onlyA: number;
  onlyB: number;
  threeClass: KappaResult;
  emotion: KappaResult;
  marks: Record<MarkKey, MarkAgreement>;
  interval: { n: number; meanIoU: number | null };
  aus: { n: number; mean: number | null };
  clips: ClipComparison[];
}

/**
 * Compares two coders clip by clip (expression by expression where a clip holds several, paired
 * by their order); `tolerance` is the allowed |Δ| in frames.
 */
export function compareCoders(
  a: readonly ClipAnnotation[],
  b: readonly ClipAnnotation[],
  tolerance: number,
): AgreementReport {
  const keyOf = (annotation: ClipAnnotation) =>
    JSON.stringify([annotation.clipId, annotation.expression ?? 1]);
  const byA = new Map(a.map((annotation) => [keyOf(annotation), annotation]));
  const byB = new Map(b.map((annotation) => [keyOf(annotation), annotation]));
  const keys = [...new Set([...byA.keys(), ...byB.keys()])]
    .map((key) => JSON.parse(key) as [string, number])
    .sort(([c1, e1], [c2, e2]) => (c1 < c2 ? -1 : c1 > c2 ? 1 : e1 - e2));
  const clips = keys.map(([clipId, expression]) => {
    const key = JSON.stringify([clipId, expression]);
    return compareClip(clipId, expression, byA.get(key) ?? null, byB.get(key) ?? null, tolerance);
  });
  const both = clips.filter((clip) => clip.a && clip.b);
  return {
    tolerance,
    clipsCompared: both.length,
    onlyA: clips.filter((clip) => clip.a && !clip.b).length,
    onlyB: clips.filter((clip) => !clip.a && clip.b).length,
    threeClass: cohensKappa(labelPairs(both, 'threeClass')),
    emotion: cohensKappa(labelPairs(both, 'emotion')),
    marks: {
      onset: markAgreement(both, 'onset', tolerance),
      apex: markAgreement(both, 'apex', tolerance),
      offset: markAgreement(both, 'offset', tolerance),
    },
    interval: (({ n, mean }) => ({ n, meanIoU: mean }))(meanOf(both.map((clip) => clip.iou))),
    aus: meanOf(both.map((clip) => clip.auAgreement)),
    clips,
  };
}

function compareClip(
  clipId: string,
  expression: number,
  a: ClipAnnotation | null,
  b: ClipAnnotation | null,
  tolerance: number,
): ClipComparison {
  const differences = {} as Record<MarkKey, number | null>;
  for (const key of MARK_KEYS) {
    const x = a?.[key] ?? null;
    const y = b?.[key] ?? null;
    differences[key] = x === null || y === null ? null : Math.abs(x - y);
  }
  const iou =
    a?.onset != null && a.offset != null && b?.onset != null && b.offset != null
      ? intervalIoU({ start: a.onset, end: a.offset }, { start: b.onset, end: b.offset })
      : null;
  const aus =
    a && b
      ? auAgreement(
          a.aus.map((code) => code.au),
          b.aus.map((code) => code.au),
        )
      : null;
  const sameThreeClass = a?.threeClass && b?.threeClass ? a.threeClass === b.threeClass : null;
  const sameEmotion = a?.emotion && b?.emotion ? a.emotion === b.emotion : null;
  const disagrees =
    !a ||
    !b ||
    MARK_KEYS.some((key) => (differences[key] ?? 0) > tolerance) ||
    sameThreeClass === false ||
    sameEmotion === false ||
    (aus !== null && a.aus.length > 0 && b.aus.length > 0 && aus < 1);
  return {
    clipId,
    expression,
    a,
    b,
    differences,
    iou,
    auAgreement: aus,
    sameThreeClass,
    sameEmotion,
    disagrees,
    codedByOne: a && b ? CODED_FIELDS.filter((f) => hasCoded(a, f) !== hasCoded(b, f)) : [],
  };
}

function labelPairs(
  clips: ClipComparison[],
  field: 'threeClass' | 'emotion',
): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const clip of clips) {
    const x = clip.a?.[field];
    const y = clip.b?.[field];
    if (x && y) pairs.push([x, y]);
  }
  return pairs;
}

function markAgreement(clips: ClipComparison[], key: MarkKey, tolerance: number): MarkAgreement {
  const differences = clips.map((clip) => clip.differences[key]).filter((d) => d !== null);
  const n = differences.length;
  const withinTolerance = differences.filter((d) => d <= tolerance).length;
  return {
    n,
    withinTolerance,
    proportion: n > 0 ? withinTolerance / n : null,
    meanAbsoluteDifference: n > 0 ? differences.reduce((s, d) => s + d, 0) / n : null,
  };
}

function meanOf(values: Array<number | null>): { n: number; mean: number | null } {
  const present = values.filter((value) => value !== null);
  const mean = present.length > 0 ? present.reduce((s, v) => s + v, 0) / present.length : null;
  return { n: present.length, mean };
}
