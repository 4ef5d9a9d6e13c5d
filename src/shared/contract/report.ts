import { z } from 'zod';
import { request } from './define';
import { clipId } from './schemas';

export interface ExportedReport {
  /** Where the CSV was written (inside the dataset's .mer-studio/reports folder). */
  path: string;
  rows: number;
  /** The CSV text, so the renderer can offer it as a download too. */
  csv: string;
}

export const reportRequests = {
  'report.exportCsv': request(
    z.object({ clipIds: z.array(clipId).max(100_000).optional() }),
  ).returns<ExportedReport>(),
};
