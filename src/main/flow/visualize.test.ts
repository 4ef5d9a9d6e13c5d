import { describe, expect, it } from 'vitest';

import { flowMagnitude } from './metrics';
import type { FlowField } from './types';
import { flowToColor, heatmap, magnitudeHeatmap, strainHeatmap, viridis } from './visualize';

function uniformFlow(u: number, v: number, count = 1): FlowField {
  return {
    width: count,
    height: 1,
    u: new Float32Array(count).fill(u),
    v: new Float32Array(count).fill(v),
  };
}

function pixel(data: Uint8ClampedArray, i = 0): number[] {
  return Array.from(data.subarray(4 * i, 4 * i + 4));
}

describe('flowToColor (Middlebury wheel)', () => {
  it('draws no motion white and unknown flow black', () => {
    expect(pixel(flowToColor(uniformFlow(0, 0), { maxMagnitude: 1 }).data)).toEqual([
      255, 255, 255, 255,
    ]);
    expect(pixel(flowToColor(uniformFlow(1e10, 0), { maxMagnitude: 1 }).data)).toEqual([
      0, 0, 0, 255,
    ]);
  });

  it('codes direction as hue at full magnitude', () => {
    const colorOf = (u: number, v: number): number[] =>
      pixel(flowToColor(uniformFlow(u, v), { maxMagnitude: 1 }).data).slice(0, 3);
    expect(colorOf(1, 0)).toEqual([255, 0, 0]); // right: red
    expect(colorOf(-1, 0)).toEqual([0, 209, 255]); // left: cyan-blue
    expect(colorOf(0, 1)).toEqual([255, 230, 0]); // down (image y grows downwards): yellow
    expect(colorOf(0, -1)).toEqual([88, 0, 255]); // up: blue-violet
  });

  it('normalises by the largest magnitude unless told, and darkens beyond it', () => {
    const flow: FlowField = {
      width: 2,
      height: 1,
      u: Float32Array.of(2, 1),
      v: Float32Array.of(0, 0),
    };
    const auto = flowToColor(flow).data;
    expect(pixel(auto, 0).slice(0, 3)).toEqual([255, 0, 0]);
    expect(pixel(auto, 1)[1]).toBe(128); // half saturation
    const clipped = flowToColor(flow, { maxMagnitude: 1 }).data;
    expect(pixel(clipped, 0)[0]).toBe(191); // 0.75 · 255
    expect(() => flowToColor(flow, { maxMagnitude: -1 })).toThrow(RangeError);
  });
});

describe('heatmap (viridis)', () => {
  it('maps min to dark violet and max to yellow, NaN to black', () => {
    const values = Float32Array.of(0, 0.5, 1, Number.NaN);
    const image = heatmap(values, 2, 2);
    const [r0, g0, b0] = pixel(image.data, 0);
    expect(b0).toBeGreaterThan(r0);
    expect(g0).toBeLessThan(10);
    const [r2, g2, b2] = pixel(image.data, 2);
    expect(r2).toBeGreaterThan(240);
    expect(g2).toBeGreaterThan(220);
    expect(b2).toBeLessThan(50);
    expect(pixel(image.data, 3)).toEqual([0, 0, 0, 255]);
  });

  it('is perceptually ordered: lightness increases monotonically', () => {
    let previous = -1;
    for (let t = 0; t <= 1.0001; t += 0.05) {
      const [r, g, b] = viridis(t);
      const luma = 0.2126 * r + 0.7152 * g + 0.0722 * b;
      expect(luma).toBeGreaterThan(previous);
      previous = luma;
    }
  });

  it('draws flow magnitude with an explicit range and checks sizes', () => {
    const magnitude = flowMagnitude(uniformFlow(3, 4, 4));
    expect(Array.from(magnitude)).toEqual([5, 5, 5, 5]);
    const image = heatmap(magnitude, 4, 1, { min: 0, max: 10 });
    expect(image.data).toHaveLength(16);
    expect(() => heatmap(magnitude, 3, 1)).toThrow(/4 values, expected 3x1/);
    expect(() => heatmap(magnitude, 4, 1, { min: 2, max: 1 })).toThrow(RangeError);
  });

  it('draws magnitude and strain heatmaps of a flow field', () => {
    const flow: FlowField = {
      width: 3,
      height: 1,
      u: Float32Array.of(0, 1, 2),
      v: Float32Array.of(0, 0, 0),
    };
    const magnitude = magnitudeHeatmap(flow).data;
    expect(pixel(magnitude, 0).slice(0, 3)).toEqual(viridis(0).map(Math.round));
    expect(pixel(magnitude, 2).slice(0, 3)).toEqual(viridis(1).map(Math.round));
    // u = x: strain 1 everywhere, the middle of an explicit [0, 2] range.
    const strain = strainHeatmap(flow, { min: 0, max: 2 }).data;
    expect(pixel(strain, 1).slice(0, 3)).toEqual(viridis(128 / 255).map(Math.round));
  });
});
