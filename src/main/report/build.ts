import type { BatchResults, BatchRow } from '../../shared/contract/batch';
import type { ReportKind } from '../../shared/contract/report';
import type { ClipAnnotation, DatasetIndex, Prediction } from '../../shared/domain';
import { THREE_CLASSES } from '../../shared/domain';
import { CLIP_REPORT_HEADER, clipReportRows } from './clip-rows';
import { toCsv } from './csv';
import { confusionMatrixPng } from './matrix-image';
import { megcRows } from './megc';
import { metricsSummaryHeader, metricsSummaryRows } from './metrics-csv';

/** A report's bytes before they are written anywhere. */
export interface BuiltReport {
  kind: ReportKind;
  rows: number;
  bytes: Buffer;
  /** CSV text (null for the PNG). */
  text: string | null;
  extension: 'csv' | 'png';
}

export interface ReportInputs {
  dataset: DatasetIndex;
  own: Map<string, ClipAnnotation>;
  /** All the coder's expressions of a clip, when they coded several. */
  ownExpressionsOf?: (clipId: string) => ClipAnnotation[];
  predictions: Map<string, Prediction>;
  batch: BatchResults | null;
  bom: boolean;
  normalised?: boolean;
  /** Every official expression of a clip (see PlanOptions.expressionsOf). */
  expressionsOf?: (clipId: string) => ClipAnnotation[];
}

function rowsByClip(rows: BatchRow[]): Map<string, BatchRow[]> {
  const byClip = new Map<string, BatchRow[]>();
  for (const row of rows) byClip.set(row.clipId, [...(byClip.get(row.clipId) ?? []), row]);
  return byClip;
}

/** Builds one report; throws with a message for the user when the batch cannot support it. */
export async function buildReport(kind: ReportKind, inputs: ReportInputs): Promise<BuiltReport> {
  const { dataset, batch } = inputs;
  if (kind === 'clips') {
    const rows = clipReportRows(
      dataset,
      {
        own: inputs.own,
        ownExpressionsOf: inputs.ownExpressionsOf,
        predictions: inputs.predictions,
        batch: batch ? rowsByClip(batch.rows) : undefined,
        expressionsOf: inputs.expressionsOf,
        batchModelId: batch?.model.id,
      },
      batch ? [...batch.rows.map((row) => row.clipId)] : undefined,
    );
    return csvReport(kind, toCsv(CLIP_REPORT_HEADER, rows, { bom: inputs.bom }), rows.length);
  }
  const finished = requireComplete(batch, kind);
  if (kind === 'megc') {
    const predictions = finished.rows.flatMap((row) =>
      row.predicted
        ? [{ db: row.source, subject: row.subject, clip: row.clip, predicted: row.predicted }]
        : [],
    );
    const rows = megcRows(predictions);
    // Scripts read this headerless format (like combined_3class_gt.csv): never a BOM.
    const text = rows.map((cells) => cells.join(',')).join('\n') + (rows.length ? '\n' : '');
    return csvReport(kind, text, rows.length);
  }
  if (!finished.metrics) {
    throw new Error(
      'no clip of the batch has both a 3-class truth and a prediction: no metrics to export',
    );
  }
  if (kind === 'metrics') {
    const rows = metricsSummaryRows(finished.metrics);
    return csvReport(
      kind,
      toCsv(metricsSummaryHeader(THREE_CLASSES), rows, { bom: inputs.bom }),
      rows.length,
    );
  }
  const png = await confusionMatrixPng(finished.metrics.overall, {
    normalised: inputs.normalised,
    title: `${dataset.name}: ${finished.model.id} (${inputs.normalised ? 'row-normalised' : 'counts'})`,
  });
  return { kind, rows: THREE_CLASSES.length ** 2, bytes: png, text: null, extension: 'png' };
}

function requireComplete(batch: BatchResults | null, kind: ReportKind): BatchResults {
  if (!batch) throw new Error(`no batch has run: classify the clips before exporting ${kind}`);
  if (!batch.complete) {
    throw new Error(
      `the batch ${batch.state === 'running' ? 'is still running' : `was ${batch.state}`} ` +
        `(${batch.rows.length} clips finished): ${kind} of a partial run would not be the dataset's; ` +
        'run the batch again to finish it (finished clips are kept) and export then',
    );
  }
  return batch;
}

function csvReport(kind: ReportKind, text: string, rows: number): BuiltReport {
  return { kind, rows, bytes: Buffer.from(text, 'utf8'), text, extension: 'csv' };
}
