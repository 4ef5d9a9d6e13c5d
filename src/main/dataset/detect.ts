import path from 'node:path';
import type { Problem } from '../../shared/domain';
import { isFrameImage, isVideo } from './frame-files';
import { LAYOUTS, type LayoutSpec } from './layouts';
import { listFolder, type Listing } from './listing';

export interface FoundLayout {
  spec: LayoutSpec;
  /** The layout's root: the folder holding its subject folders. */
  root: string;
  listing: Listing;
}

/** How far below the opened folder a dataset root is looked for (part_A/data/part_A is 2). */
const MAX_DEPTH = 3;
/** Only small folders without frames are wrappers worth looking inside. */
const MAX_WRAPPER_FOLDERS = 24;

/**
 * Finds the known dataset layouts in or around `folder`: the folder itself, its parent when the
 * user opened a subject folder, or folders a few levels down (the user opened a folder above).
 */
export async function detectLayouts(
  folder: string,
  listing: Listing,
  problems: Problem[],
): Promise<FoundLayout[]> {
  const here = await matchLayout(folder, listing);
  if (here) return [here];
  const parent = await parentLayout(folder);
  if (parent) {
    problems.push({
      severity: 'warning',
      path: '.',
      message: `${path.relative(parent.root, folder)} is inside a ${parent.spec.label} dataset: loaded the whole dataset at ${parent.root}`,
    });
    return [parent];
  }
  return findBelow(folder, listing, 1);
}

async function matchLayout(dir: string, listing: Listing): Promise<FoundLayout | null> {
  if (listing.dirs.length === 0) return null;
  for (const spec of LAYOUTS) {
    if (!listing.dirs.some((name) => spec.subject.test(name))) continue;
    if (await spec.isRoot(dir, listing)) return { spec, root: dir, listing };
  }
  return null;
}

/** The dataset around a subject or clip folder the user opened (up to 4 levels up: SMIC clips). */
async function parentLayout(folder: string): Promise<FoundLayout | null> {
  let ancestor = folder;
  for (let level = 1; level <= 4; level++) {
    const up = path.dirname(ancestor);
    if (up === ancestor) return null;
    ancestor = up;
    const subject = path.relative(ancestor, folder).split(path.sep)[0];
    if (!LAYOUTS.some((spec) => spec.subject.test(subject))) continue;
    const match = await matchLayout(ancestor, await listFolder(ancestor, ancestor, []));
    if (match && match.spec.subject.test(subject)) return match;
  }
  return null;
}

async function findBelow(dir: string, listing: Listing, depth: number): Promise<FoundLayout[]> {
  if (depth > MAX_DEPTH || !isWrapper(listing)) return [];
  const found: FoundLayout[] = [];
  for (const name of listing.dirs) {
    const child = path.join(dir, name);
    const childListing = await listFolder(child, child, []);
    const match = await matchLayout(child, childListing);
    if (match) found.push(match);
    else found.push(...(await findBelow(child, childListing, depth + 1)));
  }
  return found;
}

function isWrapper(listing: Listing): boolean {
  return (
    listing.dirs.length > 0 &&
    listing.dirs.length <= MAX_WRAPPER_FOLDERS &&
    !listing.files.some((file) => isFrameImage(file) || isVideo(file))
  );
}
