import sharp from 'sharp';
import type { AppContext } from '../app/context';
import { findClip } from '../dataset/handlers';
import { decodeFrame } from './frames';

export interface FrameRequest {
  clipId: string;
  index: number;
  grey: boolean;
  /** Longest side for display; 0 = native size. */
  maxSide: number;
}

/**
 * A frame as an image the renderer can show, for the web host's /frames route and Electron's
 * mer-frame: protocol alike. Only clips of the open dataset can be named, by id and index,
 * so a request can never reach a file outside it.
 */
export async function frameImage(ctx: AppContext, request: FrameRequest): Promise<Buffer> {
  const dataset = ctx.requireDataset();
  const clip = findClip(ctx, request.clipId);
  const frame = await decodeFrame(dataset, clip, request.index, { grey: request.grey });
  let image = sharp(frame.data, {
    raw: { width: frame.width, height: frame.height, channels: frame.channels },
  });
  if (request.maxSide > 0 && Math.max(frame.width, frame.height) > request.maxSide) {
    image = image.resize(request.maxSide, request.maxSide, { fit: 'inside' });
  }
  return image.jpeg({ quality: 90 }).toBuffer();
}

/** Parses `/<clipId>/<index>` plus query parameters; null when malformed. */
export function parseFrameRequest(pathPart: string, query: URLSearchParams): FrameRequest | null {
  const match = /^\/(.+)\/(\d{1,8})$/.exec(pathPart);
  if (!match) return null;
  let clipId: string;
  try {
    clipId = decodeURIComponent(match[1]);
  } catch {
    return null;
  }
  const maxSide = Number(query.get('maxSide') ?? 0);
  if (!Number.isInteger(maxSide) || maxSide < 0 || maxSide > 8192) return null;
  return { clipId, index: Number(match[2]), grey: query.get('grey') === '1', maxSide };
}
