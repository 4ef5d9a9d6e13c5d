import { describe, expect, it } from 'vitest';

import { loadFlowAddon } from './native';
import { endpointErrorStats, flowMagnitudeStats } from './metrics';
import { randomTexture, sampleBicubic, syntheticPair } from './synthetic';
import { computeFlow, resolveTvl1Options } from './tvl1';
import { FLOW_PRESETS, IPOL_DEFAULTS, type GreyImage } from './types';
import { MAX_IMAGE_PIXELS, MAX_IMAGE_SIDE } from './validate';

function constantImage(width: number, height: number, value: number): GreyImage {
  return { width, height, data: new Float32Array(width * height).fill(value) };
}

function maxAbs(values: Float32Array): number {
  let max = 0;
  for (const value of values) max = Math.max(max, Math.abs(value));
  return max;
}

describe('computeFlow on synthetic pairs with known motion', () => {
  it('recovers smooth sub-pixel motion (IPOL defaults)', async () => {
    const { frame0, frame1, flow } = syntheticPair(128, 128, 1.5, 7);
    const result = await computeFlow(frame0, frame1);
    const error = endpointErrorStats(result, flow);
    expect(error.count).toBe(128 * 128);
    expect(error.mean).toBeLessThan(0.08);
    expect(result.scales).toBe(4); // 1 + log2(hypot(128,128)/16) = 4.5
    expect(result.iterationsPerLevel).toHaveLength(4);
  });

  it('recovers micro-expression-sized motion on a 224x224 pair with the fast preset', async () => {
    const { frame0, frame1, flow } = syntheticPair(224, 224, 2, 11);
    const result = await computeFlow(frame0, frame1, { preset: 'fast' });
    expect(endpointErrorStats(result, flow).mean).toBeLessThan(0.1);
    expect(result.scales).toBe(5); // 1 + log2(hypot(224, 224)/16) = 5.3
  });

  /** frame0(x) = frame1(x + shift): the flow is `shift` wherever x + shift stays in frame1. */
  async function translationError(
    width: number,
    height: number,
    shift: { u: number; v: number },
  ): Promise<number> {
    const frame1 = randomTexture(width, height, 5, 3);
    const shifted = new Float32Array(width * height);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        shifted[y * width + x] = sampleBicubic(frame1, x + shift.u, y + shift.v);
      }
    }
    const result = await computeFlow({ width, height, data: shifted }, frame1);
    let sum = 0;
    let count = 0;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const inside =
          x + shift.u >= 2 &&
          x + shift.u < width - 2 &&
          y + shift.v >= 2 &&
          y + shift.v < height - 2;
        if (!inside) continue;
        const i = y * width + x;
        sum += Math.hypot(result.u[i] - shift.u, result.v[i] - shift.v);
        count++;
      }
    }
    return sum / count;
  }

  it('finds a uniform translation of several pixels through the pyramid', async () => {
    expect(await translationError(160, 120, { u: 6.25, v: -3.5 })).toBeLessThan(0.1);
  });

  it('does not collapse on large motion (tens of pixels)', async () => {
    expect(await translationError(320, 240, { u: 27.5, v: -18.25 })).toBeLessThan(0.1);
  });

  it('gives near-zero flow for identical frames', async () => {
    const frame = randomTexture(64, 48, 3);
    const result = await computeFlow(frame, frame);
    expect(maxAbs(result.u)).toBeLessThan(1e-3);
    expect(maxAbs(result.v)).toBeLessThan(1e-3);
  });

  it('gives zero flow for constant images (no gradient, no normalisation range)', async () => {
    const result = await computeFlow(constantImage(40, 30, 7), constantImage(40, 30, 7));
    expect(maxAbs(result.u)).toBe(0);
    expect(maxAbs(result.v)).toBe(0);
    const differentLevels = await computeFlow(constantImage(40, 30, 0), constantImage(40, 30, 200));
    expect(maxAbs(differentLevels.u)).toBe(0);
  });

  it('accepts Uint8Array frames and gives the same flow as Float32Array', async () => {
    const texture = randomTexture(48, 40, 9);
    const bytes = Uint8Array.from(texture.data, (value) => Math.round(value));
    const floats = Float32Array.from(bytes);
    const { frame0 } = syntheticPair(48, 40, 1, 9);
    const frame0Bytes = Uint8Array.from(frame0.data, (value) => Math.round(value));
    const fromBytes = await computeFlow(
      { width: 48, height: 40, data: frame0Bytes },
      { width: 48, height: 40, data: bytes },
    );
    const fromFloats = await computeFlow(
      { width: 48, height: 40, data: Float32Array.from(frame0Bytes) },
      { width: 48, height: 40, data: floats },
    );
    expect(Array.from(fromBytes.u)).toEqual(Array.from(fromFloats.u));
  });

  it('gives the same flow on 1 and 2 threads', async () => {
    // Large enough (>= 2 × 8192 px per level) for the finest levels to be split between threads.
    const { frame0, frame1 } = syntheticPair(257, 131, 1.2, 13);
    const one = await computeFlow(frame0, frame1, { threads: 1 });
    const two = await computeFlow(frame0, frame1, { threads: 2 });
    for (let i = 0; i < one.u.length; i++) {
      expect(Math.abs(one.u[i] - two.u[i])).toBeLessThan(1e-3);
      expect(Math.abs(one.v[i] - two.v[i])).toBeLessThan(1e-3);
    }
  });

  it('runs concurrent computations correctly (they share the thread pool)', async () => {
    const pairs = [1, 2, 3, 4].map((seed) => syntheticPair(192, 176, 1.5, seed));
    const concurrent = await Promise.all(
      pairs.map(({ frame0, frame1 }) => computeFlow(frame0, frame1, { threads: 2 })),
    );
    for (const [index, { frame0, frame1, flow }] of pairs.entries()) {
      const alone = await computeFlow(frame0, frame1, { threads: 2 });
      expect(Array.from(concurrent[index].u)).toEqual(Array.from(alone.u));
      expect(endpointErrorStats(concurrent[index], flow).mean).toBeLessThan(0.1);
    }
  });

  it.each([
    [1, 1],
    [2, 3],
    [3, 2],
    [5, 7],
    [1, 9],
    [9, 1],
    [17, 13],
  ])('handles a tiny %ix%i image', async (width, height) => {
    const frame0 = randomTexture(width, height, width * 31 + height);
    const frame1 = randomTexture(width, height, width * 17 + height);
    const result = await computeFlow(frame0, frame1, { medianFilter: true });
    expect(result.u).toHaveLength(width * height);
    expect(result.scales).toBe(
      1 + Math.max(0, Math.floor(Math.log2(Math.hypot(width, height) / 16))),
    );
    for (const value of [...result.u, ...result.v]) expect(Number.isFinite(value)).toBe(true);
  });

  it('applies the optional median filter and every parameter', async () => {
    const { frame0, frame1, flow } = syntheticPair(64, 64, 1, 21);
    const result = await computeFlow(frame0, frame1, {
      medianFilter: true,
      warps: 3,
      scales: 2,
      zoom: 0.6,
      sigma: 0,
      epsilon: 0.005,
      maxIterations: 50,
      lambda: 0.2,
      theta: 0.25,
      tau: 0.2,
    });
    expect(result.scales).toBe(2);
    expect(Math.max(...result.iterationsPerLevel)).toBeLessThanOrEqual(3 * 50);
    expect(endpointErrorStats(result, flow).mean).toBeLessThan(0.2);
  });

  it('stops at maxIterations per warp', async () => {
    const { frame0, frame1 } = syntheticPair(64, 64, 1, 2);
    const result = await computeFlow(frame0, frame1, { maxIterations: 2, warps: 3 });
    expect(result.iterationsPerLevel.every((n) => n === 6)).toBe(true);
  });

  it('keeps the iteration cap per warp when the median filter splits a warp into rounds', async () => {
    const { frame0, frame1 } = syntheticPair(64, 64, 1, 2);
    const neverConverges = { epsilon: 1e-12, warps: 2, medianFilter: true };
    const result = await computeFlow(frame0, frame1, { ...neverConverges, maxIterations: 45 });
    expect(result.iterationsPerLevel.every((n) => n === 2 * 45)).toBe(true);
  });

  it('warps with either cubic coefficient and stays exact on smooth sub-pixel motion', async () => {
    const { frame0, frame1, flow } = syntheticPair(96, 80, 1.5, 8);
    for (const warpCubicA of [-0.5, -0.75, -1, 0]) {
      const result = await computeFlow(frame0, frame1, { warpCubicA, sigma: 0 });
      expect(endpointErrorStats(result, flow).mean).toBeLessThan(0.15); // -0.5: 0.09, -0.75: 0.11
    }
  });
});

describe('computeFlow runs off the event loop', () => {
  it('keeps the event loop turning while the native threads work', async () => {
    const { frame0, frame1 } = syntheticPair(384, 384, 2, 3);
    let ticks = 0;
    let running = true;
    const tick = (): void => {
      ticks++;
      if (running) setImmediate(tick);
    };
    setImmediate(tick);
    const before = ticks;
    const pending = computeFlow(frame0, frame1, { epsilon: 0.002 });
    expect(ticks).toBe(before); // computeFlow returned without running the solve inline
    await pending;
    running = false;
    expect(ticks).toBeGreaterThan(10);
  });
});

describe('computeFlow cancellation', () => {
  it('rejects with AbortError when the signal aborts mid-computation, then keeps working', async () => {
    const { frame0, frame1 } = syntheticPair(512, 512, 2, 1);
    const controller = new AbortController();
    const running = computeFlow(frame0, frame1, { signal: controller.signal, epsilon: 1e-6 });
    setTimeout(() => controller.abort(), 20);
    await expect(running).rejects.toMatchObject({ name: 'AbortError' });
    const small = syntheticPair(32, 32, 1, 1);
    const after = await computeFlow(small.frame0, small.frame1);
    expect(after.u).toHaveLength(32 * 32);
  });

  it('rejects a queued computation at once when its signal aborts', async () => {
    const big = syntheticPair(384, 384, 2, 2);
    const small = syntheticPair(32, 32, 1, 2);
    const running = computeFlow(big.frame0, big.frame1, { epsilon: 0.001 });
    const controller = new AbortController();
    const queued = computeFlow(small.frame0, small.frame1, { signal: controller.signal });
    let runningSettled = false;
    void running.finally(() => (runningSettled = true));
    controller.abort();
    await expect(queued).rejects.toMatchObject({ name: 'AbortError' });
    expect(runningSettled).toBe(false); // did not wait for the computation ahead of it
    expect((await running).width).toBe(384);
  });

  it('rejects at once when the signal is already aborted', async () => {
    const frame = randomTexture(32, 32, 1);
    const controller = new AbortController();
    controller.abort();
    await expect(computeFlow(frame, frame, { signal: controller.signal })).rejects.toMatchObject({
      name: 'AbortError',
    });
  });

  it('does not reject when the signal aborts after completion', async () => {
    const frame = randomTexture(32, 32, 1);
    const controller = new AbortController();
    const result = await computeFlow(frame, frame, { signal: controller.signal });
    controller.abort();
    expect(result.width).toBe(32);
  });
});

describe('computeFlow bad input', () => {
  const good = randomTexture(8, 6, 1);

  it('rejects mismatched sizes', async () => {
    await expect(computeFlow(good, randomTexture(6, 8, 1))).rejects.toThrow(/sizes differ/);
  });

  it('rejects zero, negative and fractional sizes', async () => {
    const empty = { width: 0, height: 5, data: new Float32Array(0) };
    await expect(computeFlow(empty, empty)).rejects.toThrow(RangeError);
    const negative = { width: -2, height: -2, data: new Float32Array(4) };
    await expect(computeFlow(negative, negative)).rejects.toThrow(/positive integer/);
    const fractional = { width: 2.5, height: 2, data: new Float32Array(5) };
    await expect(computeFlow(fractional, fractional)).rejects.toThrow(/positive integer/);
  });

  it('rejects buffers of the wrong length or type', async () => {
    const short = { width: 8, height: 6, data: new Float32Array(47) };
    await expect(computeFlow(short, good)).rejects.toThrow(/47 values, expected 8x6 = 48/);
    const wrongType = {
      width: 8,
      height: 6,
      data: new Float64Array(48) as unknown as Float32Array,
    };
    await expect(computeFlow(wrongType, good)).rejects.toThrow(TypeError);
  });

  it('rejects NaN and Infinity', async () => {
    const withNaN = { width: 8, height: 6, data: Float32Array.from(good.data) };
    withNaN.data[17] = Number.NaN;
    await expect(computeFlow(withNaN, good)).rejects.toThrow(/NaN or Infinity at index 17/);
    const withInfinity = { width: 8, height: 6, data: Float32Array.from(good.data) };
    withInfinity.data[0] = Number.NEGATIVE_INFINITY;
    await expect(computeFlow(good, withInfinity)).rejects.toThrow(/NaN or Infinity at index 0/);
  });

  it('rejects images above the documented limits before allocating', async () => {
    const wide = { width: MAX_IMAGE_SIDE + 1, height: 1, data: new Float32Array(1) };
    await expect(computeFlow(wide, wide)).rejects.toThrow(/exceeds the limit of 8192/);
    const big = { width: 5000, height: 5000, data: new Float32Array(1) };
    await expect(computeFlow(big, big)).rejects.toThrow(/exceeds the limit of 16777216 pixels/);
  });

  it('rejects out-of-range options', async () => {
    await expect(computeFlow(good, good, { tau: 0.5 })).rejects.toThrow(/tau/);
    await expect(computeFlow(good, good, { warps: 0 })).rejects.toThrow(/warps/);
    await expect(computeFlow(good, good, { zoom: 1 })).rejects.toThrow(/zoom/);
    await expect(computeFlow(good, good, { threads: 0 })).rejects.toThrow(/threads/);
    await expect(computeFlow(good, good, { epsilon: Number.NaN })).rejects.toThrow(/epsilon/);
    await expect(computeFlow(good, good, { warpCubicA: -1.5 })).rejects.toThrow(
      /warpCubicA must be in \[-1, 0\]/,
    );
    await expect(computeFlow(good, good, { warpCubicA: 0.5 })).rejects.toThrow(/warpCubicA/);
    await expect(computeFlow(good, good, { preset: 'turbo' as unknown as 'fast' })).rejects.toThrow(
      /unknown flow preset/,
    );
  });

  it('the native addon itself throws JS errors for bad direct calls', () => {
    const addon = loadFlowAddon();
    const pixels = new Float32Array(4);
    expect(() =>
      addon.computeFlow(new Float64Array(4) as unknown as Float32Array, pixels, 2, 2, {}),
    ).toThrow(TypeError);
    expect(() => addon.computeFlow(pixels, pixels, 3, 2, {})).toThrow(/expected width\*height = 6/);
    expect(() => addon.computeFlow(pixels, pixels, 0, 4, {})).toThrow(RangeError);
    expect(() => addon.computeFlow(pixels, pixels, 2, 2, { warps: 1.5 })).toThrow(/warps/);
    expect(() =>
      addon.computeFlow(pixels, pixels, 2, 2, { medianFilter: 1 as unknown as boolean }),
    ).toThrow(/medianFilter/);
    expect(() => addon.opticalStrain(pixels, pixels, 2, 3)).toThrow(RangeError);
  });

  it('keeps the TS limits equal to the native ones', () => {
    expect(loadFlowAddon().limits).toMatchObject({
      maxSide: MAX_IMAGE_SIDE,
      maxPixels: MAX_IMAGE_PIXELS,
    });
  });
});

describe('presets', () => {
  it('defaults to the IPOL parameters and lets explicit options win', () => {
    expect(resolveTvl1Options()).toEqual(IPOL_DEFAULTS);
    expect(resolveTvl1Options({ preset: 'fast', warps: 4 })).toEqual({
      ...FLOW_PRESETS.fast,
      warps: 4,
    });
    expect(IPOL_DEFAULTS).toMatchObject({ tau: 0.25, lambda: 0.15, theta: 0.3, warps: 5 });
  });

  it('reports mean and max magnitude', async () => {
    const { frame0, frame1, flow } = syntheticPair(64, 64, 1, 4);
    const truth = flowMagnitudeStats(flow);
    const stats = flowMagnitudeStats(await computeFlow(frame0, frame1));
    expect(Math.abs(stats.mean - truth.mean)).toBeLessThan(0.1);
  });
});
