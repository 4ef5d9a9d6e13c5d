import type { modelRequests } from '../../shared/contract/model';
import type { HandlersFor } from '../app/handler';
import type { AppContext } from '../app/context';
import { findClip } from '../dataset/handlers';
import { decodeFrame } from '../media/frames';
import { buildModelInput } from '../face/model-input';
import { argmaxClass, openPipelineModel, type ModelSession } from './session';
import { predictionsOf } from './predictions';

const sessions = new WeakMap<AppContext, Promise<ModelSession>>();

/** The shipped model's session for this host, opened once on first use. */
export function modelSession(ctx: AppContext): Promise<ModelSession> {
  let session = sessions.get(ctx);
  if (!session) {
    session = openPipelineModel(process.env.MER_MODEL || undefined);
    sessions.set(ctx, session);
    session.catch(() => sessions.delete(ctx));
    ctx.onClose(async () => (await session)?.close());
  }
  return session;
}

export const modelHandlers: HandlersFor<typeof modelRequests> = {
  'model.info': async (_args, ctx) => {
    const session = await modelSession(ctx);
    return {
      id: session.card.id,
      path: session.path,
      classes: session.card.classes,
      provider: session.provider,
      providerNote: session.providerNote,
      loso: session.card.loso ? { uf1: session.card.loso.uf1, uar: session.card.loso.uar } : null,
    };
  },
  'model.classifyClip': async ({ clipId, onset, apex }, ctx) => {
    const dataset = ctx.requireDataset();
    const clip = findClip(ctx, clipId);
    const session = await modelSession(ctx);
    const started = performance.now();
    const [first, second] = await Promise.all([
      decodeFrame(dataset, clip, onset),
      decodeFrame(dataset, clip, apex),
    ]);
    const decoded = performance.now();
    const input = await buildModelInput(first, second);
    if (input.status === 'failed') {
      throw new Error(`${clipId}: no model input (${input.reasons.join('; ')})`);
    }
    const inferStart = performance.now();
    const [probabilities] = await session.classify(input.maps);
    const predicted = argmaxClass(probabilities);
    predictionsOf(ctx, dataset).set(clipId, {
      clipId,
      probabilities,
      predicted,
      provider: session.provider,
      modelId: session.card.id,
    });
    return {
      clipId,
      onset,
      apex,
      probabilities,
      predicted,
      provider: session.provider,
      modelId: session.card.id,
      warnings: input.reasons,
      timings: {
        decode: decoded - started,
        ...input.timings,
        inference: performance.now() - inferStart,
      },
    };
  },
};
