/**
 * Decodes the frames around the playhead after a request, off the request path, so stepping and
 * playing find them cached. One job per dataset: a request outside the running job's window
 * cancels it and starts a new one around the new playhead.
 */
export const prefetchWindow = { ahead: 24, behind: 8 };

interface Job {
  target: string;
  low: number;
  high: number;
  controller: AbortController;
  finished: boolean;
}

export class Prefetcher {
  private job: Job | null = null;

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
    const current = this.job;
    if (
      current &&
      !current.finished &&
      current.target === target &&
      index >= current.low &&
      index <= current.high
    ) {
      return;
    }
    current?.controller.abort();
    const low = Math.max(0, index - prefetchWindow.behind);
    const high = Math.min(frameCount - 1, index + prefetchWindow.ahead);
    const job: Job = { target, low, high, controller: new AbortController(), finished: false };
    this.job = job;
    const order: number[] = [];
    for (let i = index + 1; i <= high; i++) order.push(i);
    for (let i = index - 1; i >= low; i--) order.push(i);
    setImmediate(() => {
      void this.run(job, order, isReady, produce);
    });
  }

  cancel(): void {
    this.job?.controller.abort();
    this.job = null;
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
