import path from 'node:path';
import type {
  annotationRequests,
  AnnotationLocation,
  UndoResult,
} from '../../shared/contract/annotations';
import type { ClipAnnotation, DatasetIndex } from '../../shared/domain';
import type { HandlersFor } from '../app/handler';
import type { AppContext } from '../app/context';
import { findClip } from '../dataset/handlers';
import {
  attachedSets,
  importedExpressions,
  reattachImportedAnnotations,
  refreshImportedAnnotations,
  removeImportedSet,
  saveImportedSet,
  summariseSet,
} from './imported';
import { importAnnotationFile, previewAnnotationFile } from './import/import';
import {
  appDataStorageFolder,
  datasetStorageFolder,
  resolveStorage,
  type StorageLocation,
} from './location';
import { AnnotationStore, coderFileName, listCoders, type StepBasis } from './store';
import { remember } from '../workspace/remembered';

/**
 * One store per dataset, coder and data folder for the whole process, so two windows (Electron
 * and the web host) editing the same coder's file share its state instead of overwriting it.
 */
const stores = new Map<string, AnnotationStore>();

/**
 * The store of the open dataset for a coder: the one a window shows (each window keeps its own
 * coder), else the app's current coder. It lives in <dataset>/.mer-studio when that folder is
 * writable, else in the app data folder (see annotations.location). One store per coder for the
 * whole process, so every reader and writer of a coder's file shares its state.
 */
export function annotationStore(ctx: AppContext, coder = ctx.coder): AnnotationStore {
  const dataset = ctx.requireDataset();
  const key = [ctx.dataFolder, dataset.root, coder].join('\0');
  let store = stores.get(key);
  if (!store) {
    store = createStore(dataset.root, dataset.name, coder, ctx.dataFolder);
    stores.set(key, store);
  }
  return store;
}

function createStore(
  root: string,
  name: string,
  coder: string,
  dataFolder: string,
): AnnotationStore {
  const fallback: StorageLocation = {
    folder: appDataStorageFolder(root, dataFolder),
    where: 'app-data',
    reason: 'the dataset folder turned read-only while saving',
  };
  return new AnnotationStore({
    location: () => resolveStorage(root, dataFolder),
    coder,
    dataset: { name, root },
    fallback,
    // A read-only dataset may carry this coder's file from elsewhere: start from it.
    seedFile: path.join(datasetStorageFolder(root), 'annotations', coderFileName(coder)),
    strandedFile: path.join(fallback.folder, 'annotations', coderFileName(coder)),
  });
}

async function describeLocation(store: AnnotationStore): Promise<AnnotationLocation> {
  const where = await store.where();
  return { ...where, file: store.file };
}

export const annotationHandlers: HandlersFor<typeof annotationRequests> = {
  'annotations.get': async ({ clipId, coder, expression = 1 }, ctx) => {
    findClip(ctx, clipId);
    const store = annotationStore(ctx, coder);
    const dataset = ctx.requireDataset();
    await refreshImportedAnnotations(dataset, ctx.dataFolder);
    return {
      own: await store.get(clipId, expression),
      ownAll: await store.expressionsOf(clipId),
      imported: dataset.official[clipId] ?? null,
      importedAll: allOfficial(dataset, clipId),
      canUndo: store.canUndo(clipId, expression),
      canRedo: store.canRedo(clipId, expression),
      notices: store.unreportedNotices(),
    };
  },
  'annotations.save': async (args, ctx) => {
    const { clipId, fields, datasetRoot, coder, expression = 1, basedOn } = args;
    checkOpen(ctx, clipId, datasetRoot);
    checkFrames(clipId, findClip(ctx, clipId).frameCount, fields);
    const store = annotationStore(ctx, coder);
    const savedAt = new Date().toISOString();
    const revision = await store.save(
      {
        clipId,
        ...(expression > 1 ? { expression } : {}),
        ...fields,
        coder: store.coder,
        updatedAt: savedAt,
      },
      basedOn,
    );
    ctx.emit('annotations.changed', { clipId, coder: store.coder });
    const where = (await store.where()).where;
    return { savedAt, revision, file: store.file, where, notices: store.unreportedNotices() };
  },
  'annotations.list': async (_args, ctx) => annotationStore(ctx).all(),
  'annotations.undo': async ({ clipId, coder, expression = 1, basedOn }, ctx) =>
    step(ctx, clipId, 'undo', { coder, expression, basedOn }),
  'annotations.redo': async ({ clipId, coder, expression = 1, basedOn }, ctx) =>
    step(ctx, clipId, 'redo', { coder, expression, basedOn }),
  'annotations.removeExpression': async ({ clipId, coder, expression, datasetRoot }, ctx) => {
    checkOpen(ctx, clipId, datasetRoot);
    findClip(ctx, clipId);
    const store = annotationStore(ctx, coder);
    await store.removeExpression(clipId, expression);
    ctx.emit('annotations.changed', { clipId, coder: store.coder });
    return {
      ownExpressions: (await store.expressionsOf(clipId)).length,
      notices: store.unreportedNotices(),
    };
  },
  'annotations.location': async (_args, ctx) => describeLocation(annotationStore(ctx)),
  'annotations.coders': async (_args, ctx) => ({
    current: ctx.coder,
    coders: [...new Set([ctx.coder, ...(await codersOfDataset(ctx))])].sort(),
  }),
  'annotations.setCoder': async ({ coder }, ctx) => {
    const clash = ctx.dataset
      ? (await codersOfDataset(ctx)).find(
          (known) => known !== coder && known.toLowerCase() === coder.toLowerCase(),
        )
      : undefined;
    if (clash) {
      throw new Error(
        `"${coder}" differs from the coder "${clash}" only in letter case: on macOS and Windows ` +
          'both would share one file. Use that name, or another.',
      );
    }
    ctx.coder = coder;
    await remember(ctx.dataFolder, { coder });
    return { coder };
  },
  'annotations.importPreview': async ({ file, sheet, headerRow }) =>
    previewAnnotationFile(file, { sheet, headerRow }),
  'annotations.import': async (args, ctx) => {
    const dataset = ctx.dataset;
    const importedAt = new Date().toISOString();
    const outcome = await importAnnotationFile(args.file, {
      ...args,
      dataset: dataset ?? undefined,
      importedAt,
    });
    if (!dataset) return outcome.report;
    if (outcome.report.clipsMatched === 0) {
      outcome.report.warnings.push('Not saved: it would add nothing to this dataset.');
      return outcome.report;
    }
    const location = await annotationStore(ctx).where();
    outcome.report.saved = await saveImportedSet(location, outcome, importedAt);
    await reattachImportedAnnotations(dataset, ctx.dataFolder);
    for (const clipId of Object.keys(outcome.annotations)) {
      ctx.emit('annotations.changed', { clipId, coder: `imported: ${path.basename(args.file)}` });
    }
    return outcome.report;
  },
  'annotations.imports': async (_args, ctx) => {
    const dataset = ctx.requireDataset();
    await refreshImportedAnnotations(dataset, ctx.dataFolder); // another process may have saved one
    return attachedSets(dataset).map(summariseSet);
  },
  'annotations.membership': async (args, ctx) => {
    const { report, annotations } = await importAnnotationFile(args.file, {
      ...args,
      dataset: ctx.requireDataset(),
    });
    return {
      clipIds: Object.keys(annotations).sort(),
      rowsRead: report.rowsRead,
      rejected: report.rejected,
    };
  },
  'annotations.removeImport': async ({ id }, ctx) => {
    const dataset = ctx.requireDataset();
    const removed = await removeImportedSet(dataset.root, ctx.dataFolder, id);
    await reattachImportedAnnotations(dataset, ctx.dataFolder);
    return { removed };
  },
};

/** Every imported expression of a clip; the dataset's own (e.g. the demo's truth) when none. */
function allOfficial(dataset: DatasetIndex, clipId: string): ClipAnnotation[] {
  const imported = importedExpressions(dataset, clipId);
  const official = dataset.official[clipId];
  return imported.length > 0 || !official ? imported : [official];
}

async function step(
  ctx: AppContext,
  clipId: string,
  direction: 'undo' | 'redo',
  asked: { coder: string | undefined; expression: number; basedOn?: StepBasis },
): Promise<UndoResult> {
  const { coder, expression, basedOn } = asked;
  findClip(ctx, clipId);
  const store = annotationStore(ctx, coder);
  const done =
    direction === 'undo'
      ? await store.undo(clipId, expression, basedOn)
      : await store.redo(clipId, expression, basedOn);
  ctx.emit('annotations.changed', { clipId, coder: store.coder });
  return {
    ...done,
    ownExpressions: (await store.expressionsOf(clipId)).length,
    canUndo: store.canUndo(clipId, done.expression),
    canRedo: store.canRedo(clipId, done.expression),
    notices: store.unreportedNotices(),
  };
}

/** An edit made in another dataset (clip ids repeat across datasets) is refused, and kept. */
function checkOpen(ctx: AppContext, clipId: string, datasetRoot: string | undefined): void {
  const open = ctx.requireDataset().root;
  if (datasetRoot !== undefined && datasetRoot !== open) {
    throw new Error(
      `${clipId}: this edit was made in ${datasetRoot}, which is no longer open; it was not ` +
        'saved here (it is kept, and saved when that dataset is open again)',
    );
  }
}

/** Marks must lie inside the clip and keep their order: onset ≤ apex ≤ offset. */
function checkFrames(
  clipId: string,
  frameCount: number,
  marks: { onset: number | null; apex: number | null; offset: number | null },
): void {
  for (const name of ['onset', 'apex', 'offset'] as const) {
    const frame = marks[name];
    if (frame !== null && frame >= frameCount) {
      throw new RangeError(
        `${clipId}: ${name} ${frame} is beyond the last frame ${frameCount - 1}`,
      );
    }
  }
  const set = [marks.onset, marks.apex, marks.offset].filter((frame) => frame !== null);
  if (set.some((frame, i) => i > 0 && frame < set[i - 1])) {
    throw new RangeError(`${clipId}: onset, apex and offset must be in order`);
  }
}

/** The coders with a file in the dataset's folder or its app-data copy. */
async function codersOfDataset(ctx: AppContext): Promise<string[]> {
  const folders = [
    datasetStorageFolder(ctx.requireDataset().root),
    (await annotationStore(ctx).where()).folder,
  ];
  const coders = new Set<string>();
  for (const folder of new Set(folders))
    for (const coder of await listCoders(folder)) coders.add(coder);
  return [...coders];
}
