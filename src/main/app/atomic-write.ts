import {
  copyFile,
  link,
  open,
  readFile,
  readdir,
  rename,
  rm,
  stat,
  unlink,
} from 'node:fs/promises';
import path from 'node:path';

let sequence = 0;

/**
 * Writes a file so that a crash at any moment leaves either the old or the new content: write a
 * temporary sibling, fsync it, rename it over the target, fsync the folder (so the rename itself
 * survives a power cut). With `backup`, the previous content stays in `<file>.bak` (a hard link,
 * or a copy where links are not supported), so a damaged main file still leaves the last state.
 * `beforeReplace`, asked last thing before the rename, may still call the write off (false).
 */
export async function writeFileAtomic(
  file: string,
  content: string | Uint8Array,
  options: { backup?: boolean; beforeReplace?: () => Promise<boolean> } = {},
): Promise<boolean> {
  const temporary = `${file}.tmp-${process.pid}-${++sequence}`;
  const handle = await open(temporary, 'wx');
  try {
    await handle.writeFile(content);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  await handle.close();
  try {
    if (options.beforeReplace && !(await options.beforeReplace())) {
      await unlink(temporary);
      return false;
    }
    if (options.backup) await keepBackup(file);
    await rename(temporary, file);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  await syncFolder(path.dirname(file));
  return true;
}

export function backupOf(file: string): string {
  return `${file}.bak`;
}

async function keepBackup(file: string): Promise<void> {
  const exists = await stat(file).then(
    () => true,
    () => false,
  );
  if (!exists) return;
  const backup = backupOf(file);
  await rm(backup, { force: true });
  await link(file, backup).catch(() => copyFile(file, backup));
}

/** fsync on a folder makes renames in it durable; Windows cannot open folders: skipped there. */
async function syncFolder(folder: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The text of a file, or null when it does not exist. */
export async function readIfExists(file: string): Promise<string | null> {
  return readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
}

/** Removes temporary files left by writers that were killed mid-save (older than a minute). */
export async function removeStaleTemporaries(file: string): Promise<void> {
  const folder = path.dirname(file);
  const prefix = `${path.basename(file)}.tmp-`;
  const names = await readdir(folder).catch(() => [] as string[]);
  const now = Date.now();
  for (const name of names.filter((candidate) => candidate.startsWith(prefix))) {
    const info = await stat(path.join(folder, name)).catch(() => null);
    if (info && now - info.mtimeMs > 60_000)
      await unlink(path.join(folder, name)).catch(() => undefined);
  }
}
