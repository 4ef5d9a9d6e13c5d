import { z } from 'zod';
import { request } from './define';
import { clipId, frameIndex } from './schemas';

export const FACE_POINT_NAMES = ['leftEye', 'rightEye', 'nose', 'leftMouth', 'rightMouth'] as const;
/** Sides are image sides: leftEye is the eye with the smaller x in the frame. */
export type FacePointName = (typeof FACE_POINT_NAMES)[number];
export type FacePoints = Record<FacePointName, { x: number; y: number }>;
export type FaceStatus = 'ok' | 'warning' | 'failed';

/** PNG data URLs of every stage, ready for <img>. */
export interface FaceImages {
  /** Aligned grey crops (cropSize²). */
  onsetCrop: string;
  apexCrop: string;
  /** Middlebury colour wheel of the crop flow (white = still). */
  flowColor: string;
  /** Viridis heatmap of the optical strain on the crop. */
  strain: string;
  /** The model input (28×28) as the composite stores it: R = u, G = v, B = strain, each channel
   * min-max stretched to 0..255, shown 8× with nearest-neighbour pixels. */
  whole: string;
  mosaic: string;
  /** Each channel of the model input after its min-max stretch (viridis, 8×). */
  channels: { u: string; v: string; strain: string };
}

export interface FaceInspection {
  clipId: string;
  onset: number;
  apex: number;
  status: FaceStatus;
  /** Why the status is not 'ok' (empty when it is). */
  reasons: string[];
  frame: { width: number; height: number };
  facesFound: number;
  /** The used face's box [x, y, w, h] and its 468 landmarks (x0, y0, x1, y1, …) on the onset frame. */
  box: [number, number, number, number] | null;
  landmarks: number[] | null;
  /** Key points in onset-frame pixels and in face-crop pixels. */
  points: FacePoints | null;
  cropPoints: FacePoints | null;
  cropSize: number;
  /** Mean flow magnitude (crop pixels) in a cropSize/4 square around each key point. */
  regionMotion: Record<FacePointName, number> | null;
  /** Where each mosaic window was cut from the 28×28 map and placed in the mosaic (map cells). */
  mosaicWindows: Array<{
    region: FacePointName;
    from: { x: number; y: number };
    to: { x: number; y: number };
  }>;
  images: FaceImages | null;
  /** Milliseconds per stage: decode, landmarks, align, flow, maps, render. */
  timings: Record<string, number>;
}

export const faceRequests = {
  'face.inspect': request(
    z
      .object({
        clipId,
        onset: frameIndex,
        apex: frameIndex,
        /** Mosaic with the nose window at its centre. */
        includeNose: z.boolean().default(false),
      })
      .refine((pair) => pair.onset < pair.apex, { message: 'onset must come before apex' }),
  ).returns<FaceInspection>(),
};
