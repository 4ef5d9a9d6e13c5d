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

export { STORE_SCHEMA_VERSION } from './schema';

export interface AnnotationStoreOptions {
  /** Where to keep the file, or how to find out (probing the dataset folder) on first use. */
  location: StorageLocation | (() => Promise<StorageLocation>);
  coder: string;
  dataset: { name: string; root: string };
  /** Used when a save into the dataset folder fails because the disk turned read-only. */
  fallback?: StorageLocation;
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
 * Every acknowledged save is durable: saves apply to memory at once and resolve only after a
 * write that contains them has been fsynced and renamed into place (writes are coalesced, so
 * frequent autosaves cost one write at a time). The previous state stays in <coder>.json.bak.
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
  private changeCount = 0;
  private writtenCount = 0;
  private writing: Promise<void> | null = null;
  /** Clips changed here and not yet written. */
  private readonly unsynced = new Set<string>();
  /** Identity (inode, mtime, size) of the file as we last read or wrote it. */
  private onDisk: string | null = null;
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
   * Applies the changes `plan` makes of the current annotations and writes them at once; the
   * plan runs on the state the changes apply to, so nothing can come in between. Each annotation
   * written gets the file's next revision (and `savedIn`: the window whose save it is).
   */
  private async change<T>(
    plan: (annotations: Record<string, ClipAnnotation>) => Plan<T>,
    savedIn?: string,
  ): Promise<{ outcome: T; written: Change[] }> {
    const state = await this.load();
    if (this.refusal) throw this.refusal;
    const { changes, outcome } = plan(state.annotations);
    const written = changes.map(([key, annotation]): Change => [
      key,
      annotation && this.stamped(annotation, savedIn),
    ]);
    if (written.length > 0) await this.put(written);
    return { outcome, written };
  }

  private stamped(annotation: ClipAnnotation, savedIn: string | undefined): ClipAnnotation {
    const state = this.state as CoderFile;
    const revision = Math.max(state.lastRevision ?? 1, this.highestRevision) + 1;
    this.highestRevision = revision;
    this.state = { ...state, lastRevision: revision };
    return { ...annotation, revision, savedIn };
  }

  /** Applies changes (annotation key → annotation, null to delete) and writes them at once. */
  private async put(changes: Change[]): Promise<void> {
    const state = this.state as CoderFile;
    const previous = changes.map(([key]) => state.annotations[key] ?? null);
    for (const [key, annotation] of changes) {
      this.setClip(key, annotation);
      this.unsynced.add(key);
    }
    try {
      await this.flush();
    } catch (error) {
      // Not on disk, so not in memory either: no reader may take it for saved. The window that
      // made the change keeps it as a draft and saves it again.
      changes.forEach(([key, annotation], i) => {
        if ((this.state as CoderFile).annotations[key] === (annotation ?? undefined)) {
          this.setClip(key, previous[i]);
        }
      });
      throw error;
    }
  }

  private setClip(key: string, annotation: ClipAnnotation | null): void {
    const state = this.state as CoderFile;
    const annotations = { ...state.annotations };
    if (annotation) annotations[key] = annotation;
    else delete annotations[key];
    this.state = { ...state, annotations };
  }

  /** Waits until every change made so far is durable (one write at a time, coalesced). */
  async flush(): Promise<void> {
    const wanted = ++this.changeCount;
    while (this.writtenCount < wanted) {
      this.writing ??= this.writeNow().finally(() => {
        this.writing = null;
      });
      await this.writing;
    }
  }

  private async writeNow(): Promise<void> {
    const count = this.changeCount;
    await this.mergeChangesOnDisk();
    const state = this.state as CoderFile;
    const included = new Set(this.unsynced);
    const file = {
      ...state,
      schemaVersion: schemaVersionFor(state),
      savedAt: new Date().toISOString(),
    };
    const content = `${JSON.stringify(file, null, 2)}\n`;
    try {
      await this.writeTo(this.file, content);
    } catch (error) {
      if (!(
        isReadOnlyError(error) &&
        this.options.fallback &&
        this.location?.where === 'dataset'
      )) {
        throw error;
      }
      this.location = this.options.fallback;
      this.notices.push({
        kind: 'relocated',
        message: `could not write into the dataset folder (${error instanceof LinkedFolderError ? error.message : (error as NodeJS.ErrnoException).code}); saving to ${this.file}`,
      });
      await this.writeTo(this.file, content);
    }
    this.writtenCount = Math.max(this.writtenCount, count);
    this.onDisk = await fileIdentity(this.file);
    for (const clipId of included) this.unsynced.delete(clipId);
  }

  /**
   * Another process (a second window of the app) may have saved the same coder's file since we
   * read it: take its clips and put ours, changed since, on top, so neither loses work.
   */
  private async mergeChangesOnDisk(): Promise<void> {
    const now = await fileIdentity(this.file);
    if (now === null || now === this.onDisk) return;
    const text = await readIfExists(this.file);
    if (text === null) return;
    const parsed = this.tryParse(text, this.file);
    if (!parsed.ok) {
      if (parsed.error instanceof NewerSchemaError) {
        this.refusal = parsed.error;
        throw parsed.error;
      }
      return this.keepUnreadableEdit(parsed.error, now); // our state replaces it
    }
    const state = this.state as CoderFile;
    const annotations = { ...parsed.data.annotations };
    for (const clipId of this.unsynced) {
      if (state.annotations[clipId]) annotations[clipId] = state.annotations[clipId];
      else delete annotations[clipId];
    }
    const lastRevision = Math.max(state.lastRevision ?? 1, parsed.data.lastRevision ?? 1);
    this.state = { ...state, lastRevision, annotations };
    this.notices.push({
      kind: 'merged',
      message: `${this.file} was changed by another window or process: its clips were kept and this window's ${this.unsynced.size} changed clips saved on top`,
    });
    this.onDisk = now;
  }

  private async writeTo(file: string, content: string): Promise<void> {
    const location = await this.where();
    await makeStorageFolder(location, path.relative(location.folder, path.dirname(file)));
    await writeFileAtomic(file, content, { backup: true });
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
   * With our own changes pending, the next write merges instead (mergeChangesOnDisk).
   */
  private async refreshed(state: CoderFile): Promise<CoderFile> {
    if (this.unsynced.size > 0 || this.writing) return state;
    const now = await fileIdentity(this.file);
    if (now === null || now === this.onDisk) return state;
    const text = await readIfExists(this.file);
    const parsed = text === null ? null : this.tryParse(text, this.file);
    if (parsed && !parsed.ok && !(parsed.error instanceof NewerSchemaError)) {
      await this.keepUnreadableEdit(parsed.error, now);
      return this.state ?? state;
    }
    if (!parsed?.ok || this.state !== state || this.unsynced.size > 0) return this.state ?? state;
    this.state = parsed.data;
    this.onDisk = now;
    return this.state;
  }

  /** The file was changed outside the app into something unreadable: a copy survives our next save. */
  private async keepUnreadableEdit(problem: Error, identity: string): Promise<void> {
    const aside = `${this.file}.damaged-${Date.now()}`;
    await copyFile(this.file, aside);
    this.onDisk = identity;
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
    const annotations = (this.state as CoderFile).annotations;
    const newer = Object.entries(parsed.data.annotations).filter(
      ([clipId, annotation]) =>
        !annotations[clipId] || annotation.updatedAt > annotations[clipId].updatedAt,
    );
    for (const [clipId, annotation] of newer) {
      // A new version of the clip here: windows that loaded the old one must not save over it.
      this.setClip(clipId, this.stamped(annotation, undefined));
      this.unsynced.add(clipId);
    }
    if (newer.length > 0) await this.flush();
    if (this.file === stranded) return; // the dataset folder refused the write after all
    const aside = `${stranded}.brought-back-${Date.now()}`;
    await rename(stranded, aside);
    this.notices.push({
      kind: 'merged',
      message: `${newer.length} clips saved in the app data folder while the dataset folder could not be written are back in ${this.file} (that file kept as ${aside})`,
    });
  }

  private async readState(): Promise<CoderFile> {
    await this.adoptLegacyFile();
    const text = await readIfExists(this.file);
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
