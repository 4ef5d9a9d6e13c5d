import type { BatchModelInfo, BatchRow } from '../../shared/contract/batch';
import { metricsReport, type MetricsReport, type ScoredClip } from '../../shared/metrics';
import type { ModelSession } from '../model/session';

/** Metrics over the rows that have both a truth and a prediction; null when none has. */
export function metricsOfRows(rows: readonly BatchRow[]): MetricsReport | null {
  const scored: ScoredClip[] = rows.flatMap((row) =>
    row.truth && row.predicted
      ? [{ truth: row.truth, predicted: row.predicted, source: row.source, subject: row.subject }]
      : [],
  );
  return scored.length > 0 ? metricsReport(scored) : null;
}

export function modelInfoOf(session: ModelSession, sha256: string): BatchModelInfo {
  const card = session.card;
  return {
    id: card.id,
    path: session.path,
    sha256,
    provider: session.provider,
    providerNote: session.providerNote,
    architecture: card.architecture,
    inputLayout: card.input.layout ?? null,
    loso: card.loso ? { uf1: card.loso.uf1, uar: card.loso.uar } : null,
  };
}
