import type { RawFrame } from '../media/pam';
import { computeFlow, computeStrain, type FlowField, type FlowPreset } from '../flow';
import {
  alignmentFor,
  applySimilarity,
  similarityScale,
  warpToCrop,
  type Similarity,
} from './align';
import { keyPointsFromMesh, mapKeyPoints, type KeyPointName, type KeyPoints } from './keypoints';
import { detectUpright } from './orientation';
import { sharedLandmarkDetector, type DetectedFace, type LandmarkDetector } from './landmarks';
import { buildFlowMaps, MAP_CHANNELS, MAP_SIZE, regionMotion, type MosaicWindow } from './maps';

export { MAP_SIZE } from './maps';

/**
 * From a clip's onset and apex frames to the 3×28×28 maps AHMSA-Net reads:
 * FaceMesh landmarks on the onset (worker thread) → similarity alignment from the eye centres
 * and nose tip, applied to both frames → square grey crops → TV-L1 flow + optical strain (native
 * addon) → whole-face 28×28 map (the model's input, card layout "whole-face") and the HTNet
 * region mosaic. Bad input never throws: `status` and `reasons` say what went wrong; only
 * cancellation (AbortError) rejects. Failures of the machinery rather than the clip have reasons
 * starting 'face landmarks failed:' or 'optical flow failed:' (worth retrying, not caching).
 */
export type FaceStatus = 'ok' | 'warning' | 'failed';

export interface ModelInput {
  /** [3, 28, 28] float32, whole face: u, v in crop pixels, then strain. Zeros when failed. */
  maps: Float32Array;
  /** [3, 28, 28] float32 region mosaic ([l_eye | l_mouth] over [r_eye | r_mouth]). */
  mosaic: Float32Array;
  mosaicWindows: MosaicWindow[];
  /** 'ok'; 'warning' = usable, see reasons; 'failed' = maps are not meaningful, see reasons. */
  status: FaceStatus;
  reasons: string[];
  frame: { width: number; height: number };
  /** The face used (largest), with its 468 mesh points in source pixels; null if none. */
  face: DetectedFace | null;
  facesFound: number;
  /** Key points in source-image pixels. */
  points: KeyPoints | null;
  /** Key points in face-crop pixels. */
  cropPoints: KeyPoints | null;
  /** Source → crop transform. */
  alignment: Similarity | null;
  cropSize: number;
  /** Aligned grey crops, values 0..255. */
  crops: { onset: Float32Array; apex: Float32Array } | null;
  flow: FlowField | null;
  strain: Float32Array | null;
  /** Mean flow magnitude (crop pixels) in a cropSize/4 square around each key point. */
  regionMotion: Record<KeyPointName, number> | null;
  /** Milliseconds per stage: landmarks, align, flow, maps. */
  timings: Record<string, number>;
}

export interface ModelInputOptions {
  /** Side of the square face crop in pixels (default 224). */
  cropSize?: number;
  /** Mosaic with the nose window (see buildFlowMaps). */
  includeNose?: boolean;
  /** TV-L1 parameter set (default 'fast': tuned by the flow addon for ≤ 2 px face motion). */
  flowPreset?: FlowPreset;
  /** Landmark detector (default: the process-wide one). */
  detector?: LandmarkDetector;
}

/** A reason that comes from the machinery (landmark worker, flow addon), not the clip: retry it. */
export function isMachineryFailure(reason: string): boolean {
  return reason.startsWith('face landmarks failed:') || reason.startsWith('optical flow failed:');
}

export const DEFAULT_CROP_SIZE = 224;
export const MIN_FRAME_SIDE = 64;
/** Share of the crop outside the frame above which the face counts as cut by the border. */
const BORDER_WARNING = 0.02;
const BORDER_FAILURE = 0.35;
/** Share of the 468 landmarks outside the frame: a warning above 1 %, a failure above 25 %. */
const MESH_OUTSIDE_WARNING = 0.01;
const MESH_OUTSIDE_FAILURE = 0.25;
/** Eye distance (source pixels) under which the face is small: the crop upsamples it. */
const SMALL_FACE_EYES = 24;
/** …and under which it is no face to align (a false detection in a pattern, or a speck). */
const MIN_FACE_EYES = 6;

export async function buildModelInput(
  onset: RawFrame,
  apex: RawFrame,
  signal?: AbortSignal,
  options: ModelInputOptions = {},
): Promise<ModelInput> {
  const cropSize = options.cropSize ?? DEFAULT_CROP_SIZE;
  const result = emptyResult(onset, cropSize);
  const failed = (reason: string): ModelInput => {
    result.status = 'failed';
    result.reasons.push(reason);
    return result;
  };
  const frameProblem = checkFrames(onset, apex);
  if (frameProblem) return failed(frameProblem);

  let started = performance.now();
  let faces: DetectedFace[];
  try {
    const detector = options.detector ?? sharedLandmarkDetector();
    const detection = await detectUpright(detector, onset, signal);
    faces = detection.faces;
    if (detection.turn !== 0 && faces.length > 0) {
      warn(
        result,
        `the face lies turned in the frame (upright once the frame is turned ${detection.turn}° clockwise): the crop is aligned upright`,
      );
    }
  } catch (error) {
    if (isAbort(error)) throw error;
    return failed(`face landmarks failed: ${(error as Error).message}`);
  }
  result.timings.landmarks = performance.now() - started;
  result.facesFound = faces.length;
  if (faces.length === 0) {
    const small = Math.min(onset.width, onset.height) < 160;
    return failed(
      'no face found in the onset frame' +
        (small
          ? ` (${onset.width}×${onset.height} px: a face needs about 30 px across to be found)`
          : ''),
    );
  }
  const face = faces[0];
  result.face = face;
  if (faces.length > 1) {
    const [x, y, w, h] = face.box.map(Math.round);
    warn(
      result,
      `${faces.length} faces in the onset frame: used the largest the detector is sure of (${w}×${h} at ${x},${y})`,
    );
  }

  started = performance.now();
  const points = keyPointsFromMesh(face.mesh);
  const eyes = Math.hypot(
    points.rightEye.x - points.leftEye.x,
    points.rightEye.y - points.leftEye.y,
  );
  if (eyes < MIN_FACE_EYES) {
    return failed(
      `no face to align in the onset frame: the face found is too small (eyes ${eyes.toFixed(1)} px apart, at least ${MIN_FACE_EYES} needed)`,
    );
  }
  const alignment = alignmentFor(points, cropSize);
  result.points = points;
  result.alignment = alignment;
  result.cropPoints = mapKeyPoints(points, (p) => applySimilarity(alignment, p));
  const onsetCrop = warpToCrop(onset, alignment, cropSize);
  const apexCrop = warpToCrop(apex, alignment, cropSize);
  result.crops = { onset: onsetCrop.data, apex: apexCrop.data };
  result.timings.align = performance.now() - started;
  const borderProblem = checkBorder(face, onset, onsetCrop.outside);
  if (borderProblem?.fatal) return failed(borderProblem.reason);
  if (borderProblem) warn(result, borderProblem.reason);
  if (eyes < SMALL_FACE_EYES) {
    warn(
      result,
      `small face (eyes ${eyes.toFixed(0)} px apart): the crop is upsampled ${similarityScale(alignment).toFixed(1)}×`,
    );
  }

  started = performance.now();
  const crop = (data: Float32Array) => ({ width: cropSize, height: cropSize, data });
  let flow: FlowField;
  let strain: Float32Array;
  try {
    flow = await computeFlow(crop(onsetCrop.data), crop(apexCrop.data), {
      preset: options.flowPreset ?? 'fast',
      signal,
    });
    strain = computeStrain(flow);
  } catch (error) {
    if (isAbort(error)) throw error;
    return failed(`optical flow failed: ${(error as Error).message}`);
  }
  result.flow = { width: flow.width, height: flow.height, u: flow.u, v: flow.v };
  result.strain = strain;
  result.timings.flow = performance.now() - started;

  started = performance.now();
  const maps = buildFlowMaps(flow, strain, result.cropPoints, { includeNose: options.includeNose });
  result.maps = maps.whole;
  result.mosaic = maps.mosaic;
  result.mosaicWindows = maps.windows;
  result.regionMotion = regionMotion(flow, result.cropPoints);
  result.timings.maps = performance.now() - started;
  return result;
}

function emptyResult(onset: RawFrame, cropSize: number): ModelInput {
  return {
    maps: new Float32Array(MAP_CHANNELS * MAP_SIZE * MAP_SIZE),
    mosaic: new Float32Array(MAP_CHANNELS * MAP_SIZE * MAP_SIZE),
    mosaicWindows: [],
    status: 'ok',
    reasons: [],
    frame: { width: onset.width, height: onset.height },
    face: null,
    facesFound: 0,
    points: null,
    cropPoints: null,
    alignment: null,
    cropSize,
    crops: null,
    flow: null,
    strain: null,
    regionMotion: null,
    timings: {},
  };
}

/** Problems visible before any model runs: sizes, tiny frames, identical frames. */
function checkFrames(onset: RawFrame, apex: RawFrame): string | null {
  if (onset.width !== apex.width || onset.height !== apex.height) {
    return `onset and apex frames differ in size (${onset.width}×${onset.height} vs ${apex.width}×${apex.height})`;
  }
  if (Math.min(onset.width, onset.height) < MIN_FRAME_SIDE) {
    return `frame too small (${onset.width}×${onset.height}): faces need at least ${MIN_FRAME_SIDE} pixels a side`;
  }
  for (const [name, frame] of [
    ['onset', onset],
    ['apex', apex],
  ] as const) {
    if (frame.data.length < frame.width * frame.height * frame.channels) {
      return `${name} frame is truncated (${frame.data.length} bytes for ${frame.width}×${frame.height}×${frame.channels})`;
    }
  }
  if (onset.channels === apex.channels && sameBytes(onset.data, apex.data)) {
    return 'onset and apex frames are identical: there is no motion to measure';
  }
  return null;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(
    Buffer.from(b.buffer, b.byteOffset, b.length),
  );
}

/** A face cut by the frame border: landmarks outside the frame, or crop pixels from outside. */
function checkBorder(
  face: DetectedFace,
  frame: RawFrame,
  cropOutside: number,
): { reason: string; fatal: boolean } | null {
  const meshOutside = shareOutside(face.mesh, frame.width, frame.height);
  if (cropOutside <= BORDER_WARNING && meshOutside <= MESH_OUTSIDE_WARNING) return null;
  const fatal = cropOutside > BORDER_FAILURE || meshOutside > MESH_OUTSIDE_FAILURE;
  const reason =
    `the face is cut by the frame border: ${percent(meshOutside)} of its landmarks and ` +
    `${percent(cropOutside)} of the face crop lie outside the frame` +
    (fatal ? '' : ' (edge pixels repeated)');
  return { reason, fatal };
}

function shareOutside(mesh: Float32Array, width: number, height: number): number {
  let outside = 0;
  const count = mesh.length / 2;
  for (let i = 0; i < count; i++) {
    const x = mesh[2 * i];
    const y = mesh[2 * i + 1];
    if (x < -1 || y < -1 || x > width || y > height) outside++;
  }
  return outside / count;
}

function warn(result: ModelInput, reason: string): void {
  if (result.status === 'ok') result.status = 'warning';
  result.reasons.push(reason);
}

function percent(share: number): string {
  return `${(share * 100).toFixed(0)} %`;
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}
