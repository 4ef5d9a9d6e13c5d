import { describe, expect, it } from 'vitest';
import {
  alignmentFor,
  applySimilarity,
  CANONICAL_ANCHORS,
  fitSimilarity,
  invertSimilarity,
  warpToCrop,
} from './align';
import { keyPointsFromMesh, MESH_POINTS } from './keypoints';

describe('fitSimilarity', () => {
  it('recovers a known rotation, scale and shift', () => {
    const truth = { a: 1.5 * Math.cos(0.2), b: 1.5 * Math.sin(0.2), tx: 12, ty: -7 };
    const from = [
      { x: 10, y: 20 },
      { x: 80, y: 25 },
      { x: 45, y: 70 },
    ];
    const fitted = fitSimilarity(
      from,
      from.map((p) => applySimilarity(truth, p)),
    );
    expect(fitted.a).toBeCloseTo(truth.a, 9);
    expect(fitted.b).toBeCloseTo(truth.b, 9);
    expect(fitted.tx).toBeCloseTo(truth.tx, 9);
    expect(fitted.ty).toBeCloseTo(truth.ty, 9);
    const back = applySimilarity(invertSimilarity(fitted), applySimilarity(fitted, from[2]));
    expect(back.x).toBeCloseTo(45, 9);
    expect(back.y).toBeCloseTo(70, 9);
  });

  it('refuses a degenerate set of points', () => {
    expect(() =>
      fitSimilarity(
        [
          { x: 1, y: 1 },
          { x: 1, y: 1 },
        ],
        [
          { x: 0, y: 0 },
          { x: 1, y: 1 },
        ],
      ),
    ).toThrow(RangeError);
  });
});

describe('alignmentFor', () => {
  it('sends the eyes and nose of a tilted face exactly to the canonical places of the crop', () => {
    const size = 200;
    // A face tilted by 10°, at half the crop's scale: its anchors are the canonical ones mapped back.
    const toCrop = { a: 2 * Math.cos(0.17), b: 2 * Math.sin(0.17), tx: -350, ty: -120 };
    const back = invertSimilarity(toCrop);
    const source = (name: keyof typeof CANONICAL_ANCHORS) =>
      applySimilarity(back, {
        x: CANONICAL_ANCHORS[name].x * size,
        y: CANONICAL_ANCHORS[name].y * size,
      });
    const mesh = new Float32Array(2 * MESH_POINTS);
    const place = (indices: number[], p: { x: number; y: number }) => {
      for (const i of indices) [mesh[2 * i], mesh[2 * i + 1]] = [p.x, p.y];
    };
    place([...Array(MESH_POINTS).keys()], source('nose'));
    place(
      [33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246],
      source('leftEye'),
    );
    place(
      [263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466],
      source('rightEye'),
    );
    const t = alignmentFor(keyPointsFromMesh(mesh), size);
    expect(t.a).toBeCloseTo(toCrop.a, 5);
    expect(t.b).toBeCloseTo(toCrop.b, 5);
    expect(t.tx).toBeCloseTo(toCrop.tx, 2);
    expect(t.ty).toBeCloseTo(toCrop.ty, 2);
  });
});

describe('warpToCrop', () => {
  it('converts RGB to BT.601 luma', () => {
    const rgb = {
      width: 2,
      height: 2,
      channels: 3 as const,
      data: new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 10, 10]),
    };
    const crop = warpToCrop(rgb, { a: 1, b: 0, tx: 0, ty: 0 }, 2);
    expect(Array.from(crop.data, (v) => Math.round(v * 10) / 10)).toEqual([76.2, 149.7, 29.1, 10]);
  });

  it('samples the frame through the transform and counts pixels from outside', () => {
    const width = 50;
    const height = 40;
    const grey = new Float32Array(width * height);
    for (let i = 0; i < grey.length; i++) grey[i] = i % width;
    // Identity → same pixels; crop 60 wide → 10 of 60 columns fall outside horizontally.
    const crop = warpToCrop(
      { width, height, channels: 1, data: grey },
      { a: 1, b: 0, tx: 0, ty: 0 },
      60,
    );
    expect(crop.data[5 * 60 + 17]).toBeCloseTo(17);
    expect(crop.data[5 * 60 + 55]).toBeCloseTo(49);
    expect(crop.outside).toBeCloseTo(1 - (50 * 40) / 3600, 2);
    const shifted = warpToCrop(
      { width, height, channels: 1, data: grey },
      { a: 1, b: 0, tx: -10.5, ty: 0 },
      20,
    );
    expect(shifted.data[3]).toBeCloseTo(13.5);
  });
});
