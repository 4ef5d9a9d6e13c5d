import { z } from 'zod';
import { request } from './define';
import {
  annotationFields,
  clipId,
  coderName,
  expressionNumber,
  filePath,
  saveBasis,
  windowCoder,
} from './schemas';
import type { ClipAnnotation, ThreeClass } from '../domain';

export interface ClipAnnotations {
  /** The coder's own annotation of the asked expression, null when not yet coded. */
  own: ClipAnnotation | null;
  /** Every expression the coder has coded in this clip, in order (empty when none). */
  ownAll: ClipAnnotation[];
  /** The dataset's official annotation (imported), kept apart and never edited. */
  imported: ClipAnnotation | null;
  /** Every imported expression of the clip (CAS(ME)^3 clips can hold several), by onset. */
  importedAll: ClipAnnotation[];
  /** Whether annotations.undo / annotations.redo have a step for this clip in this session. */
  canUndo: boolean;
  canRedo: boolean;
  /** What reading or saving this coder's file found that the user should know (once each):
   *  recovered from the backup, upgraded, moved to the app data folder, merged. */
  notices: string[];
}

/** Where a coder's annotations are kept and why (a read-only dataset falls back to app data). */
export interface AnnotationLocation {
  /** The folder holding annotations/ and imported/. */
  folder: string;
  where: 'dataset' | 'app-data';
  /** Why the app data folder is used, e.g. "the dataset folder is read-only (EROFS)". */
  reason?: string;
  /** This coder's file. */
  file: string;
}

/** The fields an imported table's columns can be mapped to, in the order a form shows them. */
export const ANNOTATION_FIELDS = [
  'db',
  'subject',
  'clip',
  'onset',
  'apex',
  'offset',
  'emotion',
  'threeClass',
  'aus',
  'notes',
] as const;

export type AnnotationField = (typeof ANNOTATION_FIELDS)[number];

/** Field → header name as written in the file's header row ('column 3' for files without one). */
export type ColumnMapping = Partial<Record<AnnotationField, string>>;

export type ImportFormat = 'casme2' | 'samm' | 'casme3' | 'megc2019-composite' | 'mapped';

export interface ImportPreview {
  file: string;
  format: ImportFormat;
  sheets: string[];
  sheet?: string;
  /** 1-based sheet row of the header, null when the file has none. */
  headerRow: number | null;
  headers: string[];
  /** The first data rows, as text. */
  rows: string[][];
  /** Auto-suggested by header name; the user corrects it in the mapping step. */
  suggested: ColumnMapping;
  encoding?: string;
  warnings: string[];
}

export interface ClassCounts {
  rows: number;
  /** Native labels as written (after trimming), e.g. { disgust: 63, others: 99 }. */
  native: Record<string, number>;
  threeClass: Record<ThreeClass, number>;
  /** Rows with no 3-class label ('others', empty, labels outside the task). */
  noThreeClass: number;
}

export interface RejectedRow {
  /** 1-based row of the sheet, as the spreadsheet program shows it. */
  row: number;
  subject: string;
  clip: string;
  reason: string;
  /** The open dataset's clip the row names, when it names one (its frames or labels were bad). */
  clipId?: string;
}

export interface ImportReport {
  file: string;
  format: ImportFormat;
  sheet?: string;
  headerRow: number | null;
  mapping: ColumnMapping;
  encoding?: string;
  /** Non-blank data rows. */
  rowsRead: number;
  rowsAccepted: number;
  /** Rows matched to clips of the open dataset; null when no dataset was given. */
  rowsMatched: number | null;
  /** Clips that received at least one imported expression. */
  clipsMatched: number | null;
  rejected: RejectedRow[];
  /** Rejections grouped by kind of reason, e.g. { 'unknown clip': 3 }. */
  rejectedByKind: Record<string, number>;
  warnings: string[];
  counts: {
    /** Every row read: the mapping applied to the whole file (DATASETS.md's figures). */
    all: ClassCounts;
    accepted: ClassCounts;
    matched?: ClassCounts;
    /** Rows whose clip is in the composite list given with --composite / composite. */
    inComposite?: ClassCounts;
    /** Per source database, for files with a db column (the composite list). */
    byDb?: Record<string, ClassCounts>;
  };
  /** Where the import was saved (only with an open dataset). */
  saved?: {
    id: string;
    file: string;
    where: 'dataset' | 'app-data';
    /** An earlier import of the same source that this one replaced (only that one). */
    replaced: { importedAt: string; rowsAccepted: number } | null;
  };
}

export interface ImportedSetSummary {
  id: string;
  source: string;
  format: ImportFormat;
  importedAt: string;
  rowsRead: number;
  rowsMatched: number | null;
  /** The clips this import covers: a filter such as "only the composite's clips". */
  clipIds: string[];
}

export interface UndoResult {
  /** The expression to show after the step: another when it brought back or deleted one. */
  expression: number;
  /** Its annotation (null: not coded). */
  annotation: ClipAnnotation | null;
  /** How many expressions the coder has coded in the clip now. */
  ownExpressions: number;
  canUndo: boolean;
  canRedo: boolean;
  /** What reading or saving this coder's file found that the user should know (once each):
   *  recovered from the backup, upgraded, moved to the app data folder, merged. */
  notices: string[];
}

/** A save refused because the expression changed since the edit's version was loaded. */
export interface AnnotationConflict {
  clipId: string;
  expression: number;
  /** The stored revision now (0: not coded, e.g. deleted in another window). */
  revision: number;
  /**
   * How many expressions the coder has in the clip now: another count than the window shows
   * means one was deleted or added, so the expression at this place may be another one.
   */
  expressions?: number;
}

/**
 * Which version an undo or redo was asked on: the shown expression's (as a save's basedOn) and
 * the revisions of the clip's expressions as the window shows them (expression 1 first).
 */
const stepBasis = z
  .object({
    revision: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    window: z.string().min(1).max(64),
    clip: z.array(z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)).max(10_000),
  })
  .strict();

const columnMapping = z
  .object(
    Object.fromEntries(ANNOTATION_FIELDS.map((field) => [field, z.string().max(256)])) as Record<
      AnnotationField,
      z.ZodString
    >,
  )
  .partial()
  .strict();

const importSource = {
  file: filePath,
  sheet: z.string().min(1).max(256).optional(),
  /** 1-based header row; 0 = the file has no header row (columns are 'column 1', …). */
  headerRow: z.number().int().min(0).max(1000).optional(),
};

export const annotationRequests = {
  'annotations.get': request(
    z.object({ clipId, coder: windowCoder, expression: expressionNumber }),
  ).returns<ClipAnnotations>(),
  'annotations.save': request(
    z.object({
      clipId,
      fields: annotationFields,
      /** The dataset the edit was made in: refused when another is open (clip ids repeat). */
      datasetRoot: filePath.optional(),
      coder: windowCoder,
      /** The next after the last coded adds an expression. */
      expression: expressionNumber,
      /**
       * The version the edit was made on: refused with the error code 'conflict' when another
       * window saved since. Absent: saved whatever is stored (the CLI, scripts, "keep mine").
       */
      basedOn: saveBasis.optional(),
    }),
  ).returns<{
    savedAt: string;
    /** The expression's revision now: the basis of this window's next save. */
    revision: number;
    file: string;
    where: AnnotationLocation['where'];
    notices: string[];
  }>(),
  'annotations.list': request(z.object({})).returns<ClipAnnotation[]>(),
  /**
   * Steps back the coder's annotation of an expression (history kept by the backend for the
   * session): its own last change, or the clip's last deleted expression when that came later.
   * With basedOn (a window's view), refused with the error code 'conflict' when another window
   * changed what the step would change since; without (the CLI, scripts), applied as it is.
   */
  'annotations.undo': request(
    z.object({
      clipId,
      coder: windowCoder,
      expression: expressionNumber,
      basedOn: stepBasis.optional(),
    }),
  ).returns<UndoResult>(),
  'annotations.redo': request(
    z.object({
      clipId,
      coder: windowCoder,
      expression: expressionNumber,
      basedOn: stepBasis.optional(),
    }),
  ).returns<UndoResult>(),
  /** Deletes one of the coder's expressions of a clip; the later ones move down a place (undoable). */
  'annotations.removeExpression': request(
    z.object({
      clipId,
      coder: windowCoder,
      expression: z.number().int().min(1).max(10_000),
      datasetRoot: filePath.optional(),
    }),
  ).returns<{ ownExpressions: number; notices: string[] }>(),
  'annotations.location': request(z.object({})).returns<AnnotationLocation>(),
  'annotations.coders': request(z.object({})).returns<{ current: string; coders: string[] }>(),
  'annotations.setCoder': request(z.object({ coder: coderName })).returns<{ coder: string }>(),
  /** Headers, first rows and a suggested mapping: the column-mapping step of an import. */
  'annotations.importPreview': request(z.object(importSource)).returns<ImportPreview>(),
  /** Imports a file into the open dataset's imported sets (never into a coder's file). */
  'annotations.import': request(
    z.object({
      ...importSource,
      mapping: columnMapping.optional(),
      /** A combined_3class_gt.csv: also count the rows whose clip is in the composite. */
      composite: filePath.optional(),
    }),
  ).returns<ImportReport>(),
  'annotations.imports': request(z.object({})).returns<ImportedSetSummary[]>(),
  /**
   * The open dataset's clips that a list names (e.g. combined_3class_gt.csv: "only the
   * composite's clips"), without importing it: a filter for the clip list.
   */
  'annotations.membership': request(
    z.object({ ...importSource, mapping: columnMapping.optional() }),
  ).returns<{
    clipIds: string[];
    rowsRead: number;
    rejected: RejectedRow[];
  }>(),
  'annotations.removeImport': request(z.object({ id: z.string().min(1).max(256) })).returns<{
    removed: boolean;
  }>(),
};
