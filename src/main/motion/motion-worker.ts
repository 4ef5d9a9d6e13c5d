import { parentPort, workerData } from 'node:worker_threads';
import { stopAllFfmpeg } from '../media/ffmpeg';
import { decodeFrame } from '../media/frames';
import { greyPixels, meanAbsoluteDifference } from './curve';
import type { CancelMessage, CurveJob, WorkerMessage } from './protocol';

/**
 * Worker thread: decodes every frame of a clip (grey, downscaled) and measures its difference
 * energy against the reference frame. Runs off the event loop. To cancel, the parent sends
 * 'cancel': the worker stops its ffmpeg processes and answers 'cancelled', then is terminated.
 */
const PROGRESS_EVERY = 8;
let cancelled = false;

parentPort?.on('message', (message: CancelMessage) => {
  if (message.type !== 'cancel') return;
  cancelled = true;
  void stopAllFfmpeg().then(() => post({ type: 'cancelled' }));
});

function post(message: WorkerMessage): void {
  parentPort?.postMessage(message);
}

async function run(job: CurveJob): Promise<void> {
  const { dataset, clip, reference, maxSide } = job;
  const options = { grey: true, maxSide };
  const base = greyPixels(await decodeFrame(dataset, clip, reference, options));
  const values: number[] = [];
  const failedFrames: number[] = [];
  const failures: string[] = [];
  for (let index = 0; index < clip.frameCount && !cancelled; index++) {
    try {
      const frame = await decodeFrame(dataset, clip, index, options);
      values.push(meanAbsoluteDifference(base, greyPixels(frame)));
    } catch (error) {
      values.push(0);
      failedFrames.push(index);
      if (failures.length < 5) failures.push((error as Error).message);
    }
    if ((index + 1) % PROGRESS_EVERY === 0)
      post({ type: 'progress', done: index + 1, total: clip.frameCount });
  }
  if (!cancelled) post({ type: 'done', values, failedFrames, failures });
}

run(workerData as CurveJob).catch((error: unknown) => {
  if (!cancelled)
    post({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
});
