import type { RawFrame } from '../media/pam';
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
 * Where the anchors sit in the crop, as fractions of its side: eyes at 37 % height, 38 % of the
 * side apart, nose tip at 58 %. The mouth then lands near 77 %, the brows near 25 %: forehead to
 * chin in frame, like the composite's face crops.
 */
export const CANONICAL_ANCHORS = {
  leftEye: { x: 0.31, y: 0.37 },
  rightEye: { x: 0.69, y: 0.37 },
  nose: { x: 0.5, y: 0.58 },
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

/** Luma (BT.601) of a frame as floats 0..255. */
export function toGrey(frame: RawFrame): Float32Array {
  const count = frame.width * frame.height;
  const grey = new Float32Array(count);
  if (frame.channels === 1) {
    for (let i = 0; i < count; i++) grey[i] = frame.data[i];
    return grey;
  }
  const d = frame.data;
  for (let i = 0; i < count; i++) {
    grey[i] = 0.299 * d[3 * i] + 0.587 * d[3 * i + 1] + 0.114 * d[3 * i + 2];
  }
  return grey;
}

export interface AlignedCrop {
  size: number;
  /** Grey values 0..255, row-major. */
  data: Float32Array;
  /** Share of crop pixels whose source lies outside the frame (filled from the nearest edge). */
  outside: number;
}

/** Bilinear resampling of a grey frame into the crop (edge pixels repeat beyond the frame). */
export function warpToCrop(
  grey: Float32Array,
  width: number,
  height: number,
  toCrop: Similarity,
  size: number,
): AlignedCrop {
  const back = invertSimilarity(toCrop);
  const data = new Float32Array(size * size);
  let outside = 0;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const sx = back.a * x - back.b * y + back.tx;
      const sy = back.b * x + back.a * y + back.ty;
      if (sx < -0.5 || sy < -0.5 || sx > width - 0.5 || sy > height - 0.5) outside++;
      data[y * size + x] = bilinear(grey, width, height, sx, sy);
    }
  }
  return { size, data, outside: outside / (size * size) };
}

function bilinear(grey: Float32Array, width: number, height: number, x: number, y: number): number {
  const cx = Math.min(Math.max(x, 0), width - 1);
  const cy = Math.min(Math.max(y, 0), height - 1);
  const x0 = Math.min(Math.floor(cx), width - 2 < 0 ? 0 : width - 2);
  const y0 = Math.min(Math.floor(cy), height - 2 < 0 ? 0 : height - 2);
  const x1 = Math.min(x0 + 1, width - 1);
  const y1 = Math.min(y0 + 1, height - 1);
  const fx = cx - x0;
  const fy = cy - y0;
  const top = grey[y0 * width + x0] * (1 - fx) + grey[y0 * width + x1] * fx;
  const bottom = grey[y1 * width + x0] * (1 - fx) + grey[y1 * width + x1] * fx;
  return top * (1 - fy) + bottom * fy;
}
