import { z } from 'zod';
import { request } from './define';
import { clipId, windowCoder } from './schemas';

export interface ExportedReport {
  /** Where the CSV was written (inside the dataset's .mer-studio/reports folder). */
  path: string;
  rows: number;
  /** The CSV text, so the renderer can offer it as a download too. */
  csv: string;
}

/**
 * clips: one row per clip (annotation, prediction, probabilities, status);
 * metrics: UF1/UAR, per-class scores and the matrix overall, per source dataset and subject;
 * megc: predictions as db,subject,clip,label (no header, like combined_3class_gt.csv);
 * matrix: the confusion matrix as a PNG.
 */
export type ReportKind = 'clips' | 'metrics' | 'megc' | 'matrix';

export interface ExportedFile {
  kind: ReportKind;
  /** Where it was written (the dataset's .mer-studio/reports, else the app data folder). */
  path: string;
  /** Data rows (cells of the matrix for the PNG). */
  rows: number;
  /** CSV text, or a PNG data URL for the matrix, for a download in the renderer. */
  content: string;
  mime: 'text/csv' | 'image/png';
  fileName: string;
}

export const reportRequests = {
  'report.exportCsv': request(
    z.object({
      clipIds: z.array(clipId).max(100_000).optional(),
      bom: z.boolean().default(true),
      coder: windowCoder,
    }),
  ).returns<ExportedReport>(),
  /**
   * A report of a batch (the latest when jobId is absent). Metrics, MEGC and matrix exports are
   * refused for a batch that did not finish: a partial run is never presented as complete.
   */
  'report.export': request(
    z.object({
      kind: z.enum(['clips', 'metrics', 'megc', 'matrix']),
      jobId: z.string().min(1).max(64).optional(),
      /** UTF-8 byte-order mark so spreadsheet programs read the CSV as UTF-8. */
      bom: z.boolean().default(true),
      /** Matrix PNG: row-normalised shares instead of counts. */
      normalised: z.boolean().default(false),
      coder: windowCoder,
    }),
  ).returns<ExportedFile>(),
};
