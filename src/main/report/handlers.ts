import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { reportRequests } from '../../shared/contract/report';
import type { HandlersFor } from '../app/handler';
import type { AppContext } from '../app/context';
import { annotationStore } from '../annotations/handlers';
import { importedExpressions, refreshImportedAnnotations } from '../annotations/imported';
import { batchResultsOf } from '../batch/handlers';
import { ownAnnotations } from '../batch/plan';
import { predictionsOf } from '../model/predictions';
import { CLIP_REPORT_HEADER, clipReportRows } from './clip-rows';
import { buildReport } from './build';
import { toCsv } from './csv';
import { writeFileAtomic } from '../app/atomic-write';
import { makeFolderWithin } from '../app/own-folder';

export const reportHandlers: HandlersFor<typeof reportRequests> = {
  'report.exportCsv': async ({ clipIds, bom, coder }, ctx) => {
    const dataset = ctx.requireDataset();
    await refreshImportedAnnotations(dataset, ctx.dataFolder); // another process may have saved one
    const mine = await ownAnnotations(annotationStore(ctx, coder));
    const rows = clipReportRows(
      dataset,
      { ...mine, predictions: predictionsOf(ctx, dataset) },
      clipIds,
    );
    const csv = toCsv(CLIP_REPORT_HEADER, rows, { bom });
    const file = await writeReport(ctx, `clips-${timestamp()}.csv`, csv);
    return { path: file, rows: rows.length, csv };
  },
  'report.export': async ({ kind, jobId, bom, normalised, coder }, ctx) => {
    const dataset = ctx.requireDataset();
    await refreshImportedAnnotations(dataset, ctx.dataFolder);
    const batch = await batchResultsOf(ctx, jobId);
    const built = await buildReport(kind, {
      dataset,
      ...(await ownAnnotations(annotationStore(ctx, coder))),
      predictions: predictionsOf(ctx, dataset),
      batch,
      bom,
      normalised,
      expressionsOf: (clipId) => importedExpressions(dataset, clipId),
    });
    // Per-clip rows of an unfinished batch are honest one by one, but the file says it is partial.
    const partial = batch && !batch.complete ? 'partial-' : '';
    const variant = kind === 'matrix' && normalised ? '-normalised' : '';
    const fileName = `${partial}${kind}${variant}-${timestamp()}.${built.extension}`;
    const file = await writeReport(ctx, fileName, built.bytes);
    return {
      kind,
      path: file,
      rows: built.rows,
      content: built.text ?? `data:image/png;base64,${built.bytes.toString('base64')}`,
      mime: built.extension === 'png' ? 'image/png' : 'text/csv',
      fileName,
    };
  },
};

/** Reports go beside the dataset; a read-only dataset sends them to the app's data folder. */
async function writeReport(
  ctx: AppContext,
  name: string,
  content: string | Buffer,
): Promise<string> {
  const dataset = ctx.requireDataset();
  // Links in the dataset are refused; the app data folder is the user's own.
  const inDataset = path.join(dataset.root, '.mer-studio', 'reports');
  const folders = [inDataset, path.join(ctx.dataFolder, 'reports', dataset.name)];
  let lastError: unknown;
  for (const folder of folders) {
    try {
      if (folder === inDataset) await makeFolderWithin(dataset.root, folder);
      else await mkdir(folder, { recursive: true });
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
