import { createHash } from 'node:crypto';
import { readFile, readdir, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { ClipAnnotation, DatasetIndex, Problem } from '../../shared/domain';
import type { ImportReport, ImportedSetSummary } from '../../shared/contract/annotations';
import { readIfExists, writeFileAtomic } from '../app/atomic-write';
import {
  appDataStorageFolder,
  datasetStorageFolder,
  makeStorageFolder,
  type StorageLocation,
} from './location';
import type { ImportOutcome } from './import/import';
import { jsonSyntaxDetail } from '../app/json-error';
import { FileLockError, withFileLock } from './file-lock';

export const IMPORT_SCHEMA_VERSION = 1;
const IMPORT_FORMAT = 'mer-studio-import';

/**
 * One imported annotation file, saved as <storage>/imported/<id>.json. Kept apart from every
 * coder's file; re-importing the same source (same file name) replaces this set and nothing else.
 */
export interface ImportedSet {
  format: typeof IMPORT_FORMAT;
  schemaVersion: number;
  id: string;
  source: { file: string; name: string; sha256: string };
  importedAt: string;
  report: ImportReport;
  /** Imported expressions per clip id, sorted by onset (frames are 0-based indexes). */
  annotations: Record<string, ClipAnnotation[]>;
}

/** The id of an import: the source's file name, made safe as a file name. */
export function importIdOf(file: string): string {
  return path.basename(file).replace(/[^\p{L}\p{N}._-]/gu, '_');
}

function importFile(folder: string, id: string): string {
  return path.join(folder, 'imported', `${id}.json`);
}

/**
 * Saves an import; an earlier import of the same source is replaced (and reported). Holds the
 * file's lock while it reads the earlier one and writes: the app, `serve` and the CLI may save
 * the same import at once, and each must report the save it replaced.
 */
export async function saveImportedSet(
  location: StorageLocation,
  outcome: ImportOutcome,
  importedAt: string,
): Promise<NonNullable<ImportReport['saved']>> {
  const { report } = outcome;
  const id = importIdOf(report.file);
  const file = importFile(location.folder, id);
  const set: ImportedSet = {
    format: IMPORT_FORMAT,
    schemaVersion: IMPORT_SCHEMA_VERSION,
    id,
    source: {
      file: report.file,
      name: path.basename(report.file),
      sha256: createHash('sha256')
        .update(await readFile(report.file))
        .digest('hex'),
    },
    importedAt,
    report,
    annotations: outcome.annotations,
  };
  await makeStorageFolder(location, 'imported');
  const previous = await withFileLock(file, async () => {
    const earlier = await readEarlierSet(file, report);
    await writeFileAtomic(file, `${JSON.stringify(set, null, 1)}\n`, { backup: true });
    return earlier;
  });
  return {
    id,
    file,
    where: location.where,
    replaced: previous
      ? { importedAt: previous.importedAt, rowsAccepted: previous.report.rowsAccepted }
      : null,
  };
}

/** The import a save replaces; a damaged one is kept aside (and the report says so). */
async function readEarlierSet(file: string, report: ImportReport): Promise<ImportedSet | null> {
  return readSet(file).catch(async (error: Error) => {
    if (/newer MER Studio/.test(error.message)) throw error;
    const aside = `${file}.damaged-${Date.now()}`;
    await rename(file, aside);
    report.warnings.push(`${error.message}: the earlier import was kept aside as ${aside}`);
    return null;
  });
}

async function readSet(file: string): Promise<ImportedSet | null> {
  const text = await readIfExists(file);
  if (text === null) return null;
  const set = parseSet(text, file);
  return set;
}

function parseSet(text: string, file: string): ImportedSet {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file}: not readable JSON (${jsonSyntaxDetail(error)})`, { cause: error });
  }
  const set = parsed as Partial<ImportedSet>;
  if (set.format !== IMPORT_FORMAT || typeof set.schemaVersion !== 'number') {
    throw new Error(`${file}: not a MER Studio import file`);
  }
  if (set.schemaVersion > IMPORT_SCHEMA_VERSION) {
    throw new Error(
      `${file} was written by a newer MER Studio (import schema ${set.schemaVersion}); ` +
        'update MER Studio to use it; the file is left untouched',
    );
  }
  return set as ImportedSet;
}

/** The folders an open dataset's imports are saved in: its own, and the app data folder's. */
function importFolders(datasetRoot: string, dataFolder: string): string[] {
  return [datasetStorageFolder(datasetRoot), appDataStorageFolder(datasetRoot, dataFolder)].map(
    (folder) => path.join(folder, 'imported'),
  );
}

/** The import files of a dataset, folder by folder, each folder's by name. */
async function importFilesOf(datasetRoot: string, dataFolder: string): Promise<string[]> {
  const files: string[] = [];
  for (const dir of importFolders(datasetRoot, dataFolder)) {
    const names = await readdir(dir).catch(() => [] as string[]);
    const sets = names.filter((candidate) => candidate.endsWith('.json')).sort();
    files.push(...sets.map((name) => path.join(dir, name)));
  }
  return files;
}

/**
 * Which import files there are and which version of each (every save replaces the file, so its
 * inode changes): another process's save, or a removal, changes this.
 */
async function importFilesIdentity(datasetRoot: string, dataFolder: string): Promise<string> {
  const identities = await Promise.all(
    (await importFilesOf(datasetRoot, dataFolder)).map(async (file) => {
      const info = await stat(file).catch(() => null);
      return info ? `${file}:${info.ino}:${info.mtimeMs}:${info.size}` : '';
    }),
  );
  return identities.join('\n');
}

/** Every import saved for a dataset, in its folder and in the app data folder, oldest first. */
export async function loadImportedSets(
  datasetRoot: string,
  dataFolder: string,
): Promise<{ sets: ImportedSet[]; problems: Problem[] }> {
  const sets = new Map<string, ImportedSet>();
  const problems: Problem[] = [];
  for (const file of await importFilesOf(datasetRoot, dataFolder)) {
    try {
      const set = parseSet(await readFile(file, 'utf8'), file);
      const known = sets.get(set.id);
      if (!known || known.importedAt < set.importedAt) sets.set(set.id, set);
    } catch (error) {
      problems.push({ severity: 'warning', path: file, message: (error as Error).message });
    }
  }
  const ordered = [...sets.values()].sort((a, b) => a.importedAt.localeCompare(b.importedAt));
  return { sets: ordered, problems };
}

/** Removes an import from wherever it is saved; the coders' files are not touched. */
export async function removeImportedSet(
  datasetRoot: string,
  dataFolder: string,
  id: string,
): Promise<boolean> {
  const name = `${importIdOf(id)}.json`;
  let removed = false;
  for (const dir of importFolders(datasetRoot, dataFolder)) {
    removed = (await removeSetFile(path.join(dir, name))) || removed;
  }
  return removed;
}

/** Removes one import file, holding its lock (another process may be saving it); false if absent. */
async function removeSetFile(file: string): Promise<boolean> {
  try {
    await withFileLock(file, () => unlink(file));
    return true;
  } catch (error) {
    if (error instanceof FileLockError) throw error;
    return false; // not there, or its folder is not (or cannot be written)
  }
}

export function summariseSet(set: ImportedSet): ImportedSetSummary {
  return {
    id: set.id,
    source: set.source.file,
    format: set.report.format,
    importedAt: set.importedAt,
    rowsRead: set.report.rowsRead,
    rowsMatched: set.report.rowsMatched,
    clipIds: Object.keys(set.annotations).sort(),
  };
}

/**
 * The official annotation of each clip from the imports, oldest first: a later import's values
 * win field by field, but a value it lacks (the composite list has no frames) keeps the earlier
 * one. Clips with several expressions take the first by onset; all stay in the import files.
 */
export function officialFromSets(
  sets: ImportedSet[],
  base: Record<string, ClipAnnotation> = {},
): Record<string, ClipAnnotation> {
  const official: Record<string, ClipAnnotation> = { ...base };
  for (const set of sets) {
    for (const [clipId, list] of Object.entries(set.annotations)) {
      const incoming = list[0];
      if (!incoming) continue;
      official[clipId] = official[clipId] ? mergeFields(official[clipId], incoming) : incoming;
    }
  }
  return official;
}

function mergeFields(earlier: ClipAnnotation, later: ClipAnnotation): ClipAnnotation {
  const hasFrames = later.onset !== null || later.apex !== null || later.offset !== null;
  return {
    ...earlier,
    ...(hasFrames ? { onset: later.onset, apex: later.apex, offset: later.offset } : {}),
    emotion: later.emotion ?? earlier.emotion,
    threeClass: later.threeClass ?? earlier.threeClass,
    aus: later.ausRaw ? later.aus : earlier.aus,
    ausRaw: later.ausRaw || earlier.ausRaw,
    notes: [earlier.notes, later.notes].filter((note) => note).join(' | '),
    coder: earlier.coder === later.coder ? later.coder : `${earlier.coder}; ${later.coder}`,
    updatedAt: later.updatedAt,
  };
}

/** Imported sets per open dataset object, for annotations.get (all expressions of a clip). */
const setsByDataset = new WeakMap<DatasetIndex, ImportedSet[]>();
/** The dataset's own official annotations (e.g. the demo's truth), before any import. */
const baseOfficial = new WeakMap<DatasetIndex, Record<string, ClipAnnotation>>();
/** The import files as they were when the attached sets were read (see importFilesIdentity). */
const readAs = new WeakMap<DatasetIndex, string>();
/** The latest read of a dataset's imports: reads go one at a time, so an older never wins. */
const reading = new WeakMap<DatasetIndex, Promise<unknown>>();

/**
 * Loads the imports saved for a dataset (<dataset>/.mer-studio/imported/ and the app data
 * folder's copy for read-only datasets) into dataset.official. Unreadable files become
 * problems of the dataset; nothing is written. Call it whenever a dataset is opened.
 */
export async function attachImportedAnnotations(
  dataset: DatasetIndex,
  dataFolder: string,
): Promise<void> {
  dataset.problems.push(...(await reattachImportedAnnotations(dataset, dataFolder)));
}

/** Re-reads the imports after one was added or removed (problems returned, not recorded). */
export async function reattachImportedAnnotations(
  dataset: DatasetIndex,
  dataFolder: string,
): Promise<Problem[]> {
  return oneReadAtATime(dataset, () => readImports(dataset, dataFolder));
}

/**
 * Re-reads the imports when they changed since they were read: another process saved one
 * (`mer-studio import --save`, another `serve`) or removed one. Call it before using them.
 */
export async function refreshImportedAnnotations(
  dataset: DatasetIndex,
  dataFolder: string,
): Promise<void> {
  await oneReadAtATime(dataset, async () => {
    const now = await importFilesIdentity(dataset.root, dataFolder);
    if (now !== readAs.get(dataset)) await readImports(dataset, dataFolder);
  });
}

async function readImports(dataset: DatasetIndex, dataFolder: string): Promise<Problem[]> {
  // Taken before reading: a file saved during the read differs from it, and is read next time.
  readAs.set(dataset, await importFilesIdentity(dataset.root, dataFolder));
  const { sets, problems } = await loadImportedSets(dataset.root, dataFolder);
  if (!baseOfficial.has(dataset)) baseOfficial.set(dataset, { ...dataset.official });
  setsByDataset.set(dataset, sets);
  dataset.official = officialFromSets(sets, baseOfficial.get(dataset));
  return problems;
}

function oneReadAtATime<T>(dataset: DatasetIndex, read: () => Promise<T>): Promise<T> {
  const next = (reading.get(dataset) ?? Promise.resolve()).catch(() => undefined).then(read);
  reading.set(dataset, next);
  return next;
}

/** The imported sets attached to an open dataset (empty before attachImportedAnnotations). */
export function attachedSets(dataset: DatasetIndex): ImportedSet[] {
  return setsByDataset.get(dataset) ?? [];
}

/** Every imported expression of one clip across the attached imports, by onset. */
export function importedExpressions(dataset: DatasetIndex, clipId: string): ClipAnnotation[] {
  // The same expression imported from two files (a sheet as .xls and .xlsx) counts once: the
  // later import's, as for the official annotation.
  const byFrames = new Map<string, ClipAnnotation>();
  for (const expression of attachedSets(dataset).flatMap((set) => set.annotations[clipId] ?? [])) {
    byFrames.set(`${expression.onset}/${expression.apex}/${expression.offset}`, expression);
  }
  // A label-only entry (the composite list) describes the framed ones, it is not another one.
  const all = [...byFrames.values()];
  const framed = all.filter((expression) => expression.onset !== null || expression.apex !== null);
  return (framed.length > 0 ? framed : all).sort((a, b) => (a.onset ?? 0) - (b.onset ?? 0));
}
