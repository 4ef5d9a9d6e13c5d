import { lstat, mkdir, readlink } from 'node:fs/promises';
import path from 'node:path';

/** A folder the app would write to is a link to somewhere else. */
export class LinkedFolderError extends Error {
  readonly code = 'ELINKED';
}

/**
 * Creates `folder` (a path below `anchor`) one level at a time, refusing any level that is a
 * link: a dataset someone gives you may hold links in its `.mer-studio` folder, and the app must
 * not create or write anything through them, outside the dataset.
 */
export async function makeFolderWithin(anchor: string, folder: string): Promise<void> {
  const relative = path.relative(anchor, folder);
  if (relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) {
    throw new Error(`${folder} is not inside ${anchor}`);
  }
  await mkdir(anchor, { recursive: true });
  let current = anchor;
  for (const part of relative.split(path.sep).filter(Boolean)) {
    current = path.join(current, part);
    await mkdir(current).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
    const info = await lstat(current);
    if (info.isSymbolicLink()) {
      const target = await readlink(current).catch(() => 'elsewhere');
      throw new LinkedFolderError(
        `${current} is a link to ${target}; MER Studio does not write through links in a dataset`,
      );
    }
    if (!info.isDirectory()) throw new Error(`${current} is not a folder`);
  }
}
