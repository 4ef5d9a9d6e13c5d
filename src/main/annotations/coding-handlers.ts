import type {
  codingRequests,
  ClipStatus,
  ClipStatusKind,
  CoderAnnotations,
} from '../../shared/contract/coding';
import { CONSENSUS_CODER } from '../../shared/contract/coding';
import { compareCoders } from '../../shared/agreement';
import type { ClipAnnotation } from '../../shared/domain';
import type { HandlersFor } from '../app/handler';
import type { AppContext } from '../app/context';
import { findClip } from '../dataset/handlers';
import { predictionsOf } from '../model/predictions';
import { saveWorkspaceSettings, settingsFile, workspaceSettings } from '../workspace/settings';
import { annotationStore } from './handlers';
import { refreshImportedAnnotations } from './imported';
import { appDataStorageFolder, datasetStorageFolder } from './location';
import { listCoders } from './store';

/**
 * Several coders on one dataset: who is coding, the others' sets (withheld in blind mode),
 * agreement between two coders, and adjudication into a consensus set kept as its own coder
 * file ('consensus'). Plus the workspace settings (keys, thresholds, step size).
 */
export const codingHandlers: HandlersFor<typeof codingRequests> = {
  'settings.get': async (_args, ctx) => {
    const { settings, notice } = await workspaceSettings(ctx);
    return { settings, file: settingsFile(ctx), ...(notice ? { notice } : {}) };
  },
  'settings.save': async (patch, ctx) => ({
    settings: await saveWorkspaceSettings(ctx, patch),
    file: settingsFile(ctx),
  }),
  'coding.state': async (_args, ctx) => {
    const { settings } = await workspaceSettings(ctx);
    const dataset = ctx.requireDataset();
    const folders = new Set([
      (await annotationStore(ctx).where()).folder,
      datasetStorageFolder(dataset.root),
      appDataStorageFolder(dataset.root, ctx.dataFolder),
    ]);
    const coders = new Set([ctx.coder]);
    for (const folder of folders) for (const coder of await listCoders(folder)) coders.add(coder);
    return {
      coder: ctx.coder,
      coders: [...coders].sort(),
      blind: settings.blind,
      consensusCoder: CONSENSUS_CODER,
    };
  },
  'coding.clipStatus': async ({ toleranceFrames, coder }, ctx) => {
    const { settings } = await workspaceSettings(ctx);
    const dataset = ctx.requireDataset();
    await refreshImportedAnnotations(dataset, ctx.dataFolder);
    let own: ClipAnnotation[] = [];
    let ownError: string | null = null;
    try {
      own = await annotationStore(ctx, coder).all();
    } catch (error) {
      ownError = (error as Error).message;
    }
    const ownById = new Map(own.map((annotation) => [annotation.clipId, annotation]));
    const predictions = predictionsOf(ctx, dataset);
    const tolerance = toleranceFrames ?? settings.toleranceFrames;
    return dataset.clips.map((clip): ClipStatus => {
      const mine = ownById.get(clip.id) ?? null;
      const imported = settings.blind ? null : (dataset.official[clip.id] ?? null);
      const statuses: ClipStatusKind[] = [];
      const notes: string[] = [];
      if (mine) statuses.push('annotated');
      if (imported) statuses.push('imported');
      if (mine && imported) {
        const comparison = compareCoders([mine], [imported], tolerance).clips[0];
        if (comparison.disagrees) {
          statuses.push('conflicting');
          notes.push(
            describeDisagreement(comparison.differences, comparison.sameThreeClass, tolerance),
          );
        }
      }
      if (predictions.has(clip.id)) statuses.push('predicted');
      const errors = clip.problems.filter((problem) => problem.severity === 'error');
      if (errors.length > 0 || ownError) {
        statuses.push('error');
        notes.push(...errors.map((problem) => problem.message), ...(ownError ? [ownError] : []));
      }
      return {
        clipId: clip.id,
        statuses,
        threeClass: mine?.threeClass ?? imported?.threeClass ?? null,
        emotion:
          mine?.emotion ??
          imported?.emotion ??
          (settings.blind ? null : clip.folderEmotion) ??
          null,
        notes,
      };
    });
  },
  'coding.annotationsOf': async ({ coder, clipId }, ctx) => {
    if (clipId) findClip(ctx, clipId);
    const { settings } = await workspaceSettings(ctx);
    if (settings.blind && coder !== ctx.coder) return { coder, hidden: true, annotations: [] };
    return readCoder(ctx, coder, clipId);
  },
  'coding.agreement': async ({ coderA, coderB, toleranceFrames }, ctx) => {
    const { settings } = await workspaceSettings(ctx);
    if (settings.blind) {
      throw new Error(
        'blind mode is on: turn it off to compare coders (others’ codes stay hidden until then)',
      );
    }
    const [a, b] = await Promise.all([readCoder(ctx, coderA), readCoder(ctx, coderB)]);
    for (const side of [a, b]) if (side.error) throw new Error(side.error);
    return compareCoders(a.annotations, b.annotations, toleranceFrames);
  },
  'coding.adjudicate': async ({ clipId, fields, from, expression = 1, basedOn }, ctx) => {
    const clip = findClip(ctx, clipId);
    for (const [name, frame] of Object.entries({
      onset: fields.onset,
      apex: fields.apex,
      offset: fields.offset,
    })) {
      if (frame !== null && frame >= clip.frameCount) {
        throw new RangeError(
          `${clipId}: ${name} ${frame} is beyond the last frame ${clip.frameCount - 1}`,
        );
      }
    }
    const savedAt = new Date().toISOString();
    const notes = from
      ? `${fields.notes}${fields.notes ? '\n' : ''}[adjudicated from ${from}]`.trim()
      : fields.notes;
    const annotation: ClipAnnotation = {
      clipId,
      ...(expression > 1 ? { expression } : {}),
      ...fields,
      notes,
      coder: CONSENSUS_CODER,
      updatedAt: savedAt,
    };
    // The consensus coder's shared store: a window coding as 'consensus' sees this at once.
    const store = annotationStore(ctx, CONSENSUS_CODER);
    const revision = await serialised(ctx, async () => {
      const decided = (await store.expressionsOf(clipId)).length;
      if (expression > decided + 1) {
        throw new RangeError(
          `${clipId}: adjudicate expression ${decided + 1} first (the consensus holds ${decided} of this clip's expressions)`,
        );
      }
      // With the version the view showed, a consensus changed since is refused as a conflict.
      return store.save(annotation, basedOn);
    });
    const file = store.file;
    ctx.emit('annotations.changed', { clipId, coder: CONSENSUS_CODER });
    return { savedAt, coder: CONSENSUS_CODER, file, revision };
  },
};

async function readCoder(
  ctx: AppContext,
  coder: string,
  clipId?: string,
): Promise<CoderAnnotations> {
  try {
    // The coder's shared store: its reads pick up a file copied in or saved by another process.
    const all = await annotationStore(ctx, coder).allExpressions();
    return {
      coder,
      hidden: false,
      annotations: clipId ? all.filter((a) => a.clipId === clipId) : all,
    };
  } catch (error) {
    return { coder, hidden: false, annotations: [], error: (error as Error).message };
  }
}

const chains = new WeakMap<AppContext, Promise<unknown>>();

/** Adjudications write one after another, so two never read and rewrite the file at once. */
function serialised<T>(ctx: AppContext, work: () => Promise<T>): Promise<T> {
  const next = (chains.get(ctx) ?? Promise.resolve()).catch(() => undefined).then(work);
  chains.set(ctx, next);
  return next;
}

function describeDisagreement(
  differences: Record<'onset' | 'apex' | 'offset', number | null>,
  sameThreeClass: boolean | null,
  tolerance: number,
): string {
  const parts = Object.entries(differences)
    .filter(([, difference]) => difference !== null && difference > tolerance)
    .map(([mark, difference]) => `${mark} differs by ${difference} frames`);
  if (sameThreeClass === false) parts.push('3-class label differs');
  return parts.length > 0
    ? `differs from the dataset: ${parts.join(', ')}`
    : 'differs from the dataset (labels or AUs)';
}
