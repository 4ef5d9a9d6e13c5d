import path from 'node:path';
import type { Clip, Problem } from '../../shared/domain';
import { imageClip, videoClip } from './clips';
import { isFrameImage, isVideo } from './frame-files';
import { listFolder, type Listing } from './listing';

/**
 * A generic dataset folder. Clips are folders of numbered frames or video files, either directly
 * under the root or one level down under subject folders; a folder of frames opened on its own is
 * one clip. Without a subject level, each clip is its own subject.
 */
export async function scanGenericFolder(
  root: string,
  fps: number,
  problems: Problem[],
  listing?: Listing,
): Promise<Clip[]> {
  const top = listing ?? (await listFolder(root, root, problems));
  const clips: Clip[] = [];
  if (top.files.some(isFrameImage)) {
    const name = path.basename(root);
    const clip = imageClip({ subject: name, name, dir: '', files: top.files, fps }, problems);
    if (clip) clips.push(clip);
  }
  for (const { file, name } of videoNames(top.files)) clips.push(videoClip(name, file, fps, name));
  const nested = await Promise.all(top.dirs.map((dir) => scanTopFolder(root, dir, fps, problems)));
  clips.push(...nested.flat());
  return clips;
}

/** A folder under the root: a clip of frames, or a subject folder of clips. */
async function scanTopFolder(
  root: string,
  dir: string,
  fps: number,
  problems: Problem[],
): Promise<Clip[]> {
  const listing = await listFolder(path.join(root, dir), root, problems);
  if (listing.files.some(isFrameImage)) {
    const clip = imageClip({ subject: dir, name: dir, dir, files: listing.files, fps }, problems);
    return clip ? [clip] : [];
  }
  const clips: Clip[] = videoNames(listing.files).map(({ file, name }) =>
    videoClip(dir, path.join(dir, file), fps, name),
  );
  const inner = await Promise.all(
    listing.dirs.map(async (name) => {
      const clipDir = path.join(dir, name);
      const files = (await listFolder(path.join(root, clipDir), root, problems)).files;
      return imageClip({ subject: dir, name, dir: clipDir, files, fps }, problems);
    }),
  );
  clips.push(...inner.filter((clip): clip is Clip => clip !== null));
  return clips;
}

/** Video files and their clip names: the stem, or the whole name when two share a stem. */
function videoNames(files: string[]): Array<{ file: string; name: string }> {
  const videos = files.filter(isVideo);
  const stems = videos.map(stem);
  return videos.map((file, i) => ({
    file,
    name: stems.indexOf(stems[i]) !== stems.lastIndexOf(stems[i]) ? file : stems[i],
  }));
}

function stem(file: string): string {
  return path.basename(file).replace(/\.[^.]+$/, '');
}
