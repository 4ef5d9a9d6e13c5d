import type { KeyPoints, Point } from './keypoints';

/**
 * Similarity alignment: the transform that best maps the onset's eye centres and nose tip onto
 * fixed positions of a square crop (least squares, closed form), applied to onset and apex alike,
 * so the face keeps its size and place and the motion between the two frames is left untouched.
 */

/** x' = a·x − b·y + tx, y' = b·x + a·y + ty (source pixels → crop pixels). */
export interface Similarity {
  a: number;
  b: number;
  tx: number;
  ty: number;
}

/**
 * Where the anchors sit in the crop, as fractions of its side: eyes at 26 % height, 40 % of the
 * side apart, nose tip at 48 %. The brows then land near 14 % and the mouth corners near 62 %,
 * where the MEGC2019 composite's flow maps (the model's training data) have them: measured on
 * their class-mean motion (brow motion of negative and surprise maps, lip-corner motion of
 * positive maps), see test/integration/map-geometry.test.ts.
 */
export const CANONICAL_ANCHORS = {
  leftEye: { x: 0.3, y: 0.26 },
  rightEye: { x: 0.7, y: 0.26 },
  nose: { x: 0.5, y: 0.48 },
} as const;

export function applySimilarity(t: Similarity, p: Point): Point {
  return { x: t.a * p.x - t.b * p.y + t.tx, y: t.b * p.x + t.a * p.y + t.ty };
}

export function invertSimilarity(t: Similarity): Similarity {
  const scale2 = t.a * t.a + t.b * t.b;
  const a = t.a / scale2;
  const b = -t.b / scale2;
  return { a, b, tx: -(a * t.tx - b * t.ty), ty: -(b * t.tx + a * t.ty) };
}

/** Uniform scale of the transform (crop pixels per source pixel). */
export function similarityScale(t: Similarity): number {
  return Math.hypot(t.a, t.b);
}

/** Least-squares similarity mapping `from[i]` onto `to[i]` (at least two distinct points). */
export function fitSimilarity(from: readonly Point[], to: readonly Point[]): Similarity {
  const n = from.length;
  const mean = (points: readonly Point[]) => ({
    x: points.reduce((s, p) => s + p.x, 0) / n,
    y: points.reduce((s, p) => s + p.y, 0) / n,
  });
  const mf = mean(from);
  const mt = mean(to);
  let dot = 0;
  let cross = 0;
  let norm = 0;
  for (let i = 0; i < n; i++) {
    const fx = from[i].x - mf.x;
    const fy = from[i].y - mf.y;
    const tx = to[i].x - mt.x;
    const ty = to[i].y - mt.y;
    dot += fx * tx + fy * ty;
    cross += fx * ty - fy * tx;
    norm += fx * fx + fy * fy;
  }
  if (!(norm > 1e-9)) throw new RangeError('alignment needs at least two distinct points');
  const a = dot / norm;
  const b = cross / norm;
  return { a, b, tx: mt.x - (a * mf.x - b * mf.y), ty: mt.y - (b * mf.x + a * mf.y) };
}

/** The transform from a frame's key points to a crop of `size` pixels. */
export function alignmentFor(points: KeyPoints, size: number): Similarity {
  const names = ['leftEye', 'rightEye', 'nose'] as const;
  return fitSimilarity(
    names.map((name) => points[name]),
    names.map((name) => ({
      x: CANONICAL_ANCHORS[name].x * size,
      y: CANONICAL_ANCHORS[name].y * size,
    })),
  );
}

/** Interleaved pixels (1 = grey, 3 = RGB) of any numeric type; RawFrame fits. */
export interface PixelSource {
  width: number;
  height: number;
  channels: 1 | 3;
  data: ArrayLike<number>;
}

export interface AlignedCrop {
  size: number;
  /** Grey values 0..255 (BT.601 luma of RGB), row-major. */
  data: Float32Array;
  /** Share of crop pixels whose source lies outside the frame (filled from the nearest edge). */
  outside: number;
}

/**
 * Bilinear resampling of a frame into the crop, in grey (edge pixels repeat beyond the frame).
 * Luma is computed only at the pixels sampled, so a 640×480 RGB frame costs no more than its crop.
 */
export function warpToCrop(frame: PixelSource, toCrop: Similarity, size: number): AlignedCrop {
  const { width, height } = frame;
  const luma = lumaReader(frame);
  const back = invertSimilarity(toCrop);
  const data = new Float32Array(size * size);
  let outside = 0;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const sx = back.a * x - back.b * y + back.tx;
      const sy = back.b * x + back.a * y + back.ty;
      if (sx < -0.5 || sy < -0.5 || sx > width - 0.5 || sy > height - 0.5) outside++;
      const cx = Math.min(Math.max(sx, 0), width - 1);
      const cy = Math.min(Math.max(sy, 0), height - 1);
      const x0 = Math.min(Math.floor(cx), Math.max(width - 2, 0));
      const y0 = Math.min(Math.floor(cy), Math.max(height - 2, 0));
      const x1 = Math.min(x0 + 1, width - 1);
      const y1 = Math.min(y0 + 1, height - 1);
      const fx = cx - x0;
      const fy = cy - y0;
      const top = luma(y0 * width + x0) * (1 - fx) + luma(y0 * width + x1) * fx;
      const bottom = luma(y1 * width + x0) * (1 - fx) + luma(y1 * width + x1) * fx;
      data[y * size + x] = top * (1 - fy) + bottom * fy;
    }
  }
  return { size, data, outside: outside / (size * size) };
}

function lumaReader(frame: PixelSource): (pixel: number) => number {
  const d = frame.data;
  if (frame.channels === 1) return (pixel) => d[pixel];
  return (pixel) => 0.299 * d[3 * pixel] + 0.587 * d[3 * pixel + 1] + 0.114 * d[3 * pixel + 2];
}
