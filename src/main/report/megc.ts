import { THREE_CLASSES, type ThreeClass } from '../../shared/domain';
import type { CsvCell } from './csv';

export interface MegcPrediction {
  /** Source dataset as the composite names it (casme2, samm, smic) or any label. */
  db: string;
  subject: string;
  clip: string;
  predicted: ThreeClass;
}

/**
 * Predictions in the MEGC2019 composite's csv format: no header, `db,subject,clip,label` with
 * label 0 negative, 1 positive, 2 surprise (as combined_3class_gt.csv).
 */
export function megcRows(predictions: readonly MegcPrediction[]): CsvCell[][] {
  return predictions.map((p) => [
    megcDb(p.db),
    p.subject,
    p.clip,
    THREE_CLASSES.indexOf(p.predicted),
  ]);
}

/** The composite's short database names for the source datasets the app labels. */
export function megcDb(source: string): string {
  const lower = source.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (lower.startsWith('casme2') || lower === 'casmeii') return 'casme2';
  if (lower.startsWith('samm')) return 'samm';
  if (lower.startsWith('smic')) return 'smic';
  return source;
}
