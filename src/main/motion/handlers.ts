import type { Worker } from 'node:worker_threads';
import sharp from 'sharp';
import type { motionRequests, MotionCurve, StrainMaps } from '../../shared/contract/motion';
import type { Clip, DatasetIndex } from '../../shared/domain';
import type { AppContext } from '../app/context';
import type { HandlersFor } from '../app/handler';
import { startWorker } from '../app/workers';
import { findClip } from '../dataset/handlers';
import { computeFlow, computeStrain, flowToColor, heatmap } from '../flow';
import { checkIndex, decodeFrame, type RawFrame } from '../media/frames';
import { greyPixels, suggestApex } from './curve';
import type { CancelMessage, CurveJob, WorkerMessage } from './protocol';

/** Each curve job is a worker thread (~20 MB): a few windows' worth, not one per request. */
export const MAX_CURVE_JOBS = 4;
const jobsByContext = new WeakMap<AppContext, Map<string, Worker>>();

function jobsOf(ctx: AppContext): Map<string, Worker> {
  let jobs = jobsByContext.get(ctx);
  if (!jobs) {
    const created = new Map<string, Worker>();
    jobs = created;
    jobsByContext.set(ctx, created);
    ctx.onClose(() => Promise.all([...created.values()].map(stopWorker)).then(() => undefined));
  }
  return jobs;
}

export const motionHandlers: HandlersFor<typeof motionRequests> = {
  'motion.curve': async ({ clipId, jobId, reference, from, to, maxSide }, ctx) => {
    const dataset = ctx.requireDataset();
    const clip = findClip(ctx, clipId);
    checkIndex(clip, reference);
    const jobs = jobsOf(ctx);
    if (jobs.has(jobId)) throw new Error(`motion job ${jobId} is already running`);
    if (jobs.size >= MAX_CURVE_JOBS) {
      throw new Error(
        `${MAX_CURVE_JOBS} motion curves are being computed already; wait for one or cancel it`,
      );
    }
    const started = performance.now();
    const result = await runCurveWorker(ctx, jobs, jobId, { dataset, clip, reference, maxSide });
    const curve: MotionCurve = {
      clipId,
      reference,
      values: result.values,
      failedFrames: result.failedFrames,
      suggestedApex: suggestApex(result.values, from ?? reference, to ?? clip.frameCount - 1),
      milliseconds: performance.now() - started,
    };
    ctx.emit('job.done', {
      jobId,
      kind: 'motion.curve',
      cancelled: false,
      failed: result.failedFrames.length,
      ...(result.failures.length > 0 ? { message: result.failures.join('; ') } : {}),
    });
    return curve;
  },
  'motion.cancel': async ({ jobId }, ctx) => {
    const worker = jobsOf(ctx).get(jobId);
    if (!worker) return { cancelled: false };
    jobsOf(ctx).delete(jobId);
    await stopWorker(worker);
    return { cancelled: true };
  },
  'motion.difference': async ({ clipId, index, reference, gain, maxSide }, ctx) => {
    const dataset = ctx.requireDataset();
    const clip = findClip(ctx, clipId);
    const [current, base] = await Promise.all([
      decodeFrame(dataset, clip, index, { grey: true, maxSide }),
      decodeFrame(dataset, clip, reference, { grey: true, maxSide }),
    ]);
    const { pixels, mean } = amplifiedDifference(greyPixels(current), greyPixels(base), gain);
    const jpeg = await sharp(pixels, {
      raw: { width: current.width, height: current.height, channels: 1 },
    })
      .jpeg({ quality: 85 })
      .toBuffer();
    return {
      image: `data:image/jpeg;base64,${jpeg.toString('base64')}`,
      width: current.width,
      height: current.height,
      meanDifference: mean,
    };
  },
  'motion.strain': async ({ clipId, onset, apex, maxSide }, ctx) =>
    strainMaps(ctx.requireDataset(), findClip(ctx, clipId), onset, apex, maxSide),
};

function runCurveWorker(
  ctx: AppContext,
  jobs: Map<string, Worker>,
  jobId: string,
  job: CurveJob,
): Promise<Extract<WorkerMessage, { type: 'done' }>> {
  const worker = startWorker('motion/motion-worker', { workerData: job });
  jobs.set(jobId, worker);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      jobs.delete(jobId);
      void stopWorker(worker);
      outcome();
    };
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'progress') {
        const seconds = (performance.now() - started) / 1000;
        const rate = message.done / Math.max(seconds, 1e-3);
        ctx.emit('job.progress', {
          jobId,
          kind: 'motion.curve',
          done: message.done,
          total: message.total,
          rate,
          etaSeconds: (message.total - message.done) / rate,
        });
      } else if (message.type === 'done') finish(() => resolve(message));
      else if (message.type === 'failed')
        finish(() => reject(new Error(`${job.clip.id}: motion curve failed: ${message.message}`)));
    });
    worker.on('error', (error) =>
      finish(() => reject(new Error(`${job.clip.id}: motion curve failed: ${error.message}`))),
    );
    worker.on('exit', () =>
      finish(() => {
        ctx.emit('job.done', { jobId, kind: 'motion.curve', cancelled: true, failed: 0 });
        reject(Object.assign(new Error('cancelled'), { name: 'AbortError' }));
      }),
    );
  });
}

/**
 * Ends a curve worker after it has stopped its ffmpeg processes: a worker terminated while one
 * runs leaves it unreaped (a zombie) for the life of the app. Terminated anyway after a while.
 */
async function stopWorker(worker: Worker): Promise<void> {
  const stopped = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 3000);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    worker.on('message', (message: WorkerMessage) => message.type === 'cancelled' && done());
    worker.once('exit', done);
  });
  worker.postMessage({ type: 'cancel' } satisfies CancelMessage);
  await stopped;
  await worker.terminate();
}

function amplifiedDifference(
  current: Uint8Array,
  base: Uint8Array,
  gain: number,
): { pixels: Uint8Array; mean: number } {
  const pixels = new Uint8Array(current.length);
  let sum = 0;
  for (let i = 0; i < pixels.length; i++) {
    const difference = Math.abs(current[i] - base[i]);
    sum += difference;
    pixels[i] = Math.min(255, difference * gain);
  }
  return { pixels, mean: sum / Math.max(1, pixels.length) };
}

async function strainMaps(
  dataset: DatasetIndex,
  clip: Clip,
  onset: number,
  apex: number,
  maxSide: number,
): Promise<StrainMaps> {
  const [first, second] = await Promise.all([
    decodeFrame(dataset, clip, onset, { grey: true, maxSide }),
    decodeFrame(dataset, clip, apex, { grey: true, maxSide }),
  ]);
  const started = performance.now();
  const flow = await computeFlow(asGrey(first), asGrey(second));
  const strain = computeStrain(flow);
  let sum = 0;
  let maxMagnitude = 0;
  for (let i = 0; i < flow.u.length; i++) {
    const magnitude = Math.hypot(flow.u[i], flow.v[i]);
    sum += magnitude;
    if (magnitude > maxMagnitude) maxMagnitude = magnitude;
  }
  const maxStrain = percentile(strain, 0.995);
  const [flowImage, strainImage] = await Promise.all([
    pngDataUrl(flowToColor(flow)),
    pngDataUrl(
      heatmap(strain, flow.width, flow.height, { min: 0, max: Math.max(maxStrain, 1e-6) }),
    ),
  ]);
  return {
    clipId: clip.id,
    onset,
    apex,
    width: flow.width,
    height: flow.height,
    flowImage,
    strainImage,
    meanMagnitude: sum / flow.u.length,
    maxMagnitude,
    maxStrain,
    milliseconds: performance.now() - started,
  };
}

function asGrey(frame: RawFrame): { width: number; height: number; data: Uint8Array } {
  return { width: frame.width, height: frame.height, data: greyPixels(frame) };
}

/** A high percentile rather than the maximum: strain has single-pixel outliers. */
function percentile(values: Float32Array, fraction: number): number {
  const finite = Array.from(values)
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  return finite.length > 0
    ? finite[Math.min(finite.length - 1, Math.floor(fraction * finite.length))]
    : 0;
}

async function pngDataUrl(image: {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}): Promise<string> {
  const png = await sharp(image.data, {
    raw: { width: image.width, height: image.height, channels: 4 },
  })
    .png()
    .toBuffer();
  return `data:image/png;base64,${png.toString('base64')}`;
}
