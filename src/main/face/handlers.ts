import type { FaceImages, FaceInspection, faceRequests } from '../../shared/contract/face';
import type { AppContext } from '../app/context';
import type { HandlersFor } from '../app/handler';
import { findClip } from '../dataset/handlers';
import { decodeFrame } from '../media/frames';
import { closeSharedLandmarkDetector } from './landmarks';
import { buildModelInput, type ModelInput } from './model-input';
import { dataUrl, renderStages } from './render';

const contextsWithCleanup = new WeakSet<AppContext>();

/** The landmark worker is process-wide; a closing host stops it (it restarts on next use). */
function stopDetectorOnClose(ctx: AppContext): void {
  if (contextsWithCleanup.has(ctx)) return;
  contextsWithCleanup.add(ctx);
  ctx.onClose(() => closeSharedLandmarkDetector());
}

export const faceHandlers: HandlersFor<typeof faceRequests> = {
  'face.inspect': async ({ clipId, onset, apex, includeNose }, ctx) => {
    const dataset = ctx.requireDataset();
    const clip = findClip(ctx, clipId);
    stopDetectorOnClose(ctx);
    const started = performance.now();
    const [first, second] = await Promise.all([
      decodeFrame(dataset, clip, onset),
      decodeFrame(dataset, clip, apex),
    ]);
    const decode = performance.now() - started;
    const input = await buildModelInput(first, second, undefined, { includeNose });
    const renderStart = performance.now();
    const images = await renderImages(input);
    return {
      clipId,
      onset,
      apex,
      ...describeInput(input),
      images,
      timings: { decode, ...input.timings, render: performance.now() - renderStart },
    };
  },
};

/** Everything of a pipeline run that crosses to the renderer, except images and timings. */
export function describeInput(
  input: ModelInput,
): Omit<FaceInspection, 'clipId' | 'onset' | 'apex' | 'images' | 'timings'> {
  return {
    status: input.status,
    reasons: input.reasons,
    frame: input.frame,
    facesFound: input.facesFound,
    box: input.face ? input.face.box : null,
    landmarks: input.face ? Array.from(input.face.mesh.subarray(0, 2 * 468), round2) : null,
    points: input.points,
    cropPoints: input.cropPoints,
    cropSize: input.cropSize,
    regionMotion: input.regionMotion,
    mosaicWindows: input.mosaicWindows,
  };
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

async function renderImages(input: ModelInput): Promise<FaceImages | null> {
  const pngs = await renderStages(input);
  if (!pngs) return null;
  return {
    onsetCrop: dataUrl(pngs.onsetCrop),
    apexCrop: dataUrl(pngs.apexCrop),
    flowColor: dataUrl(pngs.flowColor),
    strain: dataUrl(pngs.strain),
    whole: dataUrl(pngs.whole),
    mosaic: dataUrl(pngs.mosaic),
    channels: { u: dataUrl(pngs.u), v: dataUrl(pngs.v), strain: dataUrl(pngs.strainMap) },
  };
}
