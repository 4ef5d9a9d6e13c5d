import type { BatchRow } from '../../shared/contract/batch';
import type { Clip, ClipAnnotation, DatasetIndex, Prediction } from '../../shared/domain';
import { clipSpanMs, THREE_CLASSES } from '../../shared/domain';
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
  'source_dataset',
  'apex_source',
  'status',
  'problems',
  'expression',
  'apex_to_offset_ms',
  // The numbers in the frames' file names (CASME II img46.jpg → 46), as the official sheets write them.
  'onset_frame_number',
  'apex_frame_number',
  'offset_frame_number',
  'blink',
  'occlusion',
  'bad_frames',
  'notes',
  // The class the metrics score against: the coder's label, else the dataset's (three_class is
  // the label of the annotation the frames come from, which may be blank).
  'truth',
];

export interface ClipRowSources {
  /** The coder's own annotations by clip id. */
  own: Map<string, ClipAnnotation>;
  /** All the coder's expressions of a clip, when they coded several. */
  ownExpressionsOf?: (clipId: string) => ClipAnnotation[];
  /** The latest prediction per clip (single-clip classify and batches). */
  predictions: Map<string, Prediction>;
  /** Rows of a batch by clip (several when a clip holds several expressions): they win. */
  batch?: Map<string, BatchRow[]>;
  /** Every official expression of a clip, for a batch row of one of several. */
  expressionsOf?: (clipId: string) => ClipAnnotation[];
  /** The model of those batch rows. */
  batchModelId?: string;
  /** Source dataset per clip id (composite folders). */
  sources?: Map<string, string>;
}

/**
 * One row per clip (per expression when a batch classified several of a clip, or the coder coded
 * several): the annotation a batch used (else the coder's own, else the official one) and the
 * latest prediction. Frames are 0-based indexes; the *_frame_number columns give the file names'
 * numbers.
 */
export function clipReportRows(
  dataset: DatasetIndex,
  sources: ClipRowSources,
  clipIds?: string[],
): CsvCell[][] {
  const wanted = clipIds ? new Set(clipIds) : null;
  return dataset.clips
    .filter((clip) => !wanted || wanted.has(clip.id))
    .flatMap((clip): Array<{ clip: Clip; batch?: BatchRow; expression: number | null }> => {
      const batchRows = sources.batch?.get(clip.id);
      if (batchRows)
        return batchRows.map((batch) => ({ clip, batch, expression: batch.expression }));
      const mine = sources.ownExpressionsOf?.(clip.id) ?? [];
      if (mine.length > 1) return mine.map((_, i) => ({ clip, expression: i + 1 }));
      return [{ clip, expression: null }];
    })
    .map(({ clip, batch, expression }) => {
      const mine = sources.ownExpressionsOf?.(clip.id) ?? [];
      const own = expression && mine.length > 1 ? mine[expression - 1] : sources.own.get(clip.id);
      const official = batch?.expression
        ? sources.expressionsOf?.(clip.id)[batch.expression - 1]
        : dataset.official[clip.id];
      const annotation =
        (batch?.annotation === 'official'
          ? official
          : batch?.annotation === 'own'
            ? own
            : undefined) ??
        own ??
        official ??
        null;
      const onset = batch?.onset ?? annotation?.onset;
      const apex = batch?.apex ?? annotation?.apex;
      const offset = batch?.offset ?? annotation?.offset;
      const prediction = batch
        ? batch.predicted && batch.probabilities
          ? {
              predicted: batch.predicted,
              probabilities: batch.probabilities,
              provider: batch.provider,
              modelId: sources.batchModelId,
            }
          : undefined
        : sources.predictions.get(clip.id);
      const ms = (from: number | null | undefined, to: number | null | undefined) =>
        from != null && to != null ? round(clipSpanMs(clip, from, to)) : null;
      return [
        dataset.name,
        clip.subject,
        clip.name,
        clip.fps,
        onset,
        apex,
        offset,
        ms(onset, apex),
        ms(onset, offset),
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
        sources.sources?.get(clip.id) ?? batch?.source ?? dataset.name,
        batch?.apexSource ?? (annotation?.apex != null ? 'annotated' : null),
        batch?.status ?? null,
        batch ? batch.reasons.join('; ') : null,
        expression ?? null,
        ms(apex, offset),
        ...[onset, apex, offset].map((index) =>
          index != null ? (clip.frameNumbers?.[index] ?? index) : null,
        ),
        ...(['blink', 'occlusion', 'badFrames'] as const).map((flag) =>
          annotation ? (annotation.flags[flag] ? 'yes' : 'no') : null,
        ),
        annotation?.notes || null,
        batch ? batch.truth : (own?.threeClass ?? official?.threeClass ?? null),
      ];
    });
}

function round(value: number, digits = 1): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
