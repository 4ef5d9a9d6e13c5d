import { describe, expect, it } from 'vitest';
import type { KeyPoints } from './keypoints';
import { areaResize, buildFlowMaps, MAP_SIZE, minMaxPerChannel, regionMotion } from './maps';

const PLANE = MAP_SIZE * MAP_SIZE;

function field(size: number, value: (x: number, y: number) => number): Float32Array {
  const out = new Float32Array(size * size);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) out[y * size + x] = value(x, y);
  return out;
}

describe('areaResize', () => {
  it('keeps a constant and the mean of any map, for divisible and non-divisible sizes', () => {
    for (const size of [224, 200, 97]) {
      const ramp = field(size, (x, y) => x + 2 * y);
      const small = areaResize(ramp, size, size, MAP_SIZE);
      const mean = (values: Float32Array) => values.reduce((a, b) => a + b, 0) / values.length;
      expect(mean(small)).toBeCloseTo(mean(ramp), 2);
      expect(
        areaResize(
          field(size, () => 3),
          size,
          size,
          MAP_SIZE,
        ).every((v) => Math.abs(v - 3) < 1e-4),
      ).toBe(true);
    }
  });

  it('averages exactly the covered block when the size divides', () => {
    const source = field(56, (x, y) => (x % 2) + 10 * (y % 2));
    const small = areaResize(source, 56, 56, MAP_SIZE);
    expect(small.every((v) => Math.abs(v - 5.5) < 1e-5)).toBe(true);
  });
});

describe('buildFlowMaps', () => {
  const size = 224;
  // u = map column, v = map row, strain = 1000: every cell of `whole` tells where it came from.
  const flow = {
    width: size,
    height: size,
    u: field(size, (x) => Math.floor(x / 8)),
    v: field(size, (_x, y) => Math.floor(y / 8)),
  };
  const strain = field(size, () => 1000);
  const points: KeyPoints = {
    leftEye: { x: 70, y: 82 },
    rightEye: { x: 154, y: 82 },
    nose: { x: 112, y: 130 },
    leftMouth: { x: 72, y: 170 },
    rightMouth: { x: 152, y: 220 },
  };

  it('resizes the whole face to 28×28 (u, v, strain)', () => {
    const { whole } = buildFlowMaps(flow, strain, points);
    expect(whole).toHaveLength(3 * PLANE);
    expect(whole[5 * MAP_SIZE + 9]).toBeCloseTo(9);
    expect(whole[PLANE + 5 * MAP_SIZE + 9]).toBeCloseTo(5);
    expect(whole[2 * PLANE + 100]).toBeCloseTo(1000);
  });

  it('cuts 14×14 windows centred on the points, [l_eye | l_mouth] over [r_eye | r_mouth]', () => {
    const { mosaic, windows } = buildFlowMaps(flow, strain, points);
    const cell = (channel: number, x: number, y: number) =>
      mosaic[channel * PLANE + y * MAP_SIZE + x];
    // leftEye at map (8.75, 10.25) → window from (2, 3), placed top-left.
    expect([cell(0, 0, 0), cell(1, 0, 0)]).toEqual([2, 3]);
    // leftMouth at (9, 21.25) → from (2, 14), placed top-right.
    expect([cell(0, 14, 0), cell(1, 14, 0)]).toEqual([2, 14]);
    // rightEye at (19.25, 10.25) → from (12, 3), placed bottom-left.
    expect([cell(0, 0, 14), cell(1, 0, 14)]).toEqual([12, 3]);
    // rightMouth at (19, 27.5) is near the bottom edge: the window shifts inside the map (14).
    expect([cell(0, 14, 14), cell(1, 14, 14)]).toEqual([12, 14]);
    expect(cell(1, 27, 27)).toBe(27);
    expect(windows.map((w) => w.region)).toEqual([
      'leftEye',
      'leftMouth',
      'rightEye',
      'rightMouth',
    ]);
    expect(mosaic.subarray(2 * PLANE).every((v) => Math.abs(v - 1000) < 1e-3)).toBe(true);
  });

  it('adds the nose window at the centre when asked', () => {
    const plain = buildFlowMaps(flow, strain, points).mosaic;
    const { mosaic, windows } = buildFlowMaps(flow, strain, points, { includeNose: true });
    expect(windows.at(-1)).toMatchObject({
      region: 'nose',
      from: { x: 7, y: 9 },
      to: { x: 7, y: 7 },
    });
    expect(mosaic[7 * MAP_SIZE + 7]).toBe(7);
    expect(mosaic[PLANE + 7 * MAP_SIZE + 7]).toBe(9);
    expect(mosaic[0]).toBe(plain[0]);
  });
});

describe('minMaxPerChannel (the model graph normalisation)', () => {
  it('stretches every channel to [0, 1] and zeroes a constant channel', () => {
    const maps = new Float32Array(3 * PLANE);
    for (let i = 0; i < PLANE; i++) {
      maps[i] = i - 100;
      maps[PLANE + i] = 0.01 * Math.sin(i);
      maps[2 * PLANE + i] = 7;
    }
    const out = minMaxPerChannel(maps);
    for (const c of [0, 1]) {
      const channel = out.subarray(c * PLANE, (c + 1) * PLANE);
      expect(Math.min(...channel)).toBe(0);
      expect(Math.max(...channel)).toBeCloseTo(1, 6);
    }
    expect(out.subarray(2 * PLANE).every((v) => v === 0)).toBe(true);
  });
});

describe('regionMotion', () => {
  it('averages the flow magnitude in a cropSize/4 square around each point', () => {
    const size = 224;
    const u = field(size, (x, y) => (Math.hypot(x - 72, y - 170) < 20 ? 3 : 0));
    const motion = regionMotion(
      { width: size, height: size, u, v: new Float32Array(size * size) },
      {
        leftEye: { x: 70, y: 82 },
        rightEye: { x: 154, y: 82 },
        nose: { x: 112, y: 130 },
        leftMouth: { x: 72, y: 170 },
        rightMouth: { x: 152, y: 170 },
      },
    );
    // A disc of radius 20 (area ≈ 1257) inside a 56×56 square: 3 · 1257 / 3136 ≈ 1.2.
    expect(motion.leftMouth).toBeCloseTo((3 * Math.PI * 400) / 3136, 1);
    expect(motion.leftEye).toBe(0);
    expect(motion.rightMouth).toBe(0);
  });
});
