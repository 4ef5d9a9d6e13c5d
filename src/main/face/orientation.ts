import type { RawFrame } from '../media/pam';
import type { DetectedFace } from './landmark-protocol';
import type { Detection, LandmarkDetector } from './landmarks';

/** Clockwise quarter turns of a frame, in degrees. */
export type Turn = 0 | 90 | 180 | 270;

/**
 * The face detector's confidence below which the frame is also tried turned: an upside-down face
 * is still found, but at about half the confidence (0.43–0.46 against 0.87 upright on the test
 * photo), and FaceMesh then fits an upright face over it.
 */
const UPRIGHT_CONFIDENCE = 0.8;
/**
 * A turn is taken only when the detector is sure of it and clearly surer than of the frame as it
 * is: in a tiny or faceless frame, one of the turns often shows a weak false face.
 */
const BETTER_BY = 0.1;

export interface OrientedDetection extends Detection {
  /** The clockwise turn that showed the face upright (its points are given in the frame as it is). */
  turn: Turn;
}

/**
 * Faces in a frame that may hold the face on its side or upside down (a camera turned, a video
 * stored rotated): when the detector is unsure of the frame as it is, the three turns are tried
 * too and the surest is kept, its points mapped back onto the frame.
 */
export async function detectUpright(
  detector: LandmarkDetector,
  frame: RawFrame,
  signal?: AbortSignal,
): Promise<OrientedDetection> {
  let best: OrientedDetection = { ...(await detector.detect(frame, signal)), turn: 0 };
  const confidence = (faces: DetectedFace[]) => faces[0]?.boxScore ?? 0;
  if (confidence(best.faces) >= UPRIGHT_CONFIDENCE) return best;
  let milliseconds = best.milliseconds;
  for (const turn of [90, 180, 270] as const) {
    const found = await detector.detect(turnFrame(frame, turn), signal);
    milliseconds += found.milliseconds;
    const sure = confidence(found.faces);
    if (sure >= UPRIGHT_CONFIDENCE && sure > confidence(best.faces) + BETTER_BY) {
      const faces = found.faces.map((face) => faceInFrame(face, turn, frame));
      best = { faces, milliseconds: found.milliseconds, turn };
    }
  }
  return { ...best, milliseconds };
}

/** The frame turned clockwise by `turn` degrees. */
export function turnFrame(frame: RawFrame, turn: Turn): RawFrame {
  if (turn === 0) return frame;
  const { width, height, channels, data } = frame;
  const sideways = turn !== 180;
  const outWidth = sideways ? height : width;
  const outHeight = sideways ? width : height;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < outHeight; y++) {
    for (let x = 0; x < outWidth; x++) {
      const [sx, sy] =
        turn === 90
          ? [y, height - 1 - x]
          : turn === 180
            ? [width - 1 - x, height - 1 - y]
            : [width - 1 - y, x];
      const from = (sy * width + sx) * channels;
      const to = (y * outWidth + x) * channels;
      for (let c = 0; c < channels; c++) out[to + c] = data[from + c];
    }
  }
  return { width: outWidth, height: outHeight, channels, data: out };
}

/** A point of the frame turned by `turn`, back in the frame as it is (0 at the frame's edge). */
function pointInFrame(
  x: number,
  y: number,
  turn: Turn,
  frame: { width: number; height: number },
): [number, number] {
  if (turn === 90) return [y, frame.height - x];
  if (turn === 180) return [frame.width - x, frame.height - y];
  if (turn === 270) return [frame.width - y, x];
  return [x, y];
}

function faceInFrame(face: DetectedFace, turn: Turn, frame: RawFrame): DetectedFace {
  const mesh = new Float32Array(face.mesh.length);
  for (let i = 0; i < mesh.length; i += 2) {
    [mesh[i], mesh[i + 1]] = pointInFrame(face.mesh[i], face.mesh[i + 1], turn, frame);
  }
  const [x, y, w, h] = face.box;
  const corners = [pointInFrame(x, y, turn, frame), pointInFrame(x + w, y + h, turn, frame)];
  const left = Math.min(corners[0][0], corners[1][0]);
  const top = Math.min(corners[0][1], corners[1][1]);
  const box: DetectedFace['box'] = [
    left,
    top,
    Math.max(corners[0][0], corners[1][0]) - left,
    Math.max(corners[0][1], corners[1][1]) - top,
  ];
  return { ...face, box, mesh };
}
