import { constants as fsConstants } from 'node:fs';
import { copyFile, readdir, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import type { AnnotationConflict } from '../../shared/contract/annotations';
import type { ClipAnnotation } from '../../shared/domain';
import {
  backupOf,
  readIfExists,
  removeStaleTemporaries,
  writeFileAtomic,
} from '../app/atomic-write';
import { isReadOnlyError, makeStorageFolder, type StorageLocation } from './location';
import {
  NewerSchemaError,
  STORE_FORMAT,
  STORE_SCHEMA_VERSION,
  schemaVersionFor,
  upgradeCoderFile,
  type CoderFile,
} from './schema';
import { jsonSyntaxDetail } from '../app/json-error';
import {
  annotationKey,
  expressionOf,
  expressionsIn,
  insertionChanges,
  removalChanges,
  withExpression,
  type Change,
} from './expressions';
import { opposite, UndoHistory, type ClipStep, type Direction, type Step } from './history';
import { LinkedFolderError } from '../app/own-folder';
import { FileLockError, withFileLock, type FileLockOptions, type HeldLock } from './file-lock';

export { STORE_SCHEMA_VERSION } from './schema';

export interface AnnotationStoreOptions {
  /** Where to keep the file, or how to find out (probing the dataset folder) on first use. */
  location: StorageLocation | (() => Promise<StorageLocation>);
  coder: string;
  dataset: { name: string; root: string };
  /** Used when a save into the dataset folder fails because the disk turned read-only. */
  fallback?: StorageLocation;
  /** How long a save waits for another process's save of the file, and when its lock is stale. */
  lock?: FileLockOptions;
  /** A coder file to start from when ours does not exist yet (a read-only dataset's own copy). */
  seedFile?: string;
  /**
   * This coder's file in the app data folder, where saves went while the dataset folder could
   * not be written. Once it can, the clips changed there come back into the dataset's file.
   */
  strandedFile?: string;
}

/** What loading found out, for the user: recovered from the backup, migrated, seeded. */
export interface StoreNotice {
  kind: 'recovered' | 'migrated' | 'seeded' | 'relocated' | 'merged';
  message: string;
}

/** Where an undo or redo left the clip: the expression to show now, and its annotation. */
export interface StepResult {
  annotation: ClipAnnotation | null;
  expression: number;
}

/** Which stored version a save's edit was made on (optimistic concurrency). */
export interface SaveBasis {
  /** The expression's revision when the edit began; 0: it was not coded. */
  revision: number;
  /** The window that made the edit: its own earlier saves never conflict with it. */
  window: string;
}

/**
 * Which version a window's undo or redo was asked on: the expression it shows (as a save's
 * basis) and the revisions of the clip's expressions as it shows them (1 first; a step that adds
 * or removes a whole expression moves the others, so it is checked against all of them).
 */
export interface StepBasis extends SaveBasis {
  clip: number[];
}

/** A save refused: the expression was changed or deleted since the edit's version was loaded. */
export class AnnotationConflictError extends Error {
  override name = 'AnnotationConflictError';

  constructor(
    readonly conflict: AnnotationConflict,
    step?: Direction,
  ) {
    const which =
      conflict.expression > 1
        ? `expression ${conflict.expression} of ${conflict.clipId}`
        : conflict.clipId;
    super(
      step
        ? `${which} was changed in another window since this window showed it: ${step} not ` +
            'applied, nothing changed (load the other version first)'
        : `${which} was changed in another window since this edit began: not saved, nothing ` +
            'overwritten (load the other version, or save this one over it)',
    );
  }
}

/** Another window saved (or undid, or deleted) since; a window's own saves are never in its way. */
function conflicts(stored: ClipAnnotation | null, basis: SaveBasis): boolean {
  if (revisionOf(stored) === basis.revision) return false;
  return stored === null || stored.savedIn !== basis.window;
}

/** Refuses an undo or redo asked on a version another window has changed since (see StepBasis). */
function checkStepBasis(
  annotations: Record<string, ClipAnnotation>,
  where: { clipId: string; expression: number; step: Step; direction: Direction },
  basis: StepBasis,
): void {
  const { clipId, expression, step, direction } = where;
  const stored = annotations[annotationKey(clipId, expression)] ?? null;
  const expressions = expressionsIn(annotations, clipId);
  const clipChanged =
    step.scope === 'clip' &&
    (expressions.length !== basis.clip.length ||
      expressions.some((annotation, i) =>
        conflicts(annotation, { revision: basis.clip[i], window: basis.window }),
      ));
  if (conflicts(stored, basis) || clipChanged) {
    const conflict = {
      clipId,
      expression,
      revision: revisionOf(stored),
      expressions: expressions.length,
    };
    throw new AnnotationConflictError(conflict, direction);
  }
}

function revisionOf(annotation: ClipAnnotation | null): number {
  return annotation ? (annotation.revision ?? 1) : 0;
}

/** What a change does to the file, and what its caller learns from the state it was made on. */
interface Plan<T> {
  changes: Change[];
  outcome: T;
}

/** A change waiting for the next write: it is planned on the file as that write finds it. */
/** A write that found its lock taken over or the file changed before writing: read again. */
const LOCK_LOST = Symbol('lock lost');
const COMMIT_ATTEMPTS = 5;

interface QueuedChange {
  changesOf: (annotations: Record<string, ClipAnnotation>) => Change[];
  savedIn?: string;
  resolve: (written: Change[]) => void;
  reject: (error: Error) => void;
}

/** How a step is made: checked on the state it changes, and written as the asking window's. */
interface StepWrite {
  guard?: (annotations: Record<string, ClipAnnotation>) => void;
  savedIn?: string;
}

/** The file name of a coder's annotations: the name, percent-encoded where a file name could not hold it. */
export function coderFileName(coder: string): string {
  const encoded = encodeURIComponent(coder).replace(/^\./, '%2E');
  // Windows reserves these names whatever follows a dot (CON.json, NUL.txt.json are devices).
  const reserved = /^(con|prn|aux|nul|com\d|lpt\d)(\.|$)/i.test(encoded);
  return `${reserved ? `%${encoded.charCodeAt(0).toString(16).toUpperCase()}${encoded.slice(1)}` : encoded}.json`;
}

/** The name versions before 2026-11-22 gave the file (device names such as CON not encoded). */
function legacyCoderFileName(coder: string): string {
  return `${encodeURIComponent(coder).replace(/^\./, '%2E')}.json`;
}

export function coderOfFileName(name: string): string | null {
  if (!name.endsWith('.json')) return null;
  try {
    return decodeURIComponent(name.slice(0, -'.json'.length));
  } catch {
    return null;
  }
}

/**
 * One coder's annotations of one dataset, kept as readable JSON in <folder>/annotations/<coder>.json.
 *
 * Every acknowledged save is durable: saves resolve only after a write that contains them has
 * been fsynced and renamed into place (writes are coalesced, so frequent autosaves cost one write
 * at a time), and only then are they read back. Each write holds <coder>.json.lock and applies
 * its saves to the file as other processes left it. The previous state stays in <coder>.json.bak.
 * A file from a newer schema is refused and never overwritten. Undo/redo: a per-clip history
 * for this session (see annotations.undo), each step saved like any other change.
 */
export class AnnotationStore {
  readonly notices: StoreNotice[] = [];
  private noticesReported = 0;
  private state: CoderFile | null = null;
  private loading: Promise<CoderFile> | null = null;
  private refusal: Error | null = null;
  private location: StorageLocation | null = null;
  private locating: Promise<StorageLocation> | null = null;
  private writing: Promise<void> | null = null;
  /** Changes waiting for the next write. */
  private queued: QueuedChange[] = [];
  /** Identity (inode, mtime, size) of the file as we last read or wrote it. */
  private onDisk: string | null = null;
  /** The file's text as we last read or wrote it: another process's save changes it. */
  private lastText: string | null = null;
  private readonly history = new UndoHistory();
  /** The highest revision given here: a re-read file with a lower counter never reuses one. */
  private highestRevision = 0;

  constructor(private readonly options: AnnotationStoreOptions) {
    if (typeof options.location !== 'function') this.location = options.location;
  }

  /** The notices not yet passed on to the user (each is passed on once). */
  unreportedNotices(): string[] {
    const fresh = this.notices.slice(this.noticesReported).map((notice) => notice.message);
    this.noticesReported = this.notices.length;
    return fresh;
  }

  get coder(): string {
    return this.options.coder;
  }

  /** Where the annotations are kept (resolved on first use). */
  async where(): Promise<StorageLocation> {
    if (this.location) return this.location;
    // Concurrent first calls share one lookup, so they cannot settle on different folders.
    this.locating ??= (this.options.location as () => Promise<StorageLocation>)();
    this.location = await this.locating;
    return this.location;
  }

  /** This coder's file; call where() (or any read) first. */
  get file(): string {
    if (!this.location) throw new Error('annotation store: location not resolved yet');
    return path.join(this.location.folder, 'annotations', coderFileName(this.coder));
  }

  /** Every clip's first (or only) expression: one annotation per clip. */
  async all(): Promise<ClipAnnotation[]> {
    return Object.values((await this.load()).annotations).filter(
      (annotation) => expressionOf(annotation) === 1,
    );
  }

  /** Every expression of every clip, each clip's in order. */
  async allExpressions(): Promise<ClipAnnotation[]> {
    const all = Object.values((await this.load()).annotations);
    return all.sort(
      (a, b) =>
        (a.clipId < b.clipId ? -1 : a.clipId > b.clipId ? 1 : 0) ||
        expressionOf(a) - expressionOf(b),
    );
  }

  async get(clipId: string, expression = 1): Promise<ClipAnnotation | null> {
    return (await this.load()).annotations[annotationKey(clipId, expression)] ?? null;
  }

  /** The clip's expressions as coded, 1, 2, … (empty when not coded). */
  async expressionsOf(clipId: string): Promise<ClipAnnotation[]> {
    return expressionsIn((await this.load()).annotations, clipId);
  }

  /**
   * Saves one expression of a clip (its `expression`, 1 when absent); resolves once on disk with
   * the revision it was given. With a basis, refused (AnnotationConflictError) when the stored
   * expression is no longer the version the edit was made on.
   */
  async save(annotation: ClipAnnotation, basis?: SaveBasis): Promise<number> {
    const { clipId } = annotation;
    const expression = expressionOf(annotation);
    const key = annotationKey(clipId, expression);
    const { outcome: previous, written } = await this.change((annotations) => {
      const stored = annotations[key] ?? null;
      if (basis && conflicts(stored, basis)) {
        const expressions = expressionsIn(annotations, clipId).length;
        throw new AnnotationConflictError({
          clipId,
          expression,
          revision: revisionOf(stored),
          expressions,
        });
      }
      checkAddable(expressionsIn(annotations, clipId).length, clipId, expression);
      return { changes: [[key, annotation]], outcome: stored };
    }, basis?.window);
    this.history.recordEdit(clipId, expression, previous);
    return revisionOf(written[0][1]);
  }

  /**
   * Deletes one expression of a clip; the later ones move down a place, their undo history with
   * them. Undo brings it back. Resolves once on disk.
   */
  async removeExpression(clipId: string, expression: number): Promise<void> {
    const inverse = await this.removeAt(clipId, expression);
    if (inverse) this.history.recordClipStep(clipId, inverse);
  }

  canUndo(clipId: string, expression = 1): boolean {
    return this.history.canStep(clipId, expression, 'undo');
  }

  canRedo(clipId: string, expression = 1): boolean {
    return this.history.canStep(clipId, expression, 'redo');
  }

  /**
   * Takes back the latest of the expression's own last change and the clip's last deleted (or
   * added) expression; saved durably. Says which expression to show after it. With a basis,
   * refused (AnnotationConflictError) when another window changed what the step would change
   * since the asking window showed it: the history is shared by every window of the process.
   */
  async undo(clipId: string, expression = 1, basis?: StepBasis): Promise<StepResult> {
    return this.step(clipId, expression, 'undo', basis);
  }

  async redo(clipId: string, expression = 1, basis?: StepBasis): Promise<StepResult> {
    return this.step(clipId, expression, 'redo', basis);
  }

  private async step(
    clipId: string,
    expression: number,
    direction: Direction,
    basis?: StepBasis,
  ): Promise<StepResult> {
    const step = this.history.take(clipId, expression, direction);
    if (!step) return { annotation: await this.get(clipId, expression), expression };
    const write: StepWrite = basis
      ? {
          guard: (annotations) =>
            checkStepBasis(annotations, { clipId, expression, step, direction }, basis),
          savedIn: basis.window,
        }
      : {};
    try {
      const { inverse, shown } = await this.perform(clipId, expression, step, write);
      if (inverse) this.history.give(clipId, shown, opposite(direction), inverse);
      return { annotation: await this.get(clipId, shown), expression: shown };
    } catch (error) {
      this.history.putBack(clipId, expression, direction, step); // not saved: can be taken again
      throw error;
    }
  }

  private async perform(
    clipId: string,
    expression: number,
    step: Step,
    write: StepWrite,
  ): Promise<{ inverse: Step | null; shown: number }> {
    if (step.scope === 'clip' && step.action === 'reinsert') {
      const at = await this.reinsert(clipId, step, write);
      return { inverse: { scope: 'clip', action: 'remove', expression: at }, shown: at };
    }
    if (step.scope === 'clip') {
      const inverse = await this.removeAt(clipId, step.expression, write);
      const left = (await this.expressionsOf(clipId)).length;
      return { inverse, shown: Math.max(1, Math.min(step.expression, left)) };
    }
    if (step.annotation === null) {
      // Back before the expression's first save: it leaves the clip and the later ones move
      // down, as if deleted (leaving a gap would hide them).
      const inverse = await this.removeAt(clipId, expression, write);
      const left = (await this.expressionsOf(clipId)).length;
      return { inverse, shown: Math.min(expression, left + 1) };
    }
    const previous = await this.replace(clipId, expression, step.annotation, write);
    return { inverse: { scope: 'expression', annotation: previous }, shown: expression };
  }

  /** Puts an earlier state of an expression back in its place; returns the state it replaced. */
  private async replace(
    clipId: string,
    expression: number,
    annotation: ClipAnnotation,
    write: StepWrite,
  ): Promise<ClipAnnotation | null> {
    const key = annotationKey(clipId, expression);
    const { outcome } = await this.change((annotations) => {
      write.guard?.(annotations);
      if (!annotations[key] && expression > expressionsIn(annotations, clipId).length + 1) {
        throw new RangeError(`${clipId}: expression ${expression} is no longer there`);
      }
      return {
        changes: [[key, withExpression(annotation, expression)]],
        outcome: annotations[key] ?? null,
      };
    }, write.savedIn);
    return outcome;
  }

  /** Takes an expression out (the later ones move down, their history too); returns the undo. */
  private async removeAt(
    clipId: string,
    expression: number,
    write: StepWrite = {},
  ): Promise<ClipStep | null> {
    const { outcome: removed } = await this.change((annotations) => {
      write.guard?.(annotations);
      const expressions = expressionsIn(annotations, clipId);
      const annotation = expressions[expression - 1] ?? null;
      const changes = annotation ? removalChanges(expressions, clipId, expression) : [];
      return { changes, outcome: annotation };
    }, write.savedIn);
    if (!removed) return null;
    const history = this.history.removeAt(clipId, expression);
    return { scope: 'clip', action: 'reinsert', expression, annotation: removed, history };
  }

  /** Brings a removed expression back at its place (the later ones move up); returns where. */
  private async reinsert(
    clipId: string,
    step: Extract<ClipStep, { action: 'reinsert' }>,
    write: StepWrite,
  ): Promise<number> {
    const { outcome: at } = await this.change((annotations) => {
      write.guard?.(annotations);
      const expressions = expressionsIn(annotations, clipId);
      const place = Math.min(step.expression, expressions.length + 1);
      return {
        changes: insertionChanges(expressions, clipId, place, step.annotation),
        outcome: place,
      };
    }, write.savedIn);
    this.history.insertAt(clipId, at, step.history);
    return at;
  }

  /**
   * Queues the changes `plan` makes of the annotations for the next write, and resolves once
   * they are on disk. The plan runs inside that write, holding the file's lock, on the file as
   * it is then (another process may have saved since), so nothing can come in between. Each
   * annotation written gets the file's next revision (and `savedIn`: the window whose save it is).
   */
  private async change<T>(
    plan: (annotations: Record<string, ClipAnnotation>) => Plan<T>,
    savedIn?: string,
  ): Promise<{ outcome: T; written: Change[] }> {
    await this.load();
    if (this.refusal) throw this.refusal;
    let outcome: T | undefined;
    const written = await this.enqueue((annotations) => {
      const planned = plan(annotations);
      outcome = planned.outcome;
      return planned.changes;
    }, savedIn);
    return { outcome: outcome as T, written };
  }

  private enqueue(changesOf: QueuedChange['changesOf'], savedIn?: string): Promise<Change[]> {
    return new Promise((resolve, reject) => {
      this.queued.push({ changesOf, savedIn, resolve, reject });
      this.startWriting();
    });
  }

  /** One write at a time; changes queued during a write go together into the next one. */
  private startWriting(): void {
    this.writing ??= this.writeQueued().finally(() => {
      this.writing = null;
      if (this.queued.length > 0) this.startWriting();
    });
  }

  private async writeQueued(): Promise<void> {
    while (this.queued.length > 0) {
      const batch = this.queued.splice(0);
      try {
        const results = await this.commit(batch);
        batch.forEach((change, i) => {
          const result = results[i];
          if (result instanceof Error) change.reject(result);
          else change.resolve(result);
        });
      } catch (error) {
        // Not on disk, so not in memory either: the windows keep their edits as drafts.
        for (const change of batch) change.reject(error as Error);
      }
    }
  }

  /** Writes a batch; into the app data folder when the dataset folder turned read-only. */
  private async commit(batch: QueuedChange[]): Promise<Array<Change[] | Error>> {
    try {
      return await this.commitLocked(batch);
    } catch (error) {
      if (!this.mayRelocate(error)) throw error;
      await this.relocate(error);
      return this.commitLocked(batch);
    }
  }

  /**
   * Holding the file's lock (other processes write it too: the app, `serve`, the CLI): reads
   * what they saved, applies the batch on top and writes the result.
   */
  private async commitLocked(batch: QueuedChange[]): Promise<Array<Change[] | Error>> {
    const location = await this.where();
    await makeStorageFolder(location, 'annotations');
    for (let attempt = 1; ; attempt++) {
      const results = await withFileLock(
        this.file,
        (lock) => this.commitHolding(batch, lock),
        this.options.lock,
      );
      if (results !== LOCK_LOST) return results;
      if (attempt === COMMIT_ATTEMPTS) {
        throw new Error(
          `${this.file} kept changing while this save was being made (a writer that takes no lock, such as an older MER Studio?): not saved`,
        );
      }
    }
  }

  private async commitHolding(
    batch: QueuedChange[],
    lock: HeldLock,
  ): Promise<Array<Change[] | Error> | typeof LOCK_LOST> {
    const { base, changedElsewhere } = await this.latestOnDisk();
    const { next, results, keys } = this.applied(batch, base);
    if (keys.size === 0) return results;
    // Paused past the lock's stale time (a debugger, a suspended machine), this process may have
    // lost the lock to a writer that saved since: writing now would undo that save.
    const stillAsRead = async () =>
      (await lock.stillOurs()) && (await readIfExists(this.file)) === this.lastText;
    if (!(await this.writeState(next, stillAsRead))) return LOCK_LOST;
    if (changedElsewhere) {
      this.notices.push({
        kind: 'merged',
        message: `${this.file} was changed by another window or process: its clips were kept and this window's ${keys.size} changed clips saved on top`,
      });
    }
    return results;
  }

  /**
   * The file as it is now, read under the lock: when another process saved it since, its state
   * becomes ours (the text is compared, not the file's time: a network share may report stale
   * times, while opening the file reads it afresh).
   */
  private async latestOnDisk(): Promise<{ base: CoderFile; changedElsewhere: boolean }> {
    const text = await readIfExists(this.file);
    const state = this.state as CoderFile;
    if (text === null || text === this.lastText) return { base: state, changedElsewhere: false };
    const parsed = this.tryParse(text, this.file);
    if (!parsed.ok) {
      if (parsed.error instanceof NewerSchemaError) {
        this.refusal = parsed.error;
        throw parsed.error;
      }
      await this.keepUnreadableEdit(parsed.error, text); // our state replaces it
      return { base: state, changedElsewhere: false };
    }
    this.state = parsed.data;
    this.lastText = text;
    this.onDisk = await fileIdentity(this.file);
    return { base: parsed.data, changedElsewhere: true };
  }

  /**
   * Runs each change of the batch on the state the ones before it left, so each is checked
   * against the stored version it would replace; a refused change (a conflict) changes nothing.
   */
  private applied(
    batch: QueuedChange[],
    base: CoderFile,
  ): { next: CoderFile; results: Array<Change[] | Error>; keys: Set<string> } {
    let annotations = base.annotations;
    const keys = new Set<string>();
    const results = batch.map((change): Change[] | Error => {
      try {
        const written = change
          .changesOf(annotations)
          .map(([key, annotation]): Change => [
            key,
            annotation && this.stamped(annotation, base, change.savedIn),
          ]);
        annotations = withChanges(annotations, written);
        for (const [key] of written) keys.add(key);
        return written;
      } catch (error) {
        return error as Error;
      }
    });
    return { next: { ...base, lastRevision: this.highestRevision, annotations }, results, keys };
  }

  private stamped(
    annotation: ClipAnnotation,
    base: CoderFile,
    savedIn: string | undefined,
  ): ClipAnnotation {
    const revision = Math.max(base.lastRevision ?? 1, this.highestRevision) + 1;
    this.highestRevision = revision;
    return { ...annotation, revision, savedIn };
  }

  /** Writes the state; false when `beforeReplace` called the write off. */
  private async writeState(
    next: CoderFile,
    beforeReplace: () => Promise<boolean>,
  ): Promise<boolean> {
    const file = {
      ...next,
      schemaVersion: schemaVersionFor(next),
      savedAt: new Date().toISOString(),
    };
    const content = `${JSON.stringify(file, null, 2)}\n`;
    if (!(await writeFileAtomic(this.file, content, { backup: true, beforeReplace }))) return false;
    this.state = next;
    this.lastText = content;
    this.onDisk = await fileIdentity(this.file);
    return true;
  }

  private mayRelocate(error: unknown): boolean {
    return (
      isReadOnlyError(error) &&
      this.options.fallback !== undefined &&
      this.location?.where === 'dataset'
    );
  }

  private async relocate(error: unknown): Promise<void> {
    this.location = this.options.fallback as StorageLocation;
    // A stale lock the read-only folder would not let go of: the folder's state is the cause,
    // and removing the lock by hand is no longer needed (the saves go elsewhere now).
    const cause =
      error instanceof LinkedFolderError
        ? error.message
        : error instanceof FileLockError
          ? (error.code ?? error.message)
          : (error as NodeJS.ErrnoException).code;
    this.notices.push({
      kind: 'relocated',
      message: `could not write into the dataset folder (${cause}); saving to ${this.file}`,
    });
    // This state replaces what an earlier stay there left (it was brought back, or is older).
    this.lastText = await readIfExists(this.file).catch(() => null);
  }

  private async load(): Promise<CoderFile> {
    if (this.refusal) throw this.refusal;
    if (this.state) return this.refreshed(this.state);
    // Saves that arrive together share one read: a second read would replace the state that
    // the first saves were applied to.
    this.loading ??= this.firstLoad().finally(() => (this.loading = null));
    return this.loading;
  }

  private async firstLoad(): Promise<CoderFile> {
    await this.where();
    try {
      this.onDisk = await fileIdentity(this.file);
      this.state = await this.readState();
    } catch (error) {
      if (error instanceof NewerSchemaError || !(error instanceof Error))
        this.refusal = error as Error;
      throw error;
    }
    await removeStaleTemporaries(this.file).catch(() => undefined);
    if (this.location?.where === 'dataset') {
      await this.bringBackStranded().catch((error: Error) =>
        this.notices.push({ kind: 'merged', message: `not brought back: ${error.message}` }),
      );
    }
    return this.state;
  }

  /**
   * The state, re-read when another writer (another process, or the app's adjudication of a coder
   * not open here) replaced the file since: a reader must not show, and then save, a stale copy.
   * During a write, that write reads the file under its lock instead (latestOnDisk).
   */
  private async refreshed(state: CoderFile): Promise<CoderFile> {
    if (this.writing) return state;
    const now = await fileIdentity(this.file);
    if (now === null || now === this.onDisk) return state;
    const text = await readIfExists(this.file);
    if (this.writing || this.state !== state) return this.state ?? state;
    const parsed = text === null ? null : this.tryParse(text, this.file);
    if (parsed && !parsed.ok && !(parsed.error instanceof NewerSchemaError)) {
      await this.keepUnreadableEdit(parsed.error, text as string);
      return this.state ?? state;
    }
    if (!parsed?.ok) return state;
    this.state = parsed.data;
    this.lastText = text;
    this.onDisk = now;
    return this.state;
  }

  /** The file was changed outside the app into something unreadable: a copy survives our next save. */
  private async keepUnreadableEdit(problem: Error, text: string): Promise<void> {
    const aside = `${this.file}.damaged-${Date.now()}`;
    await copyFile(this.file, aside);
    this.lastText = text;
    this.onDisk = await fileIdentity(this.file);
    this.notices.push({
      kind: 'recovered',
      message: `${problem.message}: it was changed outside MER Studio; the app goes on from its own copy and kept that file as ${aside}`,
    });
  }

  /** Takes the stranded file's newer clips, saves them here, then sets that file aside. */
  private async bringBackStranded(): Promise<void> {
    const stranded = this.options.strandedFile;
    if (!stranded || stranded === this.file) return;
    const text = await readIfExists(stranded);
    if (text === null) return;
    const parsed = this.tryParse(text, stranded);
    if (!parsed.ok) throw parsed.error;
    // Each gets a new revision: windows that loaded the old version must not save over it.
    const broughtBack = await this.enqueue((annotations) =>
      Object.entries(parsed.data.annotations).filter(
        ([key, annotation]) =>
          !annotations[key] || annotation.updatedAt > annotations[key].updatedAt,
      ),
    );
    if (this.file === stranded) return; // the dataset folder refused the write after all
    const aside = `${stranded}.brought-back-${Date.now()}`;
    await rename(stranded, aside);
    this.notices.push({
      kind: 'merged',
      message: `${broughtBack.length} clips saved in the app data folder while the dataset folder could not be written are back in ${this.file} (that file kept as ${aside})`,
    });
  }

  private async readState(): Promise<CoderFile> {
    await this.adoptLegacyFile();
    const text = await readIfExists(this.file);
    this.lastText = text;
    if (text !== null) {
      const main = this.tryParse(text, this.file);
      if (main.ok) {
        if (main.migratedFrom !== null) await this.noteMigration(this.file, main.migratedFrom);
        return main.data;
      }
      if (main.error instanceof NewerSchemaError) throw main.error;
      return this.recoverFromBackup(main.error);
    }
    const backup = await readIfExists(backupOf(this.file));
    if (backup !== null) return this.recoverFromBackup(new Error(`${this.file} is missing`));
    return (await this.seed()) ?? this.empty();
  }

  /** A coder named like a Windows device (CON) had its file under the plain name: move it. */
  private async adoptLegacyFile(): Promise<void> {
    const legacy = path.join(path.dirname(this.file), legacyCoderFileName(this.coder));
    if (process.platform === 'win32' || legacy === this.file) return; // Windows never had one
    if ((await fileIdentity(this.file)) !== null || (await fileIdentity(legacy)) === null) return;
    await rename(legacy, this.file);
    await rename(backupOf(legacy), backupOf(this.file)).catch(() => undefined);
    this.notices.push({
      kind: 'migrated',
      message: `${legacy} renamed ${path.basename(this.file)} (a name Windows keeps for a device)`,
    });
  }

  private tryParse(
    text: string,
    file: string,
  ): { ok: true; data: CoderFile; migratedFrom: number | null } | { ok: false; error: Error } {
    try {
      return { ok: true, ...upgradeCoderFile(JSON.parse(text), file) };
    } catch (error) {
      if (!(error instanceof SyntaxError)) return { ok: false, error: error as Error };
      return {
        ok: false,
        error: new Error(`${file} is not valid JSON (${jsonSyntaxDetail(error)})`),
      };
    }
  }

  /** Keeps the damaged file aside and goes on from the previous save. */
  private async recoverFromBackup(problem: Error): Promise<CoderFile> {
    const text = await readIfExists(backupOf(this.file));
    const parsed = text === null ? null : this.tryParse(text, backupOf(this.file));
    if (!parsed?.ok) {
      this.refusal = new Error(
        `${problem.message}; no usable backup (${backupOf(this.file)}). The file is left as it is: ` +
          'fix or move it, then reopen the dataset',
      );
      throw this.refusal;
    }
    const aside = `${this.file}.damaged-${Date.now()}`;
    await copyFile(this.file, aside).catch(() => undefined);
    this.notices.push({
      kind: 'recovered',
      message: `${problem.message}: recovered the previous save from ${backupOf(this.file)} (damaged file kept as ${aside})`,
    });
    return parsed.data;
  }

  /** Keeps the original of a migrated file beside it (the migrated form is written on save). */
  private async noteMigration(file: string, from: number): Promise<void> {
    const copy = `${file}.v${from}.bak`;
    await copyFile(file, copy, fsConstants.COPYFILE_EXCL).catch(() => undefined);
    this.notices.push({
      kind: 'migrated',
      message: `${file}: upgraded from annotation schema ${from} to ${STORE_SCHEMA_VERSION} (original kept as ${copy})`,
    });
  }

  private async seed(): Promise<CoderFile | null> {
    const seedFile = this.options.seedFile;
    if (!seedFile || seedFile === this.file) return null;
    const text = await readIfExists(seedFile);
    if (text === null) return null;
    const parsed = this.tryParse(text, seedFile);
    if (!parsed.ok) throw parsed.error;
    this.notices.push({
      kind: 'seeded',
      message: `started from ${seedFile} (read-only); changes are saved to ${this.file}`,
    });
    return parsed.data;
  }

  private empty(): CoderFile {
    return {
      format: STORE_FORMAT,
      schemaVersion: STORE_SCHEMA_VERSION,
      coder: this.coder,
      dataset: this.options.dataset.name,
      datasetRoot: this.options.dataset.root,
      lastRevision: 0,
      annotations: {},
    };
  }
}

/** Every atomic replace makes a new inode, so this changes whenever anyone saves the file. */
async function fileIdentity(file: string): Promise<string | null> {
  const info = await stat(file).catch(() => null);
  return info ? `${info.ino}:${info.mtimeMs}:${info.size}` : null;
}

function withChanges(
  annotations: Record<string, ClipAnnotation>,
  changes: Change[],
): Record<string, ClipAnnotation> {
  const changed = { ...annotations };
  for (const [key, annotation] of changes) {
    if (annotation) changed[key] = annotation;
    else delete changed[key];
  }
  return changed;
}

/** A clip's next expression can be added; one beyond it would leave a gap. */
function checkAddable(coded: number, clipId: string, expression: number): void {
  if (expression > coded + 1) {
    throw new RangeError(
      `${clipId}: expression ${expression} cannot be added: the clip has ${coded} (add the next, ${coded + 1})`,
    );
  }
}

/** The coders that have a file in a storage folder. */
export async function listCoders(folder: string): Promise<string[]> {
  const names = await readdir(path.join(folder, 'annotations')).catch(() => [] as string[]);
  return names
    .map(coderOfFileName)
    .filter((coder): coder is string => coder !== null)
    .sort();
}
