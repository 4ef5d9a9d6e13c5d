import type { BatchRow } from '../../../../shared/contract/batch';

/** Figures as the results view shows them: 4 decimals, a dash when undefined. */
export function figure(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : value.toFixed(4);
}

export function percent(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : `${(value * 100).toFixed(1)}%`;
}

/** A batch row's identity: its clip, and which expression of it (CAS(ME)^3 clips hold several). */
export function rowKey(row: BatchRow): string {
  return `${row.clipId}#${row.expression ?? 1}`;
}

export function rowLabel(row: BatchRow): string {
  return row.expression ? `${row.clipId} (expression ${row.expression})` : row.clipId;
}
