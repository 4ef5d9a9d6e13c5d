import sharp from 'sharp';
import { projectFile } from '../app/paths';
import type { ThreeClass } from '../../shared/domain';
import type { RawFrame } from '../media/pam';
import type { KeyPoints } from './keypoints';

/**
 * Test and benchmark images with known geometry and known motion, made from the committed
 * public-domain face photo (assets/astronaut.png, 512×512; face around x 170–290, y 40–190).
 */

export async function loadImageFrame(file: string): Promise<RawFrame> {
  const { data, info } = await sharp(file)
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const channels = info.channels === 1 ? 1 : 3;
  return { width: info.width, height: info.height, channels, data: new Uint8Array(data) };
}

export function loadAstronaut(): Promise<RawFrame> {
  return loadImageFrame(projectFile('assets/astronaut.png'));
}

/** A smooth local displacement: (dx, dy) pixels at (x, y), fading as a Gaussian of sigma `radius`/2. */
export interface Bump {
  x: number;
  y: number;
  radius: number;
  dx: number;
  dy: number;
}

/** Displacement of pixel (x, y) under a sum of bumps. */
export function bumpDisplacement(bumps: readonly Bump[], x: number, y: number): [number, number] {
  let dx = 0;
  let dy = 0;
  for (const bump of bumps) {
    const sigma = bump.radius / 2;
    const weight = Math.exp(-((x - bump.x) ** 2 + (y - bump.y) ** 2) / (2 * sigma * sigma));
    dx += bump.dx * weight;
    dy += bump.dy * weight;
  }
  return [dx, dy];
}

/**
 * The frame after the content moved by the bumps: out(x) = in(x − d(x)), so the flow from the
 * input to the output is ≈ d (exact to first order for displacements of a few pixels).
 */
export function applyBumps(frame: RawFrame, bumps: readonly Bump[]): RawFrame {
  return resample(frame, (x, y) => {
    const [dx, dy] = bumpDisplacement(bumps, x, y);
    return [x - dx, y - dy];
  });
}

/** The frame rotated by `degrees` about (cx, cy) and then shifted by (tx, ty). */
export function moveHead(
  frame: RawFrame,
  degrees: number,
  tx: number,
  ty: number,
  centre = { x: frame.width / 2, y: frame.height / 2 },
): RawFrame {
  const angle = (degrees * Math.PI) / 180;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  return resample(frame, (x, y) => {
    const ux = x - tx - centre.x;
    const uy = y - ty - centre.y;
    return [cos * ux + sin * uy + centre.x, -sin * ux + cos * uy + centre.y];
  });
}

/** out(x, y) = in(source(x, y)), bilinear, edge pixels repeated. */
function resample(frame: RawFrame, source: (x: number, y: number) => [number, number]): RawFrame {
  const { width, height, channels } = frame;
  const data = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [sx, sy] = source(x, y);
      const cx = Math.min(Math.max(sx, 0), width - 1);
      const cy = Math.min(Math.max(sy, 0), height - 1);
      const x0 = Math.min(Math.floor(cx), width - 2);
      const y0 = Math.min(Math.floor(cy), height - 2);
      const fx = cx - x0;
      const fy = cy - y0;
      for (let c = 0; c < channels; c++) {
        const at = (px: number, py: number) => frame.data[(py * width + px) * channels + c];
        const top = at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx;
        const bottom = at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx;
        data[(y * width + x) * channels + c] = Math.round(top * (1 - fy) + bottom * fy);
      }
    }
  }
  return { width, height, channels, data };
}

/** Adds independent Gaussian noise (sensor-like) with a seeded generator. */
export function addNoise(frame: RawFrame, sigma: number, seed: number): RawFrame {
  const random = seeded(seed);
  const data = new Uint8Array(frame.data.length);
  for (let i = 0; i < data.length; i++) {
    const gaussian = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    data[i] = Math.min(255, Math.max(0, Math.round(frame.data[i] + sigma * gaussian)));
  }
  return { ...frame, data };
}

export function seeded(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
}

/** Two frames side by side; the second scaled by `secondScale` and centred vertically. */
export async function sideBySide(
  left: RawFrame,
  right: RawFrame,
  secondScale = 1,
): Promise<RawFrame> {
  const scaled = await resize(right, Math.round(right.width * secondScale));
  const width = left.width + scaled.width;
  const height = Math.max(left.height, scaled.height);
  const out: RawFrame = { width, height, channels: 3, data: new Uint8Array(width * height * 3) };
  paste(out, left, 0, 0);
  paste(out, scaled, left.width, Math.floor((height - scaled.height) / 2));
  return out;
}

export function paste(target: RawFrame, source: RawFrame, left: number, top: number): void {
  for (let y = 0; y < source.height; y++) {
    for (let x = 0; x < source.width; x++) {
      const tx = x + left;
      const ty = y + top;
      if (tx < 0 || ty < 0 || tx >= target.width || ty >= target.height) continue;
      for (let c = 0; c < target.channels; c++) {
        const sc = source.channels === 1 ? 0 : c;
        target.data[(ty * target.width + tx) * target.channels + c] =
          source.data[(y * source.width + x) * source.channels + sc];
      }
    }
  }
}

export async function resize(frame: RawFrame, width: number, height?: number): Promise<RawFrame> {
  const { data, info } = await sharp(frame.data, {
    raw: { width: frame.width, height: frame.height, channels: frame.channels },
  })
    .resize(width, height, { fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return {
    width: info.width,
    height: info.height,
    channels: frame.channels,
    data: new Uint8Array(data),
  };
}

export function uniformFrame(width: number, height: number, value: number): RawFrame {
  return { width, height, channels: 3, data: new Uint8Array(width * height * 3).fill(value) };
}

export function greyFrame(frame: RawFrame): RawFrame {
  if (frame.channels === 1) return frame;
  const data = new Uint8Array(frame.width * frame.height);
  for (let i = 0; i < data.length; i++) {
    const d = frame.data;
    data[i] = Math.round(0.299 * d[3 * i] + 0.587 * d[3 * i + 1] + 0.114 * d[3 * i + 2]);
  }
  return { width: frame.width, height: frame.height, channels: 1, data };
}

/** A 640×480 frame with the astronaut's face where a webcam would put it (for the benchmark). */
export async function webcamFrame(face: RawFrame): Promise<RawFrame> {
  const out = uniformFrame(640, 480, 90);
  paste(out, await resize(face, 400, 400), 120, 40);
  return out;
}

/** The three AU-like motions on a face's key points, `amplitude` source pixels at their centres. */
export function expressionBumps(points: KeyPoints, amplitude: number): Record<ThreeClass, Bump[]> {
  const a = amplitude;
  const aboveEye = (eye: { x: number; y: number }) => ({ x: eye.x, y: eye.y - 12 });
  return {
    // AU12: lip corners pulled out and up.
    positive: [
      { ...points.leftMouth, radius: 14, dx: -0.7 * a, dy: -0.7 * a },
      { ...points.rightMouth, radius: 14, dx: 0.7 * a, dy: -0.7 * a },
    ],
    // AU1+2: brows raised.
    surprise: [points.leftEye, points.rightEye].map((eye) => ({
      ...aboveEye(eye),
      radius: 16,
      dx: 0,
      dy: -a,
    })),
    // AU4: brows lowered and drawn together.
    negative: [
      { ...aboveEye(points.leftEye), radius: 14, dx: 0.5 * a, dy: 0.85 * a },
      { ...aboveEye(points.rightEye), radius: 14, dx: -0.5 * a, dy: 0.85 * a },
    ],
  };
}

export interface SyntheticExpression {
  threeClass: ThreeClass;
  amplitude: number;
  onset: RawFrame;
  apex: RawFrame;
}

/**
 * Onset/apex pairs of the three motions at each amplitude, in that order (positive, surprise,
 * negative), with sensor noise (σ 2 grey levels) on both frames and a head drift of up to ±0.3 px
 * in the apex. The same seeds give the same pairs.
 */
export function syntheticExpressions(
  photo: RawFrame,
  points: KeyPoints,
  amplitudes: readonly number[],
): SyntheticExpression[] {
  const random = seeded(11);
  let seed = 100;
  const pairs: SyntheticExpression[] = [];
  for (const amplitude of amplitudes) {
    const bumps = expressionBumps(points, amplitude);
    for (const threeClass of ['positive', 'surprise', 'negative'] as const) {
      const drift = () => (random() - 0.5) * 0.6;
      const onset = addNoise(photo, 2, seed++);
      const moved = moveHead(applyBumps(photo, bumps[threeClass]), 0, drift(), drift());
      pairs.push({ threeClass, amplitude, onset, apex: addNoise(moved, 2, seed++) });
    }
  }
  return pairs;
}
