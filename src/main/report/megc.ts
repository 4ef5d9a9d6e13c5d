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
  return predictions.map((p) => {
    const db = megcDb(p.db);
    return [db, ...compositeNames(db, p.subject, p.clip), THREE_CLASSES.indexOf(p.predicted)];
  });
}

/**
 * Subject and clip as combined_3class_gt.csv writes them, so rows compare one to one: SAMM
 * subjects unpadded (006 → 6), SMIC subjects two-digit (s1 → s01, s1_ne_01 → s01_ne_01).
 */
function compositeNames(db: string, subject: string, clip: string): [string, string] {
  if (db === 'samm' && /^\d+$/.test(subject)) return [String(Number(subject)), clip];
  const smic = /^s(\d+)$/i.exec(subject);
  if (db === 'smic' && smic) {
    const padded = `s${smic[1].padStart(2, '0')}`;
    return [padded, clip.replace(/^s\d+(?=_)/i, padded)];
  }
  return [subject, clip];
}

/** The composite's short database names for the source datasets the app labels. */
export function megcDb(source: string): string {
  const lower = source.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (lower.startsWith('casme2') || lower === 'casmeii') return 'casme2';
  if (lower.startsWith('samm')) return 'samm';
  if (lower.startsWith('smic')) return 'smic';
  return source;
}
