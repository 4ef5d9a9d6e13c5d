import type { ClipAnnotation } from '../../shared/domain';
import { parseAus } from './au';
import { threeClassOfEmotion } from '../../shared/three-class';

/**
 * The on-disk form of one coder's annotations of one dataset (readable JSON).
 *
 * Versions:
 * - 0: the unversioned prototype shape: `{ coder, dataset, clips: [{ clip, onsetFrame, apexFrame,
 *   offsetFrame, label, aus: '4+L10', note, time }] }` (no flags, no 3-class, AUs as a string).
 * - 1: `{ format, schemaVersion: 1, coder, dataset, datasetRoot?, savedAt?, annotations: { [clipId]:
 *   ClipAnnotation } }`.
 * - 2: as 1, plus a clip's further expressions under `<clipId>#expression-<n>` (n ≥ 2, the
 *   annotation's `expression`). Written only by a file that holds such expressions, so a file
 *   without them stays readable by versions that know 1; those refuse a 2 instead of misreading it.
 * A file with a newer version is refused and never overwritten.
 */
export const STORE_SCHEMA_VERSION = 2;

/** The lowest version that describes the file (see above). */
export function schemaVersionFor(file: CoderFile): number {
  return Object.values(file.annotations).some((a) => (a.expression ?? 1) > 1) ? 2 : 1;
}
export const STORE_FORMAT = 'mer-studio-annotations';

export interface CoderFile {
  format?: typeof STORE_FORMAT;
  schemaVersion: number;
  coder: string;
  dataset: string;
  datasetRoot?: string;
  savedAt?: string;
  /** The highest `revision` given to an annotation of this file (see withRevisions). */
  lastRevision?: number;
  annotations: Record<string, ClipAnnotation>;
}

interface CoderFileV0 {
  coder?: string;
  dataset?: string;
  clips: Array<{
    clip: string;
    onsetFrame?: number | null;
    apexFrame?: number | null;
    offsetFrame?: number | null;
    label?: string | null;
    aus?: string;
    note?: string;
    time?: string;
  }>;
}

/** A file written by a newer MER Studio: opened read-only, never overwritten. */
export class NewerSchemaError extends Error {
  override name = 'NewerSchemaError';
}

/** A file that is not a MER Studio annotation file at all. */
export class NotAnAnnotationFileError extends Error {
  override name = 'NotAnAnnotationFileError';
}

/** Brings any supported version up to the current one; `migratedFrom` says whether it changed. */
export function upgradeCoderFile(
  parsed: unknown,
  file: string,
): { data: CoderFile; migratedFrom: number | null } {
  if (typeof parsed !== 'object' || parsed === null) {
    throw new NotAnAnnotationFileError(`${file}: not a MER Studio annotation file`);
  }
  const record = parsed as Record<string, unknown>;
  const version = record.schemaVersion ?? 0;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 0) {
    throw new NotAnAnnotationFileError(
      `${file}: schemaVersion ${String(version)} is not a version`,
    );
  }
  if (version > STORE_SCHEMA_VERSION) {
    throw new NewerSchemaError(
      `${file} was written by a newer MER Studio (annotation schema ${version}; this version reads ` +
        `up to ${STORE_SCHEMA_VERSION}). Update MER Studio to edit it; the file is left untouched`,
    );
  }
  if (version >= 1) {
    if (typeof record.annotations !== 'object' || record.annotations === null) {
      throw new NotAnAnnotationFileError(`${file}: no annotations object`);
    }
    return { data: withRevisions(parsed as CoderFile), migratedFrom: null };
  }
  if (!Array.isArray(record.clips)) {
    throw new NotAnAnnotationFileError(`${file}: neither annotations (v1) nor clips (v0)`);
  }
  return { data: withRevisions(migrateV0(parsed as CoderFileV0)), migratedFrom: 0 };
}

/**
 * Every annotation gets a revision: those written before revisions existed count as 1, so a
 * save made on one of them is refused once it has changed. The fields are optional (older
 * versions of the app read and write such a file unchanged), so the schema version stays.
 */
export function withRevisions(file: CoderFile): CoderFile {
  const annotations: Record<string, ClipAnnotation> = {};
  let lastRevision = validRevision(file.lastRevision, 0) ?? 1;
  for (const [key, annotation] of Object.entries(file.annotations)) {
    const revision = validRevision(annotation.revision, 1) ?? 1;
    annotations[key] = { ...annotation, revision };
    lastRevision = Math.max(lastRevision, revision);
  }
  return { ...file, lastRevision, annotations };
}

function validRevision(value: unknown, least: number): number | null {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= least ? value : null;
}

function migrateV0(old: CoderFileV0): CoderFile {
  const coder = old.coder ?? 'coder1';
  const annotations: Record<string, ClipAnnotation> = {};
  for (const clip of old.clips) {
    const ausRaw = clip.aus ?? '';
    const emotion = clip.label ?? null;
    annotations[clip.clip] = {
      clipId: clip.clip,
      onset: clip.onsetFrame ?? null,
      apex: clip.apexFrame ?? null,
      offset: clip.offsetFrame ?? null,
      emotion,
      threeClass: threeClassOfEmotion(emotion),
      aus: parseAus(ausRaw).aus,
      ausRaw,
      flags: { blink: false, occlusion: false, badFrames: false },
      notes: clip.note ?? '',
      coder,
      updatedAt: clip.time ?? new Date(0).toISOString(),
    };
  }
  return {
    format: STORE_FORMAT,
    schemaVersion: STORE_SCHEMA_VERSION,
    coder,
    dataset: old.dataset ?? '',
    annotations,
  };
}
