import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { AuCode, Clip, ClipAnnotation, DatasetIndex, Problem } from '../../shared/domain';
import { NotFoundError } from '../app/context';
import { DEMO_MANIFEST, type DemoClipTruth, type DemoManifest } from './demo/generate';
import { scanGenericFolder } from './generic';

/** Opens a dataset folder: detects its layout and indexes its clips and their frames. */
export async function openDataset(folder: string): Promise<DatasetIndex> {
  const root = path.resolve(folder);
  const info = await stat(root).catch(() => null);
  if (!info?.isDirectory()) throw new NotFoundError(`${root}: not a folder`);
  const demo = await readDemoManifest(root);
  const fps = demo?.fps ?? 30;
  const { clips, problems } = await scanGenericFolder(root, fps);
  if (clips.length === 0) {
    throw new NotFoundError(
      `${root}: no clips found (expected folders of numbered frames or video files)`,
    );
  }
  const official = demo ? applyDemoTruth(clips, demo, problems) : {};
  clips.sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
  return {
    root,
    kind: demo ? 'demo' : 'generic',
    name: path.basename(root),
    fps,
    subjects: [...new Set(clips.map((clip) => clip.subject))],
    clips,
    problems: [...problems, ...clips.flatMap((clip) => clip.problems)],
    official,
  };
}

async function readDemoManifest(root: string): Promise<DemoManifest | null> {
  const text = await readFile(path.join(root, DEMO_MANIFEST), 'utf8').catch(() => null);
  if (text === null) return null;
  const manifest = JSON.parse(text) as DemoManifest;
  return manifest.format === 'mer-demo' ? manifest : null;
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
