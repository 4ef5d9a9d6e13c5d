import { z } from 'zod';
import { request } from './define';
import { clipId, frameIndex } from './schemas';

export interface MotionCurve {
  clipId: string;
  /** The frame every other frame is compared with (the onset, or 0). */
  reference: number;
  /** Mean |I_t − I_reference| per frame (grey levels 0–255, on a downscaled grey frame). */
  values: number[];
  /** Frames that could not be decoded (their value is 0); the curve goes on past them. */
  failedFrames: number[];
  /** The smoothed curve's peak inside [from, to]; null when the range holds no motion. */
  suggestedApex: number | null;
  milliseconds: number;
}

export interface DifferenceImage {
  /** JPEG data URL of |I_t − I_reference| × gain (grey). */
  image: string;
  width: number;
  height: number;
  meanDifference: number;
}

export interface StrainMaps {
  clipId: string;
  onset: number;
  apex: number;
  width: number;
  height: number;
  /** PNG data URLs: the Middlebury colour wheel of the flow and a viridis heatmap of the optical strain. */
  flowImage: string;
  strainImage: string;
  meanMagnitude: number;
  maxMagnitude: number;
  maxStrain: number;
  milliseconds: number;
}

export const motionRequests = {
  /**
   * The motion curve of a whole clip, computed in a worker thread; progress comes as job.progress
   * events with this jobId, and motion.cancel stops it (the request then fails with 'cancelled').
   */
  'motion.curve': request(
    z.object({
      clipId,
      jobId: z.string().min(1).max(100),
      reference: frameIndex.default(0),
      /** Where to look for the apex (defaults: the reference and the last frame). */
      from: frameIndex.optional(),
      to: frameIndex.optional(),
      maxSide: z.number().int().min(32).max(640).default(160),
    }),
  ).returns<MotionCurve>(),
  'motion.cancel': request(z.object({ jobId: z.string().min(1).max(100) })).returns<{
    cancelled: boolean;
  }>(),
  'motion.difference': request(
    z.object({
      clipId,
      index: frameIndex,
      reference: frameIndex,
      gain: z.number().min(1).max(64).default(6),
      maxSide: z.number().int().min(32).max(2048).default(960),
    }),
  ).returns<DifferenceImage>(),
  /** TV-L1 onset→apex (native, async) with its colour wheel and optical-strain heatmap. */
  'motion.strain': request(
    z
      .object({
        clipId,
        onset: frameIndex,
        apex: frameIndex,
        maxSide: z.number().int().min(32).max(1024).default(320),
      })
      .refine((pair) => pair.onset < pair.apex, { message: 'onset must come before apex' }),
  ).returns<StrainMaps>(),
};
