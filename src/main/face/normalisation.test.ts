/**
 * "Normalisation that travels": the model (models/ahmsa-net.card.json) min-max stretches each
 * sample's channels to [0, 1] inside its graph, so float flow in crop pixels (ours) and the
 * composite's 8-bit per-sample-stretched PNGs (../shared/data/3db/flow) reach it on one scale.
 * This test compares what the model sees from both.
 *
 * Ours: 12 synthetic micro-expressions on the astronaut photo — lip-corner pull, brow raise,
 * brow lower at 0.5–2 px (photo pixels; ≈ 1–4 crop pixels), sensor noise σ 2 grey levels on both
 * frames and a head drift of up to ±0.3 px — through the real landmark, alignment and TV-L1 code.
 *
 * Measured (per-sample statistics, median over samples; 442 composite maps vs these 12):
 *   channel   per-sample mean          per-sample median
 *   u         0.486 vs 0.541           0.486 vs 0.540
 *   v         0.546 vs 0.810           0.549 vs 0.838
 *   strain    0.094 vs 0.122           0.051 vs 0.092
 * u and strain agree within the bounds asserted below. v does not, and cannot on this synthetic
 * set: min-max stretching puts zero motion at the end of the range opposite to the dominant
 * motion, and our three AU motions all move mostly vertically one way (up for AU12 and AU1+2,
 * down for AU4), while real clips mix directions and head motion. What holds for v — and is
 * asserted — is that every one of our per-sample means lies inside the range the composite's
 * samples cover, i.e. the model has seen inputs like ours.
 */
import { readdir } from 'node:fs/promises';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasSharedData, noteIfSharedMissing, sharedPath } from '../../../test/support/shared-data';
import type { RawFrame } from '../media/pam';
import { closeSharedLandmarkDetector } from './landmarks';
import { MAP_SIZE, minMaxPerChannel } from './maps';
import { buildModelInput } from './model-input';
import { addNoise, loadAstronaut, syntheticExpressions } from './synthetic';

const PLANE = MAP_SIZE * MAP_SIZE;
const CHANNELS = ['u', 'v', 'strain'] as const;

interface ChannelStats {
  mean: number;
  median: number;
  min: number;
  max: number;
}

function channelStats(maps: Float32Array, channel: number): ChannelStats {
  const values = Array.from(maps.subarray(channel * PLANE, (channel + 1) * PLANE)).sort(
    (a, b) => a - b,
  );
  return {
    mean: values.reduce((a, b) => a + b, 0) / values.length,
    median: values[values.length >> 1],
    min: values[0],
    max: values[values.length - 1],
  };
}

function medianOf(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

const rawOurs: Float32Array[] = [];

beforeAll(async () => {
  const photo: RawFrame = await loadAstronaut();
  const points = (await buildModelInput(photo, addNoise(photo, 1, 1))).points!;
  for (const { onset, apex } of syntheticExpressions(photo, points, [0.5, 1, 1.5, 2])) {
    const input = await buildModelInput(onset, apex);
    expect(input.status).toBe('ok');
    rawOurs.push(input.maps);
  }
}, 120_000);

afterAll(() => closeSharedLandmarkDetector());

describe('our maps after the model normalisation', () => {
  it('span exactly [0, 1] in every channel of every sample, like the composite PNGs', () => {
    expect(rawOurs).toHaveLength(12);
    for (const maps of rawOurs) {
      const normalised = minMaxPerChannel(maps);
      for (let c = 0; c < 3; c++) {
        const { min, max } = channelStats(normalised, c);
        expect(min).toBe(0);
        expect(max).toBeCloseTo(1, 5);
      }
    }
  });
});

describe.skipIf(noteIfSharedMissing('composite map statistics'))(
  'against the composite maps',
  () => {
    let composite: Float32Array[] = [];

    beforeAll(async () => {
      const dir = sharedPath('3db', 'flow');
      const files = (await readdir(dir)).filter((file) => file.endsWith('.png'));
      composite = await Promise.all(
        files.map(async (file) => {
          const { data } = await sharp(`${dir}/${file}`)
            .removeAlpha()
            .raw()
            .toBuffer({ resolveWithObject: true });
          const maps = new Float32Array(3 * PLANE);
          for (let i = 0; i < PLANE; i++)
            for (let c = 0; c < 3; c++) maps[c * PLANE + i] = data[3 * i + c];
          return maps;
        }),
      );
    });

    const summary = (set: Float32Array[], c: number, key: keyof ChannelStats) =>
      medianOf(set.map((maps) => channelStats(minMaxPerChannel(maps), c)[key]));

    it('differ wildly in raw scale (pixels vs 0..255): the normalisation is what makes them meet', () => {
      expect(hasSharedData).toBe(true);
      expect(composite).toHaveLength(442);
      const rawRange = (set: Float32Array[]) =>
        medianOf(set.map((m) => channelStats(m, 0).max - channelStats(m, 0).min));
      expect(rawRange(composite) / rawRange(rawOurs)).toBeGreaterThan(20);
    });

    it('u: per-sample mean and median agree within 0.08', () => {
      for (const key of ['mean', 'median'] as const) {
        expect(Math.abs(summary(rawOurs, 0, key) - summary(composite, 0, key))).toBeLessThan(0.08);
      }
    });

    it('strain: per-sample mean within 0.06, median within 0.08, skewed (mean > median) in both', () => {
      expect(Math.abs(summary(rawOurs, 2, 'mean') - summary(composite, 2, 'mean'))).toBeLessThan(
        0.06,
      );
      expect(
        Math.abs(summary(rawOurs, 2, 'median') - summary(composite, 2, 'median')),
      ).toBeLessThan(0.08);
      for (const set of [rawOurs, composite]) {
        expect(summary(set, 2, 'mean')).toBeGreaterThan(summary(set, 2, 'median'));
      }
    });

    it('every channel: each of our per-sample means lies inside the range the composite covers', () => {
      for (let c = 0; c < 3; c++) {
        const theirs = composite.map((maps) => channelStats(minMaxPerChannel(maps), c).mean);
        const low = Math.min(...theirs);
        const high = Math.max(...theirs);
        for (const maps of rawOurs) {
          const mean = channelStats(minMaxPerChannel(maps), c).mean;
          expect(
            mean,
            `${CHANNELS[c]} mean ${mean.toFixed(3)} outside [${low.toFixed(3)}, ${high.toFixed(3)}]`,
          ).toBeGreaterThanOrEqual(low);
          expect(mean).toBeLessThanOrEqual(high);
        }
      }
    });
  },
);
