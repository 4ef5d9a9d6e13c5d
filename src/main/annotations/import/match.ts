import type { Clip, DatasetIndex } from '../../../shared/domain';
import { clipKey, databaseKey, databaseOfKind, subjectKey } from './keys';
import type { SourceRow } from './rows';

export interface MatchedFrames {
  clip: Clip;
  onset: number | null;
  apex: number | null;
  offset: number | null;
}

export type MatchResult =
  { ok: true; match: MatchedFrames } | { ok: false; kind: string; reason: string };

/** Finds a row's clip in a dataset by subject and clip keys (or by the clip alone if unique). */
export class ClipMatcher {
  private readonly bySubjectAndClip = new Map<string, Clip>();
  private readonly byClip = new Map<string, Clip[]>();
  private readonly database: string | undefined;

  constructor(private readonly dataset: DatasetIndex) {
    this.database = databaseOfKind(dataset.kind);
    for (const clip of dataset.clips) {
      this.bySubjectAndClip.set(`${subjectKey(clip.subject)}/${clipKey(clip.name)}`, clip);
      const key = clipKey(clip.name);
      this.byClip.set(key, [...(this.byClip.get(key) ?? []), clip]);
    }
  }

  match(row: SourceRow): MatchResult {
    if (row.db && this.database && databaseKey(row.db) !== this.database) {
      return {
        ok: false,
        kind: 'other database',
        reason: `row is for ${row.db}, the open dataset is ${this.dataset.kind}`,
      };
    }
    const clip = this.find(row);
    if (!clip) {
      return {
        ok: false,
        kind: 'unknown clip',
        reason: `no clip ${describe(row)} in ${this.dataset.name}`,
      };
    }
    return toIndexes(row, clip);
  }

  /** The clip a row names, whatever its frames say. */
  find(row: SourceRow): Clip | undefined {
    const exact = this.bySubjectAndClip.get(`${subjectKey(row.subject)}/${clipKey(row.clip)}`);
    if (exact) return exact;
    const byName = this.byClip.get(clipKey(row.clip));
    return byName?.length === 1 && !row.subject ? byName[0] : undefined;
  }
}

function describe(row: SourceRow): string {
  return row.subject ? `'${row.clip}' of subject '${row.subject}'` : `'${row.clip}'`;
}

/**
 * Spreadsheets give frame numbers (CASME II img46.jpg → 46); the app works in 0-based indexes.
 * Image sequences map through Clip.frameNumbers; a video's numbers are taken as indexes.
 */
function toIndexes(row: SourceRow, clip: Clip): MatchResult {
  const match: MatchedFrames = { clip, onset: null, apex: null, offset: null };
  for (const mark of ['onset', 'apex', 'offset'] as const) {
    const number = row[mark];
    if (number === null) continue;
    const index = clip.frameNumbers ? clip.frameNumbers.indexOf(number) : number;
    if (index < 0 || index >= clip.frameCount) {
      return {
        ok: false,
        kind: 'frame not in clip',
        reason: `${mark} frame ${number} is ${range(clip)}`,
      };
    }
    match[mark] = index;
  }
  return { ok: true, match };
}

function range(clip: Clip): string {
  const numbers = clip.frameNumbers;
  if (numbers && numbers.length > 0) {
    return `not a frame of ${clip.id} (frames ${numbers[0]}–${numbers[numbers.length - 1]})`;
  }
  return `beyond the last frame of ${clip.id} (${clip.frameCount} frames)`;
}
