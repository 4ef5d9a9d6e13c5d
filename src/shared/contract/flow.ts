import { z } from 'zod';
import { request } from './define';
import { clipId, frameIndex } from './schemas';

export interface FlowSummary {
  clipId: string;
  onset: number;
  apex: number;
  width: number;
  height: number;
  meanMagnitude: number;
  maxMagnitude: number;
  /** PNG data URL of the Middlebury colour-wheel image. */
  colorImage: string;
  milliseconds: number;
}

/** Two frames of a clip: onset before apex. */
export const framePair = z
  .object({ clipId, onset: frameIndex, apex: frameIndex })
  .refine((p) => p.onset < p.apex, { message: 'onset must come before apex' });

export const flowRequests = {
  'flow.compute': request(framePair).returns<FlowSummary>(),
};
