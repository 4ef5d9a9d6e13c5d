import { describe, expect, it } from 'vitest';
import { Prefetcher, prefetchWindow } from './prefetch';

const tick = (ms = 5) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Prefetcher', () => {
  it('produces the frames ahead of the playhead first, then behind, skipping ready ones', async () => {
    const done: number[] = [];
    const prefetcher = new Prefetcher();
    prefetcher.around(
      'clip',
      50,
      1000,
      (i) => i === 52,
      async (i) => done.push(i),
    );
    await tick(20);
    const ahead = Array.from({ length: prefetchWindow.ahead }, (_, k) => 51 + k).filter(
      (i) => i !== 52,
    );
    const behind = Array.from({ length: prefetchWindow.behind }, (_, k) => 49 - k);
    expect(done).toEqual([...ahead, ...behind]);
  });

  it('keeps the running job when the playhead moves inside its window, cancels it when it jumps', async () => {
    const signals: AbortSignal[] = [];
    const started: number[] = [];
    const prefetcher = new Prefetcher();
    // Each frame "decodes" until its job is cancelled, so the job is still running when we look.
    const blocking = (i: number, signal: AbortSignal) =>
      new Promise<void>((resolve) => {
        started.push(i);
        signals.push(signal);
        signal.addEventListener('abort', () => resolve());
      });
    prefetcher.around('clip', 10, 1000, () => false, blocking);
    await tick();
    expect(started).toEqual([11]);
    prefetcher.around('clip', 12, 1000, () => false, blocking);
    await tick();
    expect(signals[0].aborted).toBe(false);
    expect(started).toEqual([11]);
    // Halfway through the window the next job starts, and the current one goes on.
    prefetcher.around('clip', 10 + prefetchWindow.ahead / 2, 1000, () => false, blocking);
    await tick();
    expect(signals[0].aborted).toBe(false);
    expect(started).toEqual([11, 11 + prefetchWindow.ahead / 2]);
    prefetcher.around('clip', 500, 1000, () => false, blocking);
    await tick();
    expect(signals[0].aborted).toBe(true);
    expect(signals[1].aborted).toBe(true);
    expect(started).toEqual([11, 11 + prefetchWindow.ahead / 2, 501]);
    prefetcher.around('other clip', 500, 1000, () => false, blocking);
    await tick();
    expect(signals[2].aborted).toBe(true);
    prefetcher.cancel();
    await tick();
    expect(signals[3].aborted).toBe(true);
  });

  it('stays inside the clip', async () => {
    const done: number[] = [];
    const prefetcher = new Prefetcher();
    prefetcher.around(
      'clip',
      1,
      4,
      () => false,
      async (i) => done.push(i),
    );
    await tick(10);
    expect(done.sort()).toEqual([0, 2, 3]);
  });
});
