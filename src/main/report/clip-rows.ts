import type { ClipAnnotation, DatasetIndex, Prediction } from '../../shared/domain';
import { THREE_CLASSES } from '../../shared/domain';
import type { CsvCell } from './csv';

export const CLIP_REPORT_HEADER = [
  'dataset',
  'subject',
  'clip',
  'fps',
  'onset',
  'apex',
  'offset',
  'onset_to_apex_ms',
  'onset_to_offset_ms',
  'aus',
  'emotion',
  'three_class',
  'coder',
  'prediction',
  ...THREE_CLASSES.map((name) => `p_${name}`),
  'model_id',
  'provider',
];

/**
 * One row per clip: the coder's own annotation when there is one, else the dataset's official
 * one, and the latest prediction. Frames are 0-based indexes.
 */
export function clipReportRows(
  dataset: DatasetIndex,
  own: Map<string, ClipAnnotation>,
  predictions: Map<string, Prediction>,
  clipIds?: string[],
): CsvCell[][] {
  const wanted = clipIds ? new Set(clipIds) : null;
  return dataset.clips
    .filter((clip) => !wanted || wanted.has(clip.id))
    .map((clip) => {
      const annotation = own.get(clip.id) ?? dataset.official[clip.id] ?? null;
      const prediction = predictions.get(clip.id);
      const ms = (from: number | null | undefined, to: number | null | undefined) =>
        from != null && to != null ? round((1000 * (to - from)) / clip.fps) : null;
      return [
        dataset.name,
        clip.subject,
        clip.name,
        clip.fps,
        annotation?.onset,
        annotation?.apex,
        annotation?.offset,
        ms(annotation?.onset, annotation?.apex),
        ms(annotation?.onset, annotation?.offset),
        annotation?.ausRaw,
        annotation?.emotion,
        annotation?.threeClass,
        annotation?.coder,
        prediction?.predicted,
        ...THREE_CLASSES.map((name) =>
          prediction ? round(prediction.probabilities[name], 4) : null,
        ),
        prediction?.modelId,
        prediction?.provider,
      ];
    });
}

function round(value: number, digits = 1): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
