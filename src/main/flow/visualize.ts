import { flowMagnitude, isKnownFlow } from './metrics';
import { computeStrain } from './strain';
import type { FlowField, RgbaImage } from './types';
import { checkDimensions, checkFlowField } from './validate';

/**
 * Middlebury colour wheel (Baker et al.): hue segments red→yellow→green→cyan→blue→magenta, as a
 * flat [r, g, b, r, g, b, …] table of 55 entries scaled to 0..1.
 */
const COLOR_WHEEL: Float32Array = buildColorWheel();
const WHEEL_SIZE = COLOR_WHEEL.length / 3;

function buildColorWheel(): Float32Array {
  const segments: [number, (i: number, n: number) => [number, number, number]][] = [
    [15, (i, n) => [255, (255 * i) / n, 0]], // red → yellow
    [6, (i, n) => [255 - (255 * i) / n, 255, 0]], // yellow → green
    [4, (i, n) => [0, 255, (255 * i) / n]], // green → cyan
    [11, (i, n) => [0, 255 - (255 * i) / n, 255]], // cyan → blue
    [13, (i, n) => [(255 * i) / n, 0, 255]], // blue → magenta
    [6, (i, n) => [255, 0, 255 - (255 * i) / n]], // magenta → red
  ];
  const wheel: number[] = [];
  for (const [count, color] of segments) {
    for (let i = 0; i < count; i++) wheel.push(...color(i, count).map((c) => c / 255));
  }
  return Float32Array.from(wheel);
}

export interface FlowColorOptions {
  /** Magnitude mapped to full saturation; default: the largest known magnitude in the field. */
  maxMagnitude?: number;
}

/**
 * Middlebury colour coding of a flow field: hue = direction, saturation = magnitude relative to
 * maxMagnitude (white = no motion; beyond maxMagnitude colours are darkened), unknown = black.
 */
export function flowToColor(flow: FlowField, options: FlowColorOptions = {}): RgbaImage {
  checkFlowField(flow, 'flow');
  const maxMagnitude = options.maxMagnitude ?? largestKnownMagnitude(flow);
  if (!(maxMagnitude >= 0) || !Number.isFinite(maxMagnitude)) {
    throw new RangeError(`maxMagnitude must be a finite number >= 0, got ${maxMagnitude}`);
  }
  const scale = maxMagnitude > 0 ? 1 / maxMagnitude : 0;
  const data = new Uint8ClampedArray(flow.u.length * 4);
  for (let i = 0; i < flow.u.length; i++) {
    const u = flow.u[i];
    const v = flow.v[i];
    data[4 * i + 3] = 255;
    if (!isKnownFlow(u, v) || Number.isNaN(u) || Number.isNaN(v)) continue;
    writeWheelColor(u * scale, v * scale, data, 4 * i);
  }
  return { width: flow.width, height: flow.height, data };
}

function writeWheelColor(fx: number, fy: number, out: Uint8ClampedArray, offset: number): void {
  const radius = Math.sqrt(fx * fx + fy * fy);
  const position = ((Math.atan2(-fy, -fx) / Math.PI + 1) / 2) * (WHEEL_SIZE - 1);
  const k0 = Math.floor(position);
  const i0 = 3 * k0;
  const i1 = k0 + 1 === WHEEL_SIZE ? 0 : i0 + 3;
  const f = position - k0;
  const r = (1 - f) * COLOR_WHEEL[i0] + f * COLOR_WHEEL[i1];
  const g = (1 - f) * COLOR_WHEEL[i0 + 1] + f * COLOR_WHEEL[i1 + 1];
  const b = (1 - f) * COLOR_WHEEL[i0 + 2] + f * COLOR_WHEEL[i1 + 2];
  // Inside the unit disc blend towards white; beyond maxMagnitude darken. The clamped array
  // rounds on assignment.
  if (radius <= 1) {
    out[offset] = 255 * (1 - radius * (1 - r));
    out[offset + 1] = 255 * (1 - radius * (1 - g));
    out[offset + 2] = 255 * (1 - radius * (1 - b));
  } else {
    out[offset] = 191.25 * r;
    out[offset + 1] = 191.25 * g;
    out[offset + 2] = 191.25 * b;
  }
}

function largestKnownMagnitude(flow: FlowField): number {
  let max = 0;
  for (let i = 0; i < flow.u.length; i++) {
    if (!isKnownFlow(flow.u[i], flow.v[i])) continue;
    const magnitude = Math.sqrt(flow.u[i] * flow.u[i] + flow.v[i] * flow.v[i]);
    if (magnitude > max) max = magnitude;
  }
  return max;
}

/**
 * Viridis (perceptually uniform, colour-blind safe) at t ∈ [0, 1] from a degree-6 polynomial fit
 * of matplotlib's table (Matt Zucker's coefficients); returns 0..255 RGB.
 */
export function viridis(t: number): [number, number, number] {
  const x = Math.min(Math.max(t, 0), 1);
  const channel = (c: readonly number[]): number =>
    255 * (c[0] + x * (c[1] + x * (c[2] + x * (c[3] + x * (c[4] + x * (c[5] + x * c[6]))))));
  return [channel(VIRIDIS_R), channel(VIRIDIS_G), channel(VIRIDIS_B)];
}

const VIRIDIS_R = [
  0.2777273272234177, 0.1050930431085774, -0.3308618287255563, -4.634230498983486,
  6.228269936347081, 4.776384997670288, -5.435455855934631,
];
const VIRIDIS_G = [
  0.005407344544966578, 1.404613529898575, 0.214847559468213, -5.799100973351585, 14.17993336680509,
  -13.74514537774601, 4.645852612178535,
];
const VIRIDIS_B = [
  0.3340998053353061, 1.384590162594685, 0.09509516302823659, -19.33244095627987, 56.69055260068105,
  -65.35303263337234, 26.3124352495832,
];

export interface HeatmapOptions {
  /** Value drawn darkest; default 0. */
  min?: number;
  /** Value drawn brightest; default the largest finite value. */
  max?: number;
}

/**
 * Viridis heatmap of a scalar field (flow magnitude, strain…). NaN/Infinity pixels are black;
 * values outside [min, max] are clamped.
 */
export function heatmap(
  values: Float32Array,
  width: number,
  height: number,
  options: HeatmapOptions = {},
): RgbaImage {
  checkDimensions(width, height, 'heatmap');
  if (values.length !== width * height) {
    throw new RangeError(`heatmap: ${values.length} values, expected ${width}x${height}`);
  }
  const min = options.min ?? 0;
  const max = options.max ?? largestFinite(values, min);
  if (!Number.isFinite(min) || !Number.isFinite(max) || max < min) {
    throw new RangeError(`heatmap: need finite min <= max, got [${min}, ${max}]`);
  }
  const palette = viridisPalette();
  const scale = max > min ? 255 / (max - min) : 0;
  const data = new Uint8ClampedArray(values.length * 4);
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    data[4 * i + 3] = 255;
    if (!Number.isFinite(value)) continue;
    const index = Math.min(255, Math.max(0, Math.round((value - min) * scale)));
    data[4 * i] = palette[3 * index];
    data[4 * i + 1] = palette[3 * index + 1];
    data[4 * i + 2] = palette[3 * index + 2];
  }
  return { width, height, data };
}

function largestFinite(values: Float32Array, floor: number): number {
  let max = floor;
  for (const value of values) if (Number.isFinite(value) && value > max) max = value;
  return max;
}

let cachedPalette: Uint8ClampedArray | undefined;

function viridisPalette(): Uint8ClampedArray {
  if (!cachedPalette) {
    cachedPalette = new Uint8ClampedArray(256 * 3);
    for (let i = 0; i < 256; i++) cachedPalette.set(viridis(i / 255).map(Math.round), 3 * i);
  }
  return cachedPalette;
}

/** Viridis heatmap of |(u, v)| (default range 0 .. the largest magnitude). */
export function magnitudeHeatmap(flow: FlowField, options: HeatmapOptions = {}): RgbaImage {
  checkFlowField(flow, 'flow');
  return heatmap(flowMagnitude(flow), flow.width, flow.height, options);
}

/** Viridis heatmap of the optical strain of `flow` (see computeStrain). */
export function strainHeatmap(flow: FlowField, options: HeatmapOptions = {}): RgbaImage {
  return heatmap(computeStrain(flow), flow.width, flow.height, options);
}
