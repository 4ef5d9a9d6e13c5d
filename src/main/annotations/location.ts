import { randomUUID } from 'node:crypto';
import { createHash } from 'node:crypto';
import { mkdir, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../app/atomic-write';
import { LinkedFolderError, makeFolderWithin } from '../app/own-folder';

/** Where a dataset's annotations (annotations/<coder>.json, imported/<source>.json) are kept. */
export interface StorageLocation {
  folder: string;
  where: 'dataset' | 'app-data';
  /** Why the app data folder is used. */
  reason?: string;
}

/** `<dataset>/.mer-studio`, the default: annotations travel with the dataset. */
export function datasetStorageFolder(datasetRoot: string): string {
  return path.join(datasetRoot, '.mer-studio');
}

/** `<data folder>/datasets/<name>-<hash of the path>`: for datasets on read-only disks. */
export function appDataStorageFolder(datasetRoot: string, dataFolder: string): string {
  const resolved = path.resolve(datasetRoot);
  const hash = createHash('sha256').update(resolved).digest('hex').slice(0, 12);
  const name = path.basename(resolved).replace(/[^\p{L}\p{N}._-]/gu, '_') || 'dataset';
  return path.join(dataFolder, 'datasets', `${name}-${hash}`);
}

/**
 * The dataset folder when it is writable (probed by writing a file), else the app data folder,
 * keyed by the dataset's path (a dataset.json there names it for people browsing the folder).
 */
export async function resolveStorage(
  datasetRoot: string,
  dataFolder: string,
): Promise<StorageLocation> {
  const inDataset = datasetStorageFolder(datasetRoot);
  const problem = await makeFolderWithin(datasetRoot, inDataset).then(
    () => probeWritable(inDataset),
    (error: NodeJS.ErrnoException) =>
      error instanceof LinkedFolderError ? error.message : (error.code ?? error.message),
  );
  if (!problem) return { folder: inDataset, where: 'dataset' };
  const folder = appDataStorageFolder(datasetRoot, dataFolder);
  await mkdir(folder, { recursive: true });
  await writeFileAtomic(
    path.join(folder, 'dataset.json'),
    JSON.stringify({ dataset: path.resolve(datasetRoot) }, null, 2),
  );
  return {
    folder,
    where: 'app-data',
    reason: `the dataset folder cannot be written (${problem}); annotations are kept in the app data folder`,
  };
}

/** null when the folder can be created and written, else the error code. */
export async function probeWritable(folder: string): Promise<string | null> {
  // A name of its own per probe: concurrent probes must not delete each other's file.
  const probe = path.join(folder, `.write-test-${process.pid}-${randomUUID()}`);
  try {
    await mkdir(folder, { recursive: true });
    await writeFile(probe, '');
    await unlink(probe);
    return null;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
  }
}

/**
 * Creates `<location>/<sub>`; inside the dataset, refused when a link sends it elsewhere. Links
 * in the app data folder are the user's own and followed.
 */
export async function makeStorageFolder(location: StorageLocation, sub: string): Promise<string> {
  const folder = path.join(location.folder, sub);
  if (location.where === 'dataset') await makeFolderWithin(path.dirname(location.folder), folder);
  else await mkdir(folder, { recursive: true });
  return folder;
}

/** Errors that mean "the app cannot write in this folder" (switch to the app data folder). */
export function isReadOnlyError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return (
    code === 'EROFS' || code === 'EACCES' || code === 'EPERM' || error instanceof LinkedFolderError
  );
}
