import path from 'node:path';
import type { annotationRequests } from '../../shared/contract/annotations';
import type { HandlersFor } from '../app/handler';
import type { AppContext } from '../app/context';
import { findClip } from '../dataset/handlers';
import { AnnotationStore } from './store';

const stores = new WeakMap<AppContext, AnnotationStore>();

/** The store of the open dataset for the current coder (re-made when either changes). */
export function annotationStore(ctx: AppContext): AnnotationStore {
  const dataset = ctx.requireDataset();
  const folder = path.join(dataset.root, '.mer-studio', 'annotations');
  const cached = stores.get(ctx);
  if (cached && cached.coder === ctx.coder && path.dirname(cached.file) === folder) return cached;
  const store = new AnnotationStore(folder, dataset.name, ctx.coder);
  stores.set(ctx, store);
  return store;
}

export const annotationHandlers: HandlersFor<typeof annotationRequests> = {
  'annotations.get': async ({ clipId }, ctx) => {
    findClip(ctx, clipId);
    return {
      own: await annotationStore(ctx).get(clipId),
      imported: ctx.requireDataset().official[clipId] ?? null,
    };
  },
  'annotations.save': async ({ clipId, fields }, ctx) => {
    checkFrames(clipId, findClip(ctx, clipId).frameCount, fields);
    const savedAt = new Date().toISOString();
    await annotationStore(ctx).save({ clipId, ...fields, coder: ctx.coder, updatedAt: savedAt });
    ctx.emit('annotations.changed', { clipId, coder: ctx.coder });
    return { savedAt };
  },
  'annotations.list': async (_args, ctx) => annotationStore(ctx).all(),
};

/** Marks must lie inside the clip and keep their order: onset ≤ apex ≤ offset. */
function checkFrames(
  clipId: string,
  frameCount: number,
  marks: { onset: number | null; apex: number | null; offset: number | null },
): void {
  for (const [name, frame] of Object.entries(marks)) {
    if (frame !== null && frame >= frameCount) {
      throw new RangeError(`${clipId}: ${name} ${frame} is beyond the last frame ${frameCount - 1}`);
    }
  }
  const set = [marks.onset, marks.apex, marks.offset].filter((frame) => frame !== null);
  if (set.some((frame, i) => i > 0 && frame < set[i - 1])) {
    throw new RangeError(`${clipId}: onset, apex and offset must be in order`);
  }
}
