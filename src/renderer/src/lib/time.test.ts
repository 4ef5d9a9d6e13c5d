import { describe, expect, it } from 'vitest';
import { framesPlayed } from './time';

describe('playback timing', () => {
  it('steps by the frame rate', () => {
    expect(framesPlayed({ fps: 200 }, 10, 50, 99)).toBe(19);
  });

  it("plays a variable frame rate by the frames' own timestamps", () => {
    // 30 fps, then 15 fps from frame 3
    const clip = { fps: 20, frameTimesMs: [0, 33, 67, 100, 167, 233, 300] };
    expect([0, 40, 99, 100, 166, 170, 300].map((ms) => framesPlayed(clip, 0, 6, ms))).toEqual([
      0, 1, 2, 3, 3, 4, 6,
    ]);
    expect(framesPlayed(clip, 3, 6, 66)).toBe(0);
    expect(framesPlayed(clip, 3, 6, 67)).toBe(1);
    expect(framesPlayed(clip, 0, 6, 400)).toBe(7); // the pass is over
  });
});
