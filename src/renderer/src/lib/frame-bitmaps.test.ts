import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FrameBitmaps } from './frame-bitmaps';

/** The frame requests made, by index, with whether each was given up. */
let requests: Map<number, AbortSignal>;

beforeEach(() => {
  requests = new Map();
  // Requests that never answer: what matters here is which ones the viewer gives up.
  vi.stubGlobal('fetch', (url: string, init: { signal: AbortSignal }) => {
    requests.set(Number(url.split('/').pop()), init.signal);
    return new Promise((_resolve, reject) =>
      init.signal.addEventListener('abort', () => reject(init.signal.reason)),
    );
  });
});

afterEach(() => vi.unstubAllGlobals());

const given = (index: number) => requests.get(index)?.aborted;

function bitmaps(): FrameBitmaps {
  const frames = new FrameBitmaps((clip, index) => `/frames/${clip}/${index}`, 1e9, 10);
  frames.reset('dataset');
  return frames;
}

describe('FrameBitmaps', () => {
  it('gives up the frames the viewer moved away from, not the ones around where it is now', () => {
    const frames = bitmaps();
    void frames.show('c', 10).catch(() => undefined);
    frames.prefetch('c', 10, 1, 100, 2, 1);
    expect([...requests.keys()].sort((a, b) => a - b)).toEqual([9, 10, 11, 12]);
    void frames.show('c', 12).catch(() => undefined);
    frames.prefetch('c', 12, 1, 100, 2, 1);
    expect([10, 9].map(given)).toEqual([true, true]);
    expect([11, 12, 13, 14].map(given)).toEqual([false, false, false, false]);
  });

  it('never gives up the frame shown next, nor frames asked for to keep', () => {
    const frames = bitmaps();
    void frames.get('c', 40).catch(() => undefined);
    void frames.show('c', 70).catch(() => undefined);
    frames.prefetch('c', 0, 1, 100, 2, 0);
    expect([40, 70].map(given)).toEqual([false, false]);
    void frames.show('c', 90).catch(() => undefined);
    frames.prefetch('c', 90, 1, 100, 2, 0);
    expect([40, 70].map(given)).toEqual([false, true]);
  });

  it('keeps the frames of a range to play', () => {
    const frames = bitmaps();
    frames.prefetchRange('c', 20, 22);
    void frames.show('c', 80).catch(() => undefined);
    frames.prefetch('c', 80, 1, 100, 2, 0);
    expect([20, 21, 22].map(given)).toEqual([false, false, false]);
  });

  it('asks again for a frame given up before, when it is wanted again', async () => {
    const frames = bitmaps();
    const first = frames.show('c', 5);
    frames.prefetch('c', 5, 1, 100, 0, 0);
    frames.show('c', 50).catch(() => undefined);
    frames.prefetch('c', 50, 1, 100, 0, 0);
    await expect(first).rejects.toMatchObject({ name: 'AbortError' });
    void frames.show('c', 5).catch(() => undefined);
    expect(given(5)).toBe(false);
  });
});
