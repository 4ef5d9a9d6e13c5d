import { parentPort, workerData } from 'node:worker_threads';
import { decodeFrame } from '../media/frames';
import { greyPixels, meanAbsoluteDifference } from './curve';
import type { CurveJob, WorkerMessage } from './protocol';

/**
 * Worker thread: decodes every frame of a clip (grey, downscaled) and measures its difference
 * energy against the reference frame. Runs off the event loop; the parent cancels by terminating it.
 */
const PROGRESS_EVERY = 8;

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
  for (let index = 0; index < clip.frameCount; index++) {
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
  post({ type: 'done', values, failedFrames, failures });
}

run(workerData as CurveJob).catch((error: unknown) => {
  post({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
});
