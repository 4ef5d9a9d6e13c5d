import type { ClassMetrics, MetricsReport } from '../../shared/metrics';
import type { CsvCell } from './csv';

/**
 * The metrics summary as a table: one row per scope (overall, each source dataset, each
 * subject) with count, accuracy, UF1, UAR, per-class precision / recall / F1 / support and the
 * confusion matrix cells (truth → predicted).
 */
export function metricsSummaryHeader(classes: readonly string[]): string[] {
  return [
    'scope',
    'source',
    'group',
    'count',
    'accuracy',
    'uf1',
    'uar',
    ...classes.flatMap((c) => [`precision_${c}`, `recall_${c}`, `f1_${c}`, `support_${c}`]),
    ...classes.flatMap((truth) => classes.map((predicted) => `n_${truth}_as_${predicted}`)),
  ];
}

export function metricsSummaryRows(report: MetricsReport): CsvCell[][] {
  return [
    row('overall', '', 'all', report.overall),
    ...report.bySource.map((group) => row('source', group.group, group.group, group)),
    ...report.bySubject.map((group) => row('subject', group.source, group.group, group)),
  ];
}

function row(scope: string, source: string, group: string, metrics: ClassMetrics): CsvCell[] {
  return [
    scope,
    source,
    group,
    metrics.count,
    figure(metrics.accuracy),
    figure(metrics.uf1),
    figure(metrics.uar),
    ...metrics.perClass.flatMap((score) => [
      figure(score.precision),
      figure(score.recall),
      figure(score.f1),
      score.support,
    ]),
    ...metrics.matrix.flat(),
  ];
}

function figure(value: number | null): number | null {
  return value === null ? null : Math.round(value * 10_000) / 10_000;
}
