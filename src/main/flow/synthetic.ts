import { seededRandom } from '../../shared/random';
import type { FlowField, GreyImage } from './types';

/**
 * Synthetic frame pairs with exactly known flow, for tests and benchmarks: a textured frame1 and
 * frame0(x) = frame1(x + flow(x)) sampled with Keys bicubic interpolation.
 */

/** Smooth random texture in [0, 255]: white noise blurred by three box passes of `radius`. */
export function randomTexture(width: number, height: number, seed = 1, radius = 2): GreyImage {
  const random = seededRandom(seed);
  let values: Float32Array = new Float32Array(width * height);
  for (let i = 0; i < values.length; i++) values[i] = random();
  for (let pass = 0; pass < 3; pass++) {
    values = boxBlur(values, width, height, radius);
  }
  let low = Infinity;
  let high = -Infinity;
  for (const value of values) {
    low = Math.min(low, value);
    high = Math.max(high, value);
  }
  const scale = high > low ? 255 / (high - low) : 0;
  for (let i = 0; i < values.length; i++) values[i] = (values[i] - low) * scale;
  return { width, height, data: values };
}

function boxBlur(src: Float32Array, width: number, height: number, radius: number): Float32Array {
  const horizontal = new Float32Array(src.length);
  const out = new Float32Array(src.length);
  const clampIndex = (i: number, n: number): number => Math.min(Math.max(i, 0), n - 1);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let sum = 0;
      for (let k = -radius; k <= radius; k++) sum += src[y * width + clampIndex(x + k, width)];
      horizontal[y * width + x] = sum / (2 * radius + 1);
    }
  }
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let sum = 0;
      for (let k = -radius; k <= radius; k++) {
        sum += horizontal[clampIndex(y + k, height) * width + x];
      }
      out[y * width + x] = sum / (2 * radius + 1);
    }
  }
  return out;
}

/** A smooth rotational + sinusoidal field whose magnitude stays below `amplitude` pixels. */
export function smoothFlowField(width: number, height: number, amplitude: number): FlowField {
  const u = new Float32Array(width * height);
  const v = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const sx = (2 * Math.PI * x) / width;
      const sy = (2 * Math.PI * y) / height;
      // |(u, v)| <= amplitude·sqrt(0.5² + 0.5²) < amplitude
      u[y * width + x] = amplitude * 0.5 * (Math.sin(sy) + Math.cos(0.5 * sx));
      v[y * width + x] = amplitude * 0.5 * (Math.cos(sx) - Math.sin(0.5 * sy));
    }
  }
  return { width, height, u, v };
}

/** Keys (a = −0.5) cubic weights for fractional offset t. */
function keys(t: number): [number, number, number, number] {
  const t2 = t * t;
  const t3 = t2 * t;
  return [
    -0.5 * t3 + t2 - 0.5 * t,
    1.5 * t3 - 2.5 * t2 + 1,
    -1.5 * t3 + 2 * t2 + 0.5 * t,
    0.5 * t3 - 0.5 * t2,
  ];
}

/** Bicubic value of `image` at (x, y), borders replicated. */
export function sampleBicubic(image: GreyImage, x: number, y: number): number {
  const fx = Math.floor(x);
  const fy = Math.floor(y);
  const wx = keys(x - fx);
  const wy = keys(y - fy);
  let sum = 0;
  for (let r = 0; r < 4; r++) {
    const row = Math.min(Math.max(fy - 1 + r, 0), image.height - 1) * image.width;
    let horizontal = 0;
    for (let c = 0; c < 4; c++) {
      const column = Math.min(Math.max(fx - 1 + c, 0), image.width - 1);
      horizontal += wx[c] * image.data[row + column];
    }
    sum += wy[r] * horizontal;
  }
  return sum;
}

/** frame0 such that frame0(x) = frame1(x + flow(x)): the pair (frame0, frame1) has flow `flow`. */
export function warpBackward(frame1: GreyImage, flow: FlowField): GreyImage {
  const data = new Float32Array(frame1.width * frame1.height);
  for (let y = 0; y < frame1.height; y++) {
    for (let x = 0; x < frame1.width; x++) {
      const i = y * frame1.width + x;
      data[i] = sampleBicubic(frame1, x + flow.u[i], y + flow.v[i]);
    }
  }
  return { width: frame1.width, height: frame1.height, data };
}

/** A pair with known smooth motion: returns frame0, frame1 and the exact flow between them. */
export function syntheticPair(
  width: number,
  height: number,
  amplitude: number,
  seed = 1,
): { frame0: GreyImage; frame1: GreyImage; flow: FlowField } {
  const frame1 = randomTexture(width, height, seed);
  const flow = smoothFlowField(width, height, amplitude);
  return { frame0: warpBackward(frame1, flow), frame1, flow };
}

/** Crops a rectangle out of a grey image. */
export function cropGrey(
  image: GreyImage,
  left: number,
  top: number,
  width: number,
  height: number,
): GreyImage {
  const data = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      data[y * width + x] = image.data[(top + y) * image.width + left + x];
    }
  }
  return { width, height, data };
}
