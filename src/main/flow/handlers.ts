import sharp from 'sharp';
import type { flowRequests } from '../../shared/contract/flow';
import type { HandlersFor } from '../app/handler';
import { findClip } from '../dataset/handlers';
import { decodeFrame } from '../media/frames';
import { computeFlow, flowToColor } from './index';

export const flowHandlers: HandlersFor<typeof flowRequests> = {
  'flow.compute': async ({ clipId, onset, apex }, ctx) => {
    const dataset = ctx.requireDataset();
    const clip = findClip(ctx, clipId);
    const [first, second] = await Promise.all([
      decodeFrame(dataset, clip, onset, { grey: true }),
      decodeFrame(dataset, clip, apex, { grey: true }),
    ]);
    const started = performance.now();
    const flow = await computeFlow(first, second);
    const milliseconds = performance.now() - started;
    let sum = 0;
    let max = 0;
    for (let i = 0; i < flow.u.length; i++) {
      const magnitude = Math.hypot(flow.u[i], flow.v[i]);
      sum += magnitude;
      if (magnitude > max) max = magnitude;
    }
    const rgba = flowToColor(flow);
    const png = await sharp(rgba.data, {
      raw: { width: rgba.width, height: rgba.height, channels: 4 },
    })
      .png()
      .toBuffer();
    return {
      clipId,
      onset,
      apex,
      width: flow.width,
      height: flow.height,
      meanMagnitude: sum / flow.u.length,
      maxMagnitude: max,
      colorImage: `data:image/png;base64,${png.toString('base64')}`,
      milliseconds,
    };
  },
};
