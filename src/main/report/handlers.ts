import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { reportRequests } from '../../shared/contract/report';
import type { HandlersFor } from '../app/handler';
import type { AppContext } from '../app/context';
import { annotationStore } from '../annotations/handlers';
import { writeFileAtomic } from '../app/atomic-write';
import { predictionsOf } from '../model/predictions';
import { CLIP_REPORT_HEADER, clipReportRows } from './clip-rows';
import { toCsv } from './csv';

export const reportHandlers: HandlersFor<typeof reportRequests> = {
  'report.exportCsv': async ({ clipIds }, ctx) => {
    const dataset = ctx.requireDataset();
    const own = new Map((await annotationStore(ctx).all()).map((a) => [a.clipId, a]));
    const rows = clipReportRows(dataset, own, predictionsOf(ctx), clipIds);
    const csv = toCsv(CLIP_REPORT_HEADER, rows, { bom: true });
    const file = await writeReport(ctx, `clips-${timestamp()}.csv`, csv);
    return { path: file, rows: rows.length, csv };
  },
};

/** Reports go beside the dataset; a read-only dataset sends them to the app's data folder. */
async function writeReport(ctx: AppContext, name: string, content: string): Promise<string> {
  const dataset = ctx.requireDataset();
  const folders = [
    path.join(dataset.root, '.mer-studio', 'reports'),
    path.join(ctx.dataFolder, 'reports', dataset.name),
  ];
  let lastError: unknown;
  for (const folder of folders) {
    try {
      await mkdir(folder, { recursive: true });
      const file = path.join(folder, name);
      await writeFileAtomic(file, content);
      return file;
    } catch (error) {
      lastError = error;
    }
  }
  throw new Error(`cannot write the report: ${(lastError as Error).message}`);
}

function timestamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-');
}
