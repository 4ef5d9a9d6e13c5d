import os from 'node:os';
import type { Clip, DatasetIndex, ThreeClass } from '../../shared/domain';
import { buildModelInput, isMachineryFailure } from '../face/model-input';
import { LandmarkDetector } from '../face/landmarks';
import { frameCache } from '../media/frame-cache';
import { decodeFrame, frameKey } from '../media/frames';
import type { ModelSession } from '../model/session';
import { suggestApex } from './suggest-apex';

/** What the pipeline made of one clip. */
export interface ClipOutcome {
  onset: number;
  apex: number;
  apexSource: 'annotated' | 'suggested';
  status: 'ok' | 'warning' | 'failed';
  reasons: string[];
  probabilities: Record<ThreeClass, number> | null;
  timings: Record<string, number>;
  /** The failure is the machinery's (landmark worker down), not the clip's: do not cache it. */
  transient: boolean;
}

export interface EngineOptions {
  /** Landmark workers (FaceMesh on single-threaded wasm: one per core pays off). */
  detectors?: number;
  /** Largest inference batch. */
  maxBatch?: number;
}

/**
 * The per-clip pipeline of a batch: decode onset + apex (sharp / ffmpeg, off the event loop) →
 * FaceMesh landmarks in one of several worker threads → alignment → TV-L1 flow (native threads)
 * → 28×28 maps → AHMSA-Net, with the maps of clips finishing together classified as one batch.
 * Several clips are in flight at once so the stages overlap across the cores.
 */
export class ClipEngine {
  private readonly detectors: Array<{ detector: LandmarkDetector; busy: number }>;
  private readonly batcher: InferenceBatcher;

  constructor(
    readonly session: ModelSession,
    options: EngineOptions = {},
  ) {
    const count = options.detectors ?? defaultDetectorCount();
    this.detectors = Array.from({ length: count }, () => ({
      detector: new LandmarkDetector(),
      busy: 0,
    }));
    this.batcher = new InferenceBatcher(session, options.maxBatch ?? 64);
  }

  get detectorCount(): number {
    return this.detectors.length;
  }

  async classify(
    dataset: DatasetIndex,
    clip: Clip,
    frames: { onset: number; apex: number | null; offset: number | null },
    signal?: AbortSignal,
  ): Promise<ClipOutcome> {
    const timings: Record<string, number> = {};
    const outcome = (
      status: ClipOutcome['status'],
      reasons: string[],
      apex: number,
      probabilities: ClipOutcome['probabilities'] = null,
    ): ClipOutcome => ({
      onset: frames.onset,
      apex,
      apexSource: frames.apex === null ? 'suggested' : 'annotated',
      status,
      reasons,
      probabilities,
      timings,
      transient: false,
    });
    let started = performance.now();
    let apex = frames.apex ?? -1;
    let onsetFrame;
    let apexFrame;
    if (frames.apex === null) {
      try {
        apex = await suggestApex(dataset, clip, frames.onset, frames.offset, signal);
      } catch (error) {
        if (isAbort(error) || signal?.aborted) throw error;
        return outcome('failed', [`no suggested apex: ${(error as Error).message}`], apex);
      }
      timings.suggestApex = performance.now() - started;
      started = performance.now();
    }
    const release = keepCacheClean(dataset, clip, [frames.onset, apex]);
    try {
      [onsetFrame, apexFrame] = await Promise.all([
        decodeFrame(dataset, clip, frames.onset, { signal }),
        decodeFrame(dataset, clip, apex, { signal }),
      ]);
    } catch (error) {
      if (isAbort(error) || signal?.aborted) throw error;
      return outcome('failed', [`cannot decode: ${(error as Error).message}`], apex);
    } finally {
      release();
    }
    timings.decode = performance.now() - started;
    const slot = this.leastBusyDetector();
    slot.busy++;
    let input;
    try {
      input = await buildModelInput(onsetFrame, apexFrame, signal, { detector: slot.detector });
    } finally {
      slot.busy--;
    }
    Object.assign(timings, input.timings);
    if (input.status === 'failed') {
      const result = outcome('failed', input.reasons, apex);
      result.transient = input.reasons.some(isMachineryFailure);
      return result;
    }
    started = performance.now();
    const probabilities = await this.batcher.classify(input.maps);
    timings.inference = performance.now() - started;
    return outcome(input.status, input.reasons, apex, probabilities);
  }

  async close(): Promise<void> {
    await Promise.all(this.detectors.map(({ detector }) => detector.close()));
  }

  private leastBusyDetector() {
    return this.detectors.reduce((best, slot) => (slot.busy < best.busy ? slot : best));
  }
}

/**
 * A batch reads each frame once: frames it decodes are dropped from the shared frame cache
 * afterwards (those the workspace had cached stay), so a 200-clip run does not fill it.
 */
function keepCacheClean(dataset: DatasetIndex, clip: Clip, indexes: number[]): () => void {
  const keys = indexes.map((index) => frameKey(dataset, clip, index, 'raw-rgb'));
  const fresh = keys.filter((key) => !frameCache.has(key));
  return () => fresh.forEach((key) => frameCache.delete(key));
}

export function defaultDetectorCount(): number {
  return Math.max(1, Math.min(4, os.availableParallelism()));
}

interface Waiting {
  maps: Float32Array;
  resolve(probabilities: Record<ThreeClass, number>): void;
  reject(error: Error): void;
}

/**
 * Collects maps while an inference runs and classifies everything collected as one batch next:
 * no waiting for a batch to fill, and a busy pipeline still batches.
 */
export class InferenceBatcher {
  private readonly queue: Waiting[] = [];
  private running = false;
  /** Samples per onnxruntime call, for the benchmark. */
  readonly batchSizes: number[] = [];

  constructor(
    private readonly session: ModelSession,
    private readonly maxBatch: number,
  ) {}

  classify(maps: Float32Array): Promise<Record<ThreeClass, number>> {
    return new Promise((resolve, reject) => {
      this.queue.push({ maps, resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        const sampleLength = batch[0].maps.length;
        const joined = new Float32Array(sampleLength * batch.length);
        batch.forEach((item, i) => joined.set(item.maps, i * sampleLength));
        this.batchSizes.push(batch.length);
        try {
          const results = await this.session.classify(joined);
          batch.forEach((item, i) => item.resolve(results[i]));
        } catch (error) {
          batch.forEach((item) => item.reject(error as Error));
        }
      }
    } finally {
      this.running = false;
    }
  }
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}
