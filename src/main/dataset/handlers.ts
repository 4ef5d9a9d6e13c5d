import type { datasetRequests, ClipSummary, DatasetSummary } from '../../shared/contract/dataset';
import type { Clip, DatasetIndex } from '../../shared/domain';
import type { HandlersFor } from '../app/handler';
import { NotFoundError, type AppContext } from '../app/context';
import { openDataset } from './index';
import { attachImportedAnnotations } from '../annotations/imported';
import { cancelPrefetch } from '../media/frame-response';

export const datasetHandlers: HandlersFor<typeof datasetRequests> = {
  'dataset.open': async ({ path }, ctx) => {
    const dataset = await openDataset(path);
    await attachImportedAnnotations(dataset, ctx.dataFolder);
    if (ctx.dataset) cancelPrefetch(ctx.dataset);
    ctx.setDataset(dataset);
    return summarise(dataset);
  },
  'dataset.current': async (_args, ctx) => (ctx.dataset ? summarise(ctx.dataset) : null),
  'dataset.clip': async ({ clipId }, ctx) => summariseClip(findClip(ctx, clipId)),
};

export function findClip(ctx: AppContext, clipId: string): Clip {
  const clip = ctx.requireDataset().clips.find((candidate) => candidate.id === clipId);
  if (!clip) {
    throw new NotFoundError(`no clip ${JSON.stringify(clipId.slice(0, 200))} in the open dataset`);
  }
  return clip;
}

export function summarise(dataset: DatasetIndex): DatasetSummary {
  return {
    root: dataset.root,
    name: dataset.name,
    kind: dataset.kind,
    fps: dataset.fps,
    subjects: dataset.subjects,
    clips: dataset.clips.map(summariseClip),
    problems: dataset.problems,
  };
}

function summariseClip(clip: Clip): ClipSummary {
  return {
    id: clip.id,
    subject: clip.subject,
    name: clip.name,
    fps: clip.fps,
    frameCount: clip.frameCount,
    width: clip.width,
    height: clip.height,
    kind: clip.source.kind,
    frameNumbers: clip.frameNumbers,
    sourceKind: clip.sourceKind,
    folderEmotion: clip.folderEmotion,
    frameTimesMs: clip.frameTimesMs,
    problems: clip.problems,
  };
}
