import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  blankAnnotation,
  type AuCode,
  type Clip,
  type ClipAnnotation,
  type DatasetIndex,
  type DatasetKind,
  type Problem,
} from '../../shared/domain';
import { NotFoundError } from '../app/context';
import { parseThreeClass, threeClassOfEmotion } from '../../shared/three-class';
import {
  DEMO_MANIFEST,
  DEMO_VERSION,
  type DemoClipTruth,
  type DemoManifest,
} from './demo/generate';
import { detectLayouts, type FoundLayout } from './detect';
import { scanGenericFolder } from './generic';
import { compareNatural, listFolder } from './listing';
import { readDatasetSettings, type DatasetSettings } from './settings';
import { describeClipFrames, probeVideoClips } from './probe';
import { jsonSyntaxDetail } from '../app/json-error';

export { SETTINGS_FILE, writeDatasetSettings, type DatasetSettings } from './settings';

/** Default frame rate of a generic folder of image sequences (videos carry their own). */
export const GENERIC_FPS = 30;

export interface OpenOptions {
  /** Frame rate for the whole dataset; wins over the settings file. */
  fps?: number;
  /** Frame rate per clip id; wins over everything else. */
  clipFps?: Record<string, number>;
  /** Read the first frame of every clip for its size (default true). */
  readFrameSizes?: boolean;
  signal?: AbortSignal;
}

/** Opens a dataset folder: detects its layout and indexes its clips and their frames. */
export async function openDataset(
  folder: string,
  options: OpenOptions = {},
): Promise<DatasetIndex> {
  const opened = path.resolve(folder);
  const info = await stat(opened).catch(() => null);
  if (!info?.isDirectory()) throw new NotFoundError(`${opened}: not a folder`);
  const problems: Problem[] = [];
  const listing = await listFolder(opened, opened, problems);
  const demo = await readDemoManifest(opened, problems);
  const loaded = demo
    ? await loadDemo(opened, demo, problems)
    : await loadDetected(opened, await detectLayouts(opened, listing, problems), problems);
  if (loaded.clips.length === 0) throw noClips(opened, problems);
  const { settings } = await readDatasetSettings(loaded.root, problems);
  await probeVideoClips(loaded.root, loaded.clips, problems, options.signal);
  if (loaded.clips.length === 0) throw noClips(opened, problems);
  applyFrameRates(loaded, settings, options, problems);
  if (options.readFrameSizes !== false) await describeClipFrames(loaded.root, loaded.clips);
  loaded.clips.sort((a, b) => compareNatural(a.id, b.id));
  reportDuplicateIds(loaded.clips, problems);
  return {
    root: loaded.root,
    kind: loaded.kind,
    name: path.basename(loaded.root),
    fps: loaded.fps,
    subjects: [...new Set(loaded.clips.map((clip) => clip.subject))],
    clips: loaded.clips,
    problems: [...problems, ...loaded.clips.flatMap((clip) => clip.problems)],
    official: { ...folderLabels(loaded.clips), ...loaded.official },
  };
}

/**
 * SMIC-HS keeps each clip's label in its folder name (micro/negative/s1_ne_01): that is the
 * dataset's own annotation, a label without frames.
 */
function folderLabels(clips: Clip[]): Record<string, ClipAnnotation> {
  const labelled: Record<string, ClipAnnotation> = {};
  for (const clip of clips) {
    const emotion = clip.folderEmotion;
    const threeClass = emotion ? (parseThreeClass(emotion) ?? threeClassOfEmotion(emotion)) : null;
    if (!emotion || !threeClass) continue;
    labelled[clip.id] = blankAnnotation(clip.id, {
      emotion,
      threeClass,
      notes: 'label from the folder name',
      coder: 'dataset folder',
      updatedAt: new Date(0).toISOString(),
    });
  }
  return labelled;
}

function noClips(opened: string, problems: Problem[]): NotFoundError {
  const reasons = problems
    .slice(0, 5)
    .map((p) => `${p.path ?? p.clipId ?? ''}: ${p.message}`)
    .join('; ');
  return new NotFoundError(
    `${opened}: no clips found (expected a CASME II, SAMM, SMIC-HS or CAS(ME)^3 folder, or ` +
      `folders of numbered frames or video files mp4/avi/mov/mkv)` +
      (reasons ? `; ${reasons}${problems.length > 5 ? '; …' : ''}` : ''),
  );
}

interface Loaded {
  root: string;
  kind: DatasetKind;
  /** The layout's frame rate before any override. */
  fps: number;
  clips: Clip[];
  official: Record<string, ClipAnnotation>;
  /** Video clips whose probed frame rate is the default (generic layouts). */
  videoFpsFromFile: boolean;
}

async function loadDetected(
  opened: string,
  found: FoundLayout[],
  problems: Problem[],
): Promise<Loaded> {
  if (found.length === 0) {
    const clips = await scanGenericFolder(opened, GENERIC_FPS, problems);
    return {
      root: opened,
      kind: 'generic',
      fps: GENERIC_FPS,
      clips,
      official: {},
      videoFpsFromFile: true,
    };
  }
  const layouts = dropShadowedLayouts(opened, found, problems);
  if (layouts.length === 1) {
    const [{ spec, root, listing }] = layouts;
    const clips = await spec.scan(root, listing, spec.fps, problems);
    return { root, kind: spec.kind, fps: spec.fps, clips, official: {}, videoFpsFromFile: false };
  }
  return loadComposite(opened, layouts, problems);
}

/**
 * Several datasets under one folder (a MEGC-style composite: CASME II, SAMM and SMIC side by side)
 * load together; each clip keeps its own dataset's frame rate and paths relative to the folder.
 */
async function loadComposite(
  opened: string,
  layouts: FoundLayout[],
  problems: Problem[],
): Promise<Loaded> {
  const clips: Clip[] = [];
  for (const { spec, root, listing } of layouts) {
    const offset = path.relative(opened, root);
    const ownProblems: Problem[] = [];
    for (const clip of await spec.scan(root, listing, spec.fps, ownProblems)) {
      if (clip.source.kind === 'images') clip.source.dir = path.join(offset, clip.source.dir);
      clip.sourceKind = spec.kind;
      for (const problem of clip.problems)
        problem.path = problem.path && path.join(offset, problem.path);
      clips.push(clip);
    }
    problems.push(
      ...ownProblems.map((problem) => ({
        ...problem,
        path: problem.path && path.join(offset, problem.path),
      })),
    );
  }
  problems.push({
    severity: 'warning',
    path: '.',
    message: `several datasets found and loaded together: ${layouts.map((l) => `${l.spec.label} (${path.relative(opened, l.root)})`).join(', ')}`,
  });
  const fps = mostCommon(clips.map((clip) => clip.fps)) ?? GENERIC_FPS;
  return { root: opened, kind: 'composite', fps, clips, official: {}, videoFpsFromFile: false };
}

/** CASME II ships raw and cropped frames of the same clips: load one (raw), say so. */
function dropShadowedLayouts(
  opened: string,
  found: FoundLayout[],
  problems: Problem[],
): FoundLayout[] {
  const kept: FoundLayout[] = [];
  for (const layout of found) {
    const sameClips = kept.find(
      (other) => other.spec.kind.split('-')[0] === layout.spec.kind.split('-')[0],
    );
    if (sameClips) {
      problems.push({
        severity: 'warning',
        path: path.relative(opened, layout.root) || '.',
        message: `${layout.spec.label} also found here; loaded ${sameClips.spec.label} from ${path.relative(opened, sameClips.root) || '.'} (open this folder to load it instead)`,
      });
      continue;
    }
    kept.push(layout);
  }
  return kept;
}

/**
 * Frame rate of each clip: per-clip override, else dataset override, else (generic videos) the
 * video's own, else the layout's.
 */
function applyFrameRates(
  loaded: Loaded,
  settings: DatasetSettings,
  options: OpenOptions,
  problems: Problem[],
): void {
  const datasetFps = options.fps ?? settings.fps;
  if (datasetFps !== undefined) loaded.fps = datasetFps;
  const ids = new Set(loaded.clips.map((clip) => clip.id));
  const perClip: Record<string, number> = {};
  for (const [id, value] of Object.entries(settings.clips ?? {}))
    if (value.fps !== undefined) perClip[id] = value.fps;
  Object.assign(perClip, options.clipFps ?? {});
  for (const id of Object.keys(perClip)) {
    if (!ids.has(id))
      problems.push({
        severity: 'warning',
        message: `frame rate set for clip ${id}, which is not in the dataset`,
      });
  }
  for (const clip of loaded.clips) clip.fps = perClip[clip.id] ?? datasetFps ?? clip.fps;
  if (
    loaded.videoFpsFromFile &&
    datasetFps === undefined &&
    loaded.clips.every((c) => c.source.kind === 'video')
  ) {
    loaded.fps = mostCommon(loaded.clips.map((clip) => clip.fps)) ?? loaded.fps;
  }
}

function reportDuplicateIds(clips: Clip[], problems: Problem[]): void {
  const seen = new Set<string>();
  for (let i = 0; i < clips.length; i++) {
    const clip = clips[i];
    if (!seen.has(clip.id)) {
      seen.add(clip.id);
      continue;
    }
    problems.push({
      severity: 'warning',
      clipId: clip.id,
      path: clip.source.kind === 'images' ? clip.source.dir : clip.source.file,
      message: 'another clip has the same subject and name; this one is left out',
    });
    clips.splice(i--, 1);
  }
}

function mostCommon(values: number[]): number | undefined {
  const counts = new Map<number, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
}

async function readDemoManifest(root: string, problems: Problem[]): Promise<DemoManifest | null> {
  const text = await readFile(path.join(root, DEMO_MANIFEST), 'utf8').catch(() => null);
  if (text === null) return null;
  try {
    const manifest = JSON.parse(text) as DemoManifest;
    return manifest.format === 'mer-demo' ? manifest : null;
  } catch (error) {
    problems.push({
      severity: 'warning',
      path: DEMO_MANIFEST,
      message: `not valid JSON (${jsonSyntaxDetail(error)}); loaded as a generic folder`,
    });
    return null;
  }
}

async function loadDemo(root: string, demo: DemoManifest, problems: Problem[]): Promise<Loaded> {
  if ((demo.version ?? 1) < DEMO_VERSION) {
    problems.push({
      severity: 'warning',
      path: DEMO_MANIFEST,
      message:
        `written by an older demo generator (version ${demo.version ?? 1}, now ${DEMO_VERSION}) whose ` +
        'motions miss the face; `mer-studio demo <dir>` remakes the frames',
    });
  }
  const clips = await scanGenericFolder(root, demo.fps, problems);
  const official = applyDemoTruth(clips, demo, problems);
  return { root, kind: 'demo', fps: demo.fps, clips, official, videoFpsFromFile: false };
}

function applyDemoTruth(
  clips: Clip[],
  demo: DemoManifest,
  problems: Problem[],
): Record<string, ClipAnnotation> {
  const official: Record<string, ClipAnnotation> = {};
  for (const clip of clips) {
    const truth = demo.clips.find((c) => `${c.subject}/${c.clip}` === clip.id);
    if (!truth) {
      problems.push({ severity: 'warning', clipId: clip.id, message: 'not in mer-demo.json' });
      continue;
    }
    clip.folderEmotion = truth.emotion;
    clip.width = demo.width;
    clip.height = demo.height;
    official[clip.id] = demoAnnotation(clip.id, truth);
  }
  return official;
}

function demoAnnotation(clipId: string, truth: DemoClipTruth): ClipAnnotation {
  return {
    clipId,
    onset: truth.onset,
    apex: truth.apex,
    offset: truth.offset,
    emotion: truth.emotion,
    threeClass: truth.threeClass,
    aus: parseDemoAus(truth.aus),
    ausRaw: truth.aus,
    flags: { blink: false, occlusion: false, badFrames: false },
    notes: 'generated demo clip: timing and label are known',
    coder: 'demo generator',
    updatedAt: new Date(0).toISOString(),
  };
}

function parseDemoAus(text: string): AuCode[] {
  return text.split('+').map((raw) => ({ au: Number(raw.replace(/\D/g, '')), raw }));
}
