import { api } from './api';
import { FrameBitmaps } from './frame-bitmaps';

/** Longest side asked of the backend for display (the demo's 640×480 frames come as they are). */
export const DISPLAY_MAX_SIDE = 960;

/** The one client-side frame cache of this window. */
export const frameBitmaps = new FrameBitmaps((clipId, index, dataset) =>
  api.frameUrl(clipId, index, { maxSide: DISPLAY_MAX_SIDE, dataset }),
);
