import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Problem } from '../../shared/domain';

export interface Listing {
  dirs: string[];
  files: string[];
}

/**
 * Lists a folder, reporting (not throwing) what cannot be read. Names that are not valid UTF-8
 * cannot be represented as JavaScript strings without loss, so they are reported and left out
 * rather than turned into paths that do not exist.
 */
export async function listFolder(dir: string, root: string, problems: Problem[]): Promise<Listing> {
  const listing: Listing = { dirs: [], files: [] };
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true, encoding: 'buffer' });
  } catch (error) {
    problems.push({
      severity: 'error',
      path: relativePath(root, dir),
      message: `cannot read folder (${errorCode(error)}); its contents are left out`,
    });
    return listing;
  }
  for (const entry of entries) {
    const raw = entry.name;
    const name = raw.toString('utf8');
    if (!Buffer.from(name, 'utf8').equals(raw)) {
      problems.push({
        severity: 'warning',
        path: path.join(relativePath(root, dir), raw.toString('latin1')),
        message: 'file name is not valid UTF-8 and was left out: rename it to load it',
      });
      continue;
    }
    if (name.startsWith('.')) continue;
    if (entry.isDirectory()) listing.dirs.push(name);
    else if (entry.isFile()) listing.files.push(name);
    else if (entry.isSymbolicLink()) await addLinkTarget(dir, name, root, listing, problems);
  }
  // Frame files are ordered by their numbers later; only folder order matters here.
  listing.dirs.sort(compareNatural);
  return listing;
}

async function addLinkTarget(
  dir: string,
  name: string,
  root: string,
  listing: Listing,
  problems: Problem[],
): Promise<void> {
  try {
    const target = await stat(path.join(dir, name));
    if (target.isDirectory()) listing.dirs.push(name);
    else if (target.isFile()) listing.files.push(name);
  } catch (error) {
    problems.push({
      severity: 'warning',
      path: path.join(relativePath(root, dir), name),
      message: `link cannot be followed (${errorCode(error)}); left out`,
    });
  }
}

const naturalOrder = new Intl.Collator('en', { numeric: true });

/** Natural order (sub2 before sub10); one shared collator, as creating one per call is slow. */
export function compareNatural(a: string, b: string): number {
  return naturalOrder.compare(a, b);
}

export function relativePath(root: string, target: string): string {
  return path.relative(root, target) || '.';
}

function errorCode(error: unknown): string {
  const err = error as NodeJS.ErrnoException;
  if (err.code === 'EACCES' || err.code === 'EPERM') return 'permission denied';
  if (err.code === 'ENOENT') return 'it no longer exists';
  return err.code ?? err.message;
}
