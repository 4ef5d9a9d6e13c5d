import type { FlowField } from '../flow';
import { KEY_POINT_NAMES, type KeyPointName, type KeyPoints } from './keypoints';

export const MAP_SIZE = 28;
export const MAP_CHANNELS = 3;
/** Side of each region window in the mosaic, in map cells (HTNet: 14). */
export const MOSAIC_WINDOW = 14;

/** The four (or five) windows of a mosaic and where they were cut, in map cells. */
export interface MosaicWindow {
  region: KeyPointName;
  /** Top-left corner of the window in the whole-face map. */
  from: { x: number; y: number };
  /** Top-left corner where it was placed in the mosaic. */
  to: { x: number; y: number };
}

export interface FlowMaps {
  /** [3, 28, 28] float32: u, v (crop pixels), optical strain of the whole aligned face. */
  whole: Float32Array;
  /** [3, 28, 28] float32: the region mosaic cut from `whole`. */
  mosaic: Float32Array;
  windows: MosaicWindow[];
}

export interface MapOptions {
  /**
   * Add the nose: its 14×14 window is pasted over the centre of the 2×2 mosaic (cells 7–20),
   * covering the inner quarter of each of the other four. Default false (HTNet's mosaic).
   */
  includeNose?: boolean;
}

/**
 * Builds both model inputs from the flow of an aligned face crop:
 * - `whole`: u, v and strain area-averaged from the crop (size × size) down to 28×28;
 * - `mosaic`: HTNet's region mosaic, four 14×14 windows of `whole` centred on the key points
 *   (crop pixels, scaled to map cells, rounded; windows are shifted inside the map where a
 *   point is closer than 7 cells to an edge), arranged [leftEye | leftMouth] over
 *   [rightEye | rightMouth]; `includeNose` adds the nose window at the centre.
 * Values are not rescaled: the model normalises each sample's channels itself.
 */
export function buildFlowMaps(
  flow: FlowField,
  strain: Float32Array,
  cropPoints: KeyPoints,
  options: MapOptions = {},
): FlowMaps {
  const { width, height } = flow;
  const plane = MAP_SIZE * MAP_SIZE;
  const whole = new Float32Array(MAP_CHANNELS * plane);
  whole.set(areaResize(flow.u, width, height, MAP_SIZE), 0);
  whole.set(areaResize(flow.v, width, height, MAP_SIZE), plane);
  whole.set(areaResize(strain, width, height, MAP_SIZE), 2 * plane);
  const layout: Array<[KeyPointName, number, number]> = [
    ['leftEye', 0, 0],
    ['leftMouth', MOSAIC_WINDOW, 0],
    ['rightEye', 0, MOSAIC_WINDOW],
    ['rightMouth', MOSAIC_WINDOW, MOSAIC_WINDOW],
  ];
  if (options.includeNose) layout.push(['nose', MOSAIC_WINDOW / 2, MOSAIC_WINDOW / 2]);
  const mosaic = new Float32Array(MAP_CHANNELS * plane);
  const windows: MosaicWindow[] = [];
  for (const [region, toX, toY] of layout) {
    const point = cropPoints[region];
    const from = {
      x: windowStart((point.x * MAP_SIZE) / width),
      y: windowStart((point.y * MAP_SIZE) / height),
    };
    copyWindow(whole, mosaic, from, { x: toX, y: toY });
    windows.push({ region, from, to: { x: toX, y: toY } });
  }
  return { whole, mosaic, windows };
}

function windowStart(centre: number): number {
  const start = Math.round(centre) - MOSAIC_WINDOW / 2;
  return Math.min(Math.max(start, 0), MAP_SIZE - MOSAIC_WINDOW);
}

function copyWindow(
  source: Float32Array,
  target: Float32Array,
  from: { x: number; y: number },
  to: { x: number; y: number },
): void {
  const plane = MAP_SIZE * MAP_SIZE;
  for (let c = 0; c < MAP_CHANNELS; c++) {
    for (let row = 0; row < MOSAIC_WINDOW; row++) {
      const src = c * plane + (from.y + row) * MAP_SIZE + from.x;
      target.set(
        source.subarray(src, src + MOSAIC_WINDOW),
        c * plane + (to.y + row) * MAP_SIZE + to.x,
      );
    }
  }
}

/**
 * Area-average resampling of a width × height map to size × size: each output cell is the mean
 * of the source area it covers, partial pixels weighted by their covered fraction (what
 * OpenCV's INTER_AREA does when shrinking).
 */
export function areaResize(
  source: Float32Array,
  width: number,
  height: number,
  size: number,
): Float32Array {
  const out = new Float32Array(size * size);
  const sx = width / size;
  const sy = height / size;
  for (let y = 0; y < size; y++) {
    const y0 = y * sy;
    const y1 = y0 + sy;
    for (let x = 0; x < size; x++) {
      const x0 = x * sx;
      const x1 = x0 + sx;
      let sum = 0;
      for (let py = Math.floor(y0); py < Math.ceil(y1); py++) {
        const wy = Math.min(py + 1, y1) - Math.max(py, y0);
        const rowOffset = py * width;
        for (let px = Math.floor(x0); px < Math.ceil(x1); px++) {
          const wx = Math.min(px + 1, x1) - Math.max(px, x0);
          sum += source[rowOffset + px] * wx * wy;
        }
      }
      out[y * size + x] = sum / (sx * sy);
    }
  }
  return out;
}

/**
 * The model's own input normalisation (models/ahmsa-net.card.json, done inside the ONNX graph),
 * reproduced for previews and tests: per sample and per channel x' = (x − min) / max(max − min,
 * 1e-6), so each channel spans [0, 1] and a constant channel becomes 0.
 */
export function minMaxPerChannel(maps: Float32Array, channels = MAP_CHANNELS): Float32Array {
  const plane = maps.length / channels;
  const out = new Float32Array(maps.length);
  for (let c = 0; c < channels; c++) {
    const values = maps.subarray(c * plane, (c + 1) * plane);
    let min = Infinity;
    let max = -Infinity;
    for (const value of values) {
      if (value < min) min = value;
      if (value > max) max = value;
    }
    const scale = 1 / Math.max(max - min, 1e-6);
    for (let i = 0; i < plane; i++) out[c * plane + i] = (values[i] - min) * scale;
  }
  return out;
}

/** Side of the square region, in crop pixels, over which regionMotion averages: a quarter of the crop. */
export function regionSide(cropSize: number): number {
  return Math.round(cropSize / 4);
}

/** Mean flow magnitude (crop pixels) in a square of side cropSize/4 around each key point. */
export function regionMotion(flow: FlowField, cropPoints: KeyPoints): Record<KeyPointName, number> {
  const half = regionSide(flow.width) / 2;
  const motion = {} as Record<KeyPointName, number>;
  for (const name of KEY_POINT_NAMES) {
    const { x, y } = cropPoints[name];
    const x0 = Math.max(0, Math.round(x - half));
    const x1 = Math.min(flow.width, Math.round(x + half));
    const y0 = Math.max(0, Math.round(y - half));
    const y1 = Math.min(flow.height, Math.round(y + half));
    let sum = 0;
    let count = 0;
    for (let py = y0; py < y1; py++) {
      for (let px = x0; px < x1; px++) {
        const i = py * flow.width + px;
        sum += Math.hypot(flow.u[i], flow.v[i]);
        count++;
      }
    }
    motion[name] = count > 0 ? sum / count : 0;
  }
  return motion;
}
