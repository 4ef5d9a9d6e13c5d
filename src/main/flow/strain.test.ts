import { describe, expect, it } from 'vitest';

import { computeStrain } from './strain';
import { syntheticPair } from './synthetic';
import { computeFlow } from './tvl1';
import type { FlowField } from './types';

function fieldFrom(
  width: number,
  height: number,
  fn: (x: number, y: number) => [number, number],
): FlowField {
  const u = new Float32Array(width * height);
  const v = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) [u[y * width + x], v[y * width + x]] = fn(x, y);
  }
  return { width, height, u, v };
}

/** ε for the field of syntheticPair (see smoothFlowField), from its analytic derivatives. */
function analyticStrain(width: number, height: number, amplitude: number): Float32Array {
  const strain = new Float32Array(width * height);
  const kx = (2 * Math.PI) / width;
  const ky = (2 * Math.PI) / height;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const ux = amplitude * 0.5 * -0.5 * kx * Math.sin(0.5 * kx * x);
      const uy = amplitude * 0.5 * ky * Math.cos(ky * y);
      const vx = amplitude * 0.5 * -kx * Math.sin(kx * x);
      const vy = amplitude * 0.5 * -0.5 * ky * Math.cos(0.5 * ky * y);
      strain[y * width + x] = Math.sqrt(ux * ux + vy * vy + 0.5 * (uy + vx) ** 2);
    }
  }
  return strain;
}

describe('computeStrain', () => {
  it('is exact for a linear field, borders included', () => {
    const field = fieldFrom(7, 5, (x, y) => [0.01 * x + 0.02 * y, -0.03 * x + 0.04 * y]);
    const expected = Math.sqrt(0.01 ** 2 + 0.04 ** 2 + 0.5 * (0.02 - 0.03) ** 2);
    for (const value of computeStrain(field)) expect(value).toBeCloseTo(expected, 6);
  });

  it('is zero for a translation and for 1x1 / single-row fields along the missing axis', () => {
    for (const value of computeStrain(fieldFrom(6, 4, () => [2.5, -1]))) expect(value).toBe(0);
    expect(Array.from(computeStrain(fieldFrom(1, 1, () => [3, 4])))).toEqual([0]);
    const row = computeStrain(fieldFrom(5, 1, (x) => [0.1 * x, 0]));
    for (const value of row) expect(value).toBeCloseTo(0.1, 6);
  });

  it('matches the analytic strain of a smooth field (discretisation error only)', () => {
    const width = 96;
    const height = 80;
    const amplitude = 1.5;
    const field = fieldFrom(width, height, (x, y) => {
      const sx = (2 * Math.PI * x) / width;
      const sy = (2 * Math.PI * y) / height;
      return [
        amplitude * 0.5 * (Math.sin(sy) + Math.cos(0.5 * sx)),
        amplitude * 0.5 * (Math.cos(sx) - Math.sin(0.5 * sy)),
      ];
    });
    const strain = computeStrain(field);
    const truth = analyticStrain(width, height, amplitude);
    let error = 0;
    let scale = 0;
    for (let i = 0; i < strain.length; i++) {
      error += Math.abs(strain[i] - truth[i]);
      scale += truth[i];
    }
    expect(error / scale).toBeLessThan(0.02);
  });

  it('follows the analytic strain from estimated flow (looser bound: strain amplifies noise)', async () => {
    const width = 128;
    const height = 128;
    const amplitude = 1.5;
    const { frame0, frame1 } = syntheticPair(width, height, amplitude, 17);
    const strain = computeStrain(await computeFlow(frame0, frame1));
    const truth = analyticStrain(width, height, amplitude);
    let error = 0;
    let scale = 0;
    for (let y = 4; y < height - 4; y++) {
      for (let x = 4; x < width - 4; x++) {
        const i = y * width + x;
        error += Math.abs(strain[i] - truth[i]);
        scale += truth[i];
      }
    }
    expect(error / scale).toBeLessThan(0.35);
  });

  it('rejects mismatched component lengths', () => {
    const bad = { width: 4, height: 4, u: new Float32Array(16), v: new Float32Array(15) };
    expect(() => computeStrain(bad)).toThrow(/v has 15 values, expected 16/);
  });
});
