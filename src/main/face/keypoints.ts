/**
 * The five key points from the 468-point FaceMesh. Sides are the sides of the face as shown,
 * turned upright: `leftEye` is the eye on the left when the face is turned so that its mouth is
 * below its eyes (the subject's right eye when they face the camera, or their left in a mirrored
 * image), the same convention for the mouth corners. Eye centres are the mean of each eye's 16
 * contour points, which is steadier than any single point; the nose is the tip (point 1); the
 * mouth corners are points 61 and 291.
 */
export interface Point {
  x: number;
  y: number;
}

export const KEY_POINT_NAMES = ['leftEye', 'rightEye', 'nose', 'leftMouth', 'rightMouth'] as const;
export type KeyPointName = (typeof KEY_POINT_NAMES)[number];
export type KeyPoints = Record<KeyPointName, Point>;

/** Eye contour in the image's left half (MediaPipe's "right eye"). */
const IMAGE_LEFT_EYE = [
  33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246,
];
/** Eye contour in the image's right half (MediaPipe's "left eye"). */
const IMAGE_RIGHT_EYE = [
  263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466,
];
const NOSE_TIP = 1;
const IMAGE_LEFT_MOUTH = 61;
const IMAGE_RIGHT_MOUTH = 291;

export const MESH_POINTS = 468;

export function meshPoint(mesh: Float32Array, index: number): Point {
  return { x: mesh[2 * index], y: mesh[2 * index + 1] };
}

function centroid(mesh: Float32Array, indices: readonly number[]): Point {
  let x = 0;
  let y = 0;
  for (const index of indices) {
    x += mesh[2 * index];
    y += mesh[2 * index + 1];
  }
  return { x: x / indices.length, y: y / indices.length };
}

/** Five key points from a FaceMesh (x0, y0, x1, y1, … for at least 468 points). */
export function keyPointsFromMesh(mesh: Float32Array): KeyPoints {
  if (mesh.length < 2 * MESH_POINTS) {
    throw new RangeError(`face mesh has ${mesh.length / 2} points, expected ${MESH_POINTS}`);
  }
  let leftEye = centroid(mesh, IMAGE_LEFT_EYE);
  let rightEye = centroid(mesh, IMAGE_RIGHT_EYE);
  let leftMouth = meshPoint(mesh, IMAGE_LEFT_MOUTH);
  let rightMouth = meshPoint(mesh, IMAGE_RIGHT_MOUTH);
  // Left and right across the face's own eyes-to-mouth axis, not the image's x: a face on its
  // side or upside down then aligns upright, and a mirrored one stays as shown (no reflection).
  const across = faceAcross(leftEye, rightEye, leftMouth, rightMouth);
  const along = (point: Point) => point.x * across.x + point.y * across.y;
  if (along(leftEye) > along(rightEye)) [leftEye, rightEye] = [rightEye, leftEye];
  if (along(leftMouth) > along(rightMouth)) [leftMouth, rightMouth] = [rightMouth, leftMouth];
  return { leftEye, rightEye, nose: meshPoint(mesh, NOSE_TIP), leftMouth, rightMouth };
}

/** The direction from the face's left to its right: the eyes-to-mouth direction turned by 90°. */
function faceAcross(eyeA: Point, eyeB: Point, mouthA: Point, mouthB: Point): Point {
  const down = {
    x: (mouthA.x + mouthB.x - eyeA.x - eyeB.x) / 2,
    y: (mouthA.y + mouthB.y - eyeA.y - eyeB.y) / 2,
  };
  return { x: down.y, y: -down.x };
}

export function mapKeyPoints(points: KeyPoints, map: (point: Point) => Point): KeyPoints {
  return Object.fromEntries(KEY_POINT_NAMES.map((name) => [name, map(points[name])])) as KeyPoints;
}
