import path from 'node:path';
import type { Clip, DatasetKind, Problem } from '../../shared/domain';
import { imageClip } from './clips';
import { isFrameImage } from './frame-files';
import { listFolder, type Listing } from './listing';

/** A dataset's shipped folder layout: how to recognise its root and how to list its clips. */
export interface LayoutSpec {
  kind: Exclude<DatasetKind, 'generic' | 'demo'>;
  label: string;
  fps: number;
  /** Names of the subject folders directly under the root. */
  subject: RegExp;
  /** Whether `dir` (listed as `listing`) is this layout's root, judged from a few subjects. */
  isRoot(dir: string, listing: Listing): Promise<boolean>;
  scan(root: string, listing: Listing, fps: number, problems: Problem[]): Promise<Clip[]>;
}

const PEEK_SUBJECTS = 3;
/** Lists a folder while probing a layout: unreadable folders are reported by the real scan. */
function listQuietly(dir: string): Promise<Listing> {
  return listFolder(dir, dir, []);
}

/** True when one of the first few subject folders satisfies `test`. */
async function someSubject(
  dir: string,
  listing: Listing,
  subject: RegExp,
  test: (subjectDir: string, subjectListing: Listing) => Promise<boolean>,
): Promise<boolean> {
  const subjects = listing.dirs.filter((name) => subject.test(name)).slice(0, PEEK_SUBJECTS);
  for (const name of subjects) {
    const subjectDir = path.join(dir, name);
    if (await test(subjectDir, await listQuietly(subjectDir))) return true;
  }
  return false;
}

async function firstClipHasFrames(
  subjectDir: string,
  subjectListing: Listing,
  clip: RegExp,
  frame: RegExp,
  inner = '',
): Promise<boolean> {
  for (const name of subjectListing.dirs.filter((d) => clip.test(d)).slice(0, PEEK_SUBJECTS)) {
    const files = (await listQuietly(path.join(subjectDir, name, inner))).files;
    if (files.some((file) => frame.test(file))) return true;
  }
  return false;
}

function casme2Spec(kind: 'casme2' | 'casme2-cropped', frame: RegExp, label: string): LayoutSpec {
  const subject = /^sub\d+$/i;
  const clip = /^EP\d+_\d+\w*$/i;
  return {
    kind,
    label,
    fps: 200,
    subject,
    isRoot: (dir, listing) =>
      someSubject(dir, listing, subject, (subjectDir, subjectListing) =>
        firstClipHasFrames(subjectDir, subjectListing, clip, frame),
      ),
    scan: (root, listing, fps, problems) =>
      scanSubjectClips(root, listing, subject, fps, problems, (subjectName, clipName) => ({
        dir: path.join(subjectName, clipName),
      })),
  };
}

const samm: LayoutSpec = {
  kind: 'samm',
  label: 'SAMM',
  fps: 200,
  subject: /^\d{3}$/,
  isRoot: (dir, listing) =>
    someSubject(dir, listing, /^\d{3}$/, (subjectDir, subjectListing) =>
      firstClipHasFrames(
        subjectDir,
        subjectListing,
        /^\d{3}_\d+_\d+/,
        /^\d{3}_\d+\.(jpe?g|png|bmp)$/i,
      ),
    ),
  scan: (root, listing, fps, problems) =>
    scanSubjectClips(root, listing, /^\d{3}$/, fps, problems, (subjectName, clipName) => ({
      dir: path.join(subjectName, clipName),
    })),
};

const SMIC_EMOTIONS = /^(negative|positive|surprise)$/i;

const smicHs: LayoutSpec = {
  kind: 'smic-hs',
  label: 'SMIC-HS',
  fps: 100,
  subject: /^s\d+$/i,
  isRoot: async (dir, listing) => {
    // SMIC's VIS and NIR sets share the HS layout but run at 25 fps: only HS is this layout.
    if (/^(vis|nir)$/i.test(path.basename(dir))) return false;
    return someSubject(dir, listing, /^s\d+$/i, async (subjectDir, subjectListing) => {
      if (!subjectListing.dirs.some((name) => name.toLowerCase() === 'micro')) return false;
      const micro = await listQuietly(path.join(subjectDir, microName(subjectListing)));
      return micro.dirs.some((name) => SMIC_EMOTIONS.test(name));
    });
  },
  scan: async (root, listing, fps, problems) => {
    const subjects = listing.dirs.filter((name) => /^s\d+$/i.test(name));
    const perSubject = await Promise.all(
      subjects.map(async (subject) => {
        const subjectListing = await listFolder(path.join(root, subject), root, problems);
        if (!subjectListing.dirs.some((name) => name.toLowerCase() === 'micro')) {
          problems.push({
            severity: 'warning',
            path: subject,
            message: 'subject folder has no "micro" folder; left out',
          });
          return [];
        }
        const micro = path.join(subject, microName(subjectListing));
        const emotions = (await listFolder(path.join(root, micro), root, problems)).dirs;
        const clips = await Promise.all(
          emotions
            .filter((e) => SMIC_EMOTIONS.test(e))
            .map(async (emotion) => {
              const emotionDir = path.join(micro, emotion);
              const clipNames = (await listFolder(path.join(root, emotionDir), root, problems))
                .dirs;
              return Promise.all(
                clipNames.map((name) =>
                  loadImageClip(root, path.join(emotionDir, name), subject, name, fps, problems, {
                    folderEmotion: emotion.toLowerCase(),
                  }),
                ),
              );
            }),
        );
        return clips.flat();
      }),
    );
    return perSubject.flat().filter((clip): clip is Clip => clip !== null);
  },
};

function microName(listing: Listing): string {
  return listing.dirs.find((name) => name.toLowerCase() === 'micro') ?? 'micro';
}

const casme3A: LayoutSpec = {
  kind: 'casme3-a',
  label: 'CAS(ME)^3 part A',
  fps: 30,
  subject: /^spNO\.\d+$/i,
  isRoot: (dir, listing) =>
    someSubject(dir, listing, /^spNO\.\d+$/i, async (subjectDir, subjectListing) => {
      for (const clip of subjectListing.dirs.slice(0, PEEK_SUBJECTS)) {
        const inner = await listQuietly(path.join(subjectDir, clip));
        if (inner.dirs.some((name) => name.toLowerCase() === 'color')) return true;
      }
      return false;
    }),
  scan: (root, listing, fps, problems) =>
    scanSubjectClips(root, listing, /^spNO\.\d+$/i, fps, problems, (subjectName, clipName) => ({
      // Colour frames live in <clip>/color; the depth maps beside them are not loaded.
      dir: path.join(subjectName, clipName, 'color'),
      fallbackDir: path.join(subjectName, clipName),
    })),
};

/** Detection order: specific layouts before the cropped CASME II variant. */
export const LAYOUTS: LayoutSpec[] = [
  casme2Spec('casme2', /^img\d+\.(jpe?g|png|bmp)$/i, 'CASME II'),
  casme2Spec('casme2-cropped', /^reg_img\d+\.(jpe?g|png|bmp)$/i, 'CASME II (cropped)'),
  samm,
  smicHs,
  casme3A,
];

/** Subject folders → clip folders → frames, the shape CASME II, SAMM and CAS(ME)^3 share. */
async function scanSubjectClips(
  root: string,
  listing: Listing,
  subject: RegExp,
  fps: number,
  problems: Problem[],
  framesDir: (subject: string, clip: string) => { dir: string; fallbackDir?: string },
): Promise<Clip[]> {
  const skipped = listing.dirs.filter((name) => !subject.test(name));
  if (skipped.length > 0) {
    problems.push({
      severity: 'warning',
      path: '.',
      message: `folder(s) not named like this dataset's subjects were left out: ${skipped.slice(0, 5).join(', ')}`,
    });
  }
  const perSubject = await Promise.all(
    listing.dirs
      .filter((name) => subject.test(name))
      .map(async (subjectName) => {
        const clips = (await listFolder(path.join(root, subjectName), root, problems)).dirs;
        return Promise.all(
          clips.map(async (clipName) => {
            const where = framesDir(subjectName, clipName);
            let dir = where.dir;
            if (where.fallbackDir) {
              const hasInner = await listQuietly(path.join(root, where.dir)).then((inner) =>
                inner.files.some(isFrameImage),
              );
              if (!hasInner) dir = where.fallbackDir;
            }
            return loadImageClip(root, dir, subjectName, clipName, fps, problems);
          }),
        );
      }),
  );
  return perSubject.flat().filter((clip): clip is Clip => clip !== null);
}

export async function loadImageClip(
  root: string,
  dir: string,
  subject: string,
  name: string,
  fps: number,
  problems: Problem[],
  extra: { folderEmotion?: string } = {},
): Promise<Clip | null> {
  const listing = await listFolder(path.join(root, dir), root, problems);
  return imageClip({ subject, name, dir, files: listing.files, fps, ...extra }, problems);
}
