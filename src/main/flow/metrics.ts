import type { FlowField } from './types';
import { checkSameSize } from './validate';

/** Middlebury marks pixels without ground truth with components above 1e9. */
export const UNKNOWN_FLOW_THRESHOLD = 1e9;

export function isKnownFlow(u: number, v: number): boolean {
  return Math.abs(u) <= UNKNOWN_FLOW_THRESHOLD && Math.abs(v) <= UNKNOWN_FLOW_THRESHOLD;
}

export interface EndpointErrorStats {
  /** Average endpoint error over pixels with known ground truth (NaN when there are none). */
  mean: number;
  max: number;
  /** Pixels that were compared. */
  count: number;
}

/** Endpoint error |flow − gt| per pixel, averaged over pixels where gt is known. */
export function endpointErrorStats(flow: FlowField, groundTruth: FlowField): EndpointErrorStats {
  checkSameSize(flow, groundTruth, 'flow and ground truth');
  let sum = 0;
  let max = 0;
  let count = 0;
  for (let i = 0; i < flow.u.length; i++) {
    const gu = groundTruth.u[i];
    const gv = groundTruth.v[i];
    if (!isKnownFlow(gu, gv)) continue;
    const du = flow.u[i] - gu;
    const dv = flow.v[i] - gv;
    const error = Math.sqrt(du * du + dv * dv);
    sum += error;
    if (error > max) max = error;
    count++;
  }
  return { mean: count > 0 ? sum / count : Number.NaN, max, count };
}

/** Average endpoint error (AEE) in pixels over pixels with known ground truth. */
export function endpointError(flow: FlowField, groundTruth: FlowField): number {
  return endpointErrorStats(flow, groundTruth).mean;
}

/** Per-pixel |(u, v)|. */
export function flowMagnitude(flow: FlowField): Float32Array {
  const magnitude = new Float32Array(flow.u.length);
  for (let i = 0; i < magnitude.length; i++) {
    magnitude[i] = Math.sqrt(flow.u[i] * flow.u[i] + flow.v[i] * flow.v[i]);
  }
  return magnitude;
}

export interface MagnitudeStats {
  mean: number;
  max: number;
}

/** Mean and max of |(u, v)| over known pixels. */
export function flowMagnitudeStats(flow: FlowField): MagnitudeStats {
  let sum = 0;
  let max = 0;
  let count = 0;
  for (let i = 0; i < flow.u.length; i++) {
    if (!isKnownFlow(flow.u[i], flow.v[i])) continue;
    const magnitude = Math.sqrt(flow.u[i] * flow.u[i] + flow.v[i] * flow.v[i]);
    sum += magnitude;
    if (magnitude > max) max = magnitude;
    count++;
  }
  return { mean: count > 0 ? sum / count : 0, max };
}
