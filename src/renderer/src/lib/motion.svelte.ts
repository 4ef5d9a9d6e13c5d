import type { MotionCurve, StrainMaps } from '../../../shared/contract/motion';
import type { ClipSummary } from '../../../shared/contract/dataset';
import { api } from './api';

/** The motion aids of the open clip: curve (with progress and cancel) and flow/strain maps. */
export const motion = $state({
  clipId: '',
  curve: null as MotionCurve | null,
  jobId: '',
  progress: 0,
  curveError: '',
  strain: null as StrainMaps | null,
  strainBusy: false,
  strainError: '',
});

let jobCounter = 0;
let unsubscribe: (() => void) | null = null;

/** Forgets the previous clip's aids. */
export function motionForClip(clipId: string): void {
  if (motion.clipId === clipId) return;
  if (motion.jobId) void cancelCurve();
  Object.assign(motion, {
    clipId,
    curve: null,
    progress: 0,
    curveError: '',
    strain: null,
    strainError: '',
  });
}

export async function computeCurve(
  clip: ClipSummary,
  reference: number,
  from: number | null,
  to: number | null,
): Promise<void> {
  if (motion.jobId) return;
  const jobId = `curve-${Date.now()}-${++jobCounter}`;
  Object.assign(motion, { jobId, progress: 0, curveError: '' });
  unsubscribe ??= api.on('job.progress', (event) => {
    if (event.jobId === motion.jobId) motion.progress = event.done / Math.max(1, event.total);
  });
  try {
    const curve = await api.request('motion.curve', {
      clipId: clip.id,
      jobId,
      reference,
      ...(from !== null ? { from } : {}),
      ...(to !== null ? { to } : {}),
    });
    if (motion.clipId === clip.id) motion.curve = curve;
  } catch (error) {
    const message = (error as Error).message;
    if (motion.clipId === clip.id)
      motion.curveError = message === 'cancelled' ? 'cancelled' : message;
  } finally {
    if (motion.jobId === jobId) motion.jobId = '';
  }
}

export async function cancelCurve(): Promise<void> {
  const jobId = motion.jobId;
  if (!jobId) return;
  await api.request('motion.cancel', { jobId }).catch(() => undefined);
}

export async function loadStrain(clip: ClipSummary, onset: number, apex: number): Promise<void> {
  const current = motion.strain;
  if (current && current.clipId === clip.id && current.onset === onset && current.apex === apex)
    return;
  motion.strainBusy = true;
  motion.strainError = '';
  try {
    const maps = await api.request('motion.strain', { clipId: clip.id, onset, apex, maxSide: 320 });
    if (motion.clipId === clip.id) motion.strain = maps;
  } catch (error) {
    motion.strainError = (error as Error).message;
  } finally {
    motion.strainBusy = false;
  }
}
