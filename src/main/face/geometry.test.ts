/**
 * The model was trained on the MEGC2019 composite's flow maps, so our aligned crops must put the
 * face where those maps have it. The composite's maps say where its brows and mouth corners are
 * through their class-mean motion: negative (brow lowerer) and surprise (brow raiser) maps move
 * most at the brows, positive (lip-corner puller) maps move horizontally most at the mouth
 * corners. Our side: the astronaut's FaceMesh brows and mouth corners after alignment.
 *
 * Measured: composite brow motion at row 3.8, its horizontal lobes at columns 6.6 and 20.2,
 * lip-corner motion at row 16.8; our crop puts the brows' upper contour at row 3.3 (columns 7.1
 * and 20.0) and the mouth corners at row 15.6. The anchors used before (eyes at 37 % height) put
 * the brows at row 6.5 and the mouth corners at 18.2: 2.7 rows lower than the training maps.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { noteIfSharedMissing, sharedPath } from '../../../test/support/shared-data';
import { mapMatcher, readFlowMaps, readMapLabels } from '../batch/flow-maps';
import { alignmentFor, applySimilarity } from './align';
import { keyPointsFromMesh, meshPoint } from './keypoints';
import { closeSharedLandmarkDetector, sharedLandmarkDetector } from './landmarks';
import { MAP_SIZE, minMaxPerChannel } from './maps';
import { DEFAULT_CROP_SIZE } from './model-input';
import { loadAstronaut } from './synthetic';

const PLANE = MAP_SIZE * MAP_SIZE;
const U = 0;
const V = 1;
/** FaceMesh upper brow contours (image left, image right) and mouth corners. */
const BROWS = [
  [70, 63, 105, 66, 107],
  [300, 293, 334, 296, 336],
];
const MOUTH_CORNERS = [61, 291];
/** How far (map cells) our features may sit from the composite's motion. */
const TOLERANCE = 1.5;

type Plane = Float32Array;

/** Mean over maps of each map's normalised channel minus its median (zero motion ≈ the median). */
function meanMotion(maps: Float32Array[], channel: number): Plane {
  const mean = new Float32Array(PLANE);
  for (const map of maps) {
    const values = minMaxPerChannel(map).subarray(channel * PLANE, (channel + 1) * PLANE);
    const median = Float32Array.from(values).sort()[PLANE >> 1];
    for (let i = 0; i < PLANE; i++) mean[i] += (values[i] - median) / maps.length;
  }
  return mean;
}

/** Row centroid of |plane| over rows [from, to). */
function rowCentroid(plane: Plane, from: number, to: number): number {
  let weighted = 0;
  let total = 0;
  for (let row = from; row < to; row++) {
    for (let col = 0; col < MAP_SIZE; col++) {
      const weight = Math.abs(plane[row * MAP_SIZE + col]);
      weighted += weight * row;
      total += weight;
    }
  }
  return weighted / total;
}

/** Column centroids of the positive and the negative part of rows [from, to). */
function lobeColumns(
  plane: Plane,
  from: number,
  to: number,
): { positive: number; negative: number } {
  const sums = { positive: [0, 0], negative: [0, 0] };
  for (let row = from; row < to; row++) {
    for (let col = 0; col < MAP_SIZE; col++) {
      const value = plane[row * MAP_SIZE + col];
      const side = value > 0 ? sums.positive : sums.negative;
      side[0] += Math.abs(value) * col;
      side[1] += Math.abs(value);
    }
  }
  return {
    positive: sums.positive[0] / sums.positive[1],
    negative: sums.negative[0] / sums.negative[1],
  };
}

async function compositeMapsByClass(): Promise<Map<string, Float32Array[]>> {
  const { maps } = await readFlowMaps(sharedPath('3db', 'flow'));
  const { labels } = await readMapLabels(sharedPath('3db', 'labels.csv'));
  const byName = new Map(maps.map((map) => [map.name, map.maps]));
  const match = mapMatcher(byName.keys());
  const byClass = new Map<string, Float32Array[]>();
  for (const label of labels) {
    const name = match(label);
    if (name === undefined) continue;
    byClass.set(label.label, [...(byClass.get(label.label) ?? []), byName.get(name)!]);
  }
  return byClass;
}

/** The astronaut's brows and mouth corners in map cells, after our alignment. */
async function ourFeatures(): Promise<{
  browRow: number;
  browColumns: number[];
  mouthRow: number;
}> {
  const { faces } = await sharedLandmarkDetector().detect(await loadAstronaut());
  const mesh = faces[0].mesh;
  const toCrop = alignmentFor(keyPointsFromMesh(mesh), DEFAULT_CROP_SIZE);
  const cell = (index: number) => {
    const p = applySimilarity(toCrop, meshPoint(mesh, index));
    const scale = MAP_SIZE / DEFAULT_CROP_SIZE;
    return { x: p.x * scale - 0.5, y: p.y * scale - 0.5 };
  };
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  const brows = BROWS.map((indexes) => indexes.map(cell));
  return {
    browRow: mean(brows.flat().map((p) => p.y)),
    browColumns: brows.map((points) => mean(points.map((p) => p.x))).sort((a, b) => a - b),
    mouthRow: mean(MOUTH_CORNERS.map((index) => cell(index).y)),
  };
}

describe.skipIf(noteIfSharedMissing('face geometry against the composite maps'))(
  'our aligned crop against the composite flow maps',
  () => {
    afterAll(() => closeSharedLandmarkDetector());

    it('puts the brows and mouth corners where the training maps move', async () => {
      const byClass = await compositeMapsByClass();
      const top = MAP_SIZE / 2;
      const browRows = ['negative', 'surprise'].map((label) =>
        rowCentroid(meanMotion(byClass.get(label)!, V), 0, top),
      );
      const browRow = (browRows[0] + browRows[1]) / 2;
      const browLobes = lobeColumns(meanMotion(byClass.get('negative')!, U), 0, top);
      const mouthRow = rowCentroid(meanMotion(byClass.get('positive')!, U), 10, MAP_SIZE);

      const ours = await ourFeatures();
      expect(Math.abs(ours.browRow - browRow)).toBeLessThan(TOLERANCE);
      expect(Math.abs(ours.mouthRow - mouthRow)).toBeLessThan(TOLERANCE);
      // Brows lowered move inward: the left brow right (+u), the right brow left (-u).
      expect(Math.abs(ours.browColumns[0] - browLobes.positive)).toBeLessThan(TOLERANCE);
      expect(Math.abs(ours.browColumns[1] - browLobes.negative)).toBeLessThan(TOLERANCE);
    }, 60_000);
  },
);
