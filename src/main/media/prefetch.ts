/**
 * Decodes the frames around the playhead after a request, off the request path, so stepping and
 * playing find them cached. A request far from the running job (another clip, or outside its
 * window) cancels it; a playhead moving forward through the window starts the next job halfway,
 * without cancelling the current one (its decoding is still useful, e.g. a video run).
 */
export const prefetchWindow = { ahead: 32, behind: 8 };

interface Job {
  target: string;
  anchor: number;
  low: number;
  high: number;
  controller: AbortController;
  finished: boolean;
}

export class Prefetcher {
  private jobs: Job[] = [];

  /**
   * Schedules `produce` for the frames around `index` (ahead first, then behind), skipping those
   * `isReady` says are cached. `target` names the clip and variant (what produce makes).
   */
  around(
    target: string,
    index: number,
    frameCount: number,
    isReady: (index: number) => boolean,
    produce: (index: number, signal: AbortSignal) => Promise<unknown>,
  ): void {
    this.jobs = this.jobs.filter((job) => !job.finished);
    const latest = this.jobs[this.jobs.length - 1];
    const inWindow =
      latest !== undefined &&
      latest.target === target &&
      index >= latest.low &&
      index <= latest.high;
    if (inWindow && index - latest.anchor < prefetchWindow.ahead / 2) return;
    if (!inWindow) this.cancel();
    const job: Job = {
      target,
      anchor: index,
      low: Math.max(0, index - prefetchWindow.behind),
      high: Math.min(frameCount - 1, index + prefetchWindow.ahead),
      controller: new AbortController(),
      finished: false,
    };
    this.jobs.push(job);
    const order: number[] = [];
    for (let i = index + 1; i <= job.high; i++) order.push(i);
    for (let i = index - 1; i >= job.low; i--) order.push(i);
    setImmediate(() => {
      void this.run(job, order, isReady, produce);
    });
  }

  cancel(): void {
    for (const job of this.jobs) job.controller.abort();
    this.jobs = [];
  }

  private async run(
    job: Job,
    order: number[],
    isReady: (index: number) => boolean,
    produce: (index: number, signal: AbortSignal) => Promise<unknown>,
  ): Promise<void> {
    const signal = job.controller.signal;
    for (const index of order) {
      if (signal.aborted) break;
      if (isReady(index)) continue;
      // A frame that fails here fails again, with its message, when it is asked for.
      await produce(index, signal).catch(() => undefined);
    }
    job.finished = true;
  }
}
