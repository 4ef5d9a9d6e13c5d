import path from 'node:path';
import type { AnnotationSource, BatchSkip } from '../../shared/contract/batch';
import type { Clip, ClipAnnotation, DatasetIndex, ThreeClass } from '../../shared/domain';

/** One clip of a batch with the frames to classify and its truth. */
export interface PlannedClip {
  clip: Clip;
  onset: number;
  /** null: the suggested apex (strongest motion after onset) is found when the clip runs. */
  apex: number | null;
  offset: number | null;
  annotation: 'own' | 'official' | 'none';
  truth: ThreeClass | null;
  source: string;
  /** Which of the clip's expressions (1-based; the coder's, else the official ones) when it has several; else null. */
  expression: number | null;
}

export interface BatchPlan {
  items: PlannedClip[];
  skipped: BatchSkip[];
}

export interface PlanOptions {
  /** Clip ids to classify; all clips when absent. */
  clipIds?: string[];
  /**
   * 'own': the coder's frames once they marked any (else the official ones) and the coder's
   * 3-class label (else the official one); 'official': only the official annotation.
   */
  source: AnnotationSource;
  own: Map<string, ClipAnnotation>;
  /** The coder's expressions of a clip when they coded several (a long recording): each is classified. */
  ownExpressionsOf?: (clipId: string) => ClipAnnotation[];
  useSuggestedApex: boolean;
  /**
   * Every official expression of a clip (CAS(ME)^3 clips can hold several): each is classified
   * on its own unless the coder marked frames of their own. Without it, one per clip.
   */
  expressionsOf?: (clipId: string) => ClipAnnotation[];
}

/** A coder's annotations as planBatch takes them: each clip's first, and all of a clip's. */
export async function ownAnnotations(store: {
  allExpressions(): Promise<ClipAnnotation[]>;
}): Promise<Pick<PlanOptions, 'own' | 'ownExpressionsOf'>> {
  const own = new Map<string, ClipAnnotation>();
  const all = new Map<string, ClipAnnotation[]>();
  for (const annotation of await store.allExpressions()) {
    if ((annotation.expression ?? 1) === 1) own.set(annotation.clipId, annotation);
    all.set(annotation.clipId, [...(all.get(annotation.clipId) ?? []), annotation]);
  }
  return { own, ownExpressionsOf: (clipId) => all.get(clipId) ?? [] };
}

/**
 * Which clips a batch classifies, from which frames, and against which truth. Nothing is
 * decoded here: a clip without onset/apex (and no permission to suggest the apex), or with
 * frames outside the clip, is skipped with the reason.
 */
export function planBatch(dataset: DatasetIndex, options: PlanOptions): BatchPlan {
  const byId = new Map(dataset.clips.map((clip) => [clip.id, clip]));
  const skipped: BatchSkip[] = [];
  const clips: Clip[] = [];
  for (const id of options.clipIds ?? dataset.clips.map((clip) => clip.id)) {
    const clip = byId.get(id);
    if (clip) clips.push(clip);
    else skipped.push({ clipId: id, reason: 'no such clip in the open dataset' });
  }
  const sources = sourceDatasets(dataset);
  const items: PlannedClip[] = [];
  for (const clip of clips) {
    const source = sources.get(clip.id) ?? dataset.name;
    for (const item of planExpressions(clip, options, dataset.official[clip.id], source)) {
      if ('reason' in item) skipped.push(item);
      else items.push(item);
    }
  }
  return { items, skipped };
}

function planExpressions(
  clip: Clip,
  options: PlanOptions,
  official: ClipAnnotation | undefined,
  source: string,
): Array<PlannedClip | BatchSkip> {
  const own = options.source === 'own' ? options.own.get(clip.id) : undefined;
  const ownAll = options.source === 'own' ? (options.ownExpressionsOf?.(clip.id) ?? []) : [];
  const numbered = (item: PlannedClip | BatchSkip, n: number) =>
    'reason' in item ? { ...item, reason: `expression ${n}: ${item.reason}` } : item;
  if (ownAll.length > 1) {
    // The coder's own expressions, each from its own frames and label (the official ones cannot
    // be paired with them).
    return ownAll.map((mine, i) =>
      numbered(planClip(clip, options, mine, undefined, source, i + 1), i + 1),
    );
  }
  const expressions = options.expressionsOf?.(clip.id) ?? [];
  if (hasOwnFrames(own) || expressions.length < 2) {
    return [planClip(clip, options, own, official, source, null)];
  }
  // The coder's one label for the clip cannot say which expression it meant: each keeps its own.
  return expressions.map((expression, i) => {
    const item = numbered(planClip(clip, options, own, expression, source, i + 1), i + 1);
    return 'reason' in item ? item : { ...item, truth: expression.threeClass ?? item.truth };
  });
}

function hasOwnFrames(own: ClipAnnotation | undefined): boolean {
  return Boolean(own && (own.onset !== null || own.apex !== null));
}

function planClip(
  clip: Clip,
  options: PlanOptions,
  own: ClipAnnotation | undefined,
  official: ClipAnnotation | undefined,
  source: string,
  expression: number | null,
): PlannedClip | BatchSkip {
  // Frames come from one annotation: the coder's once they marked any frame, else the official.
  const ownFrames = hasOwnFrames(own);
  const annotation = ownFrames ? own : (official ?? own);
  const kind = ownFrames ? 'own' : official ? 'official' : own ? 'own' : 'none';
  const truth = own?.threeClass ?? official?.threeClass ?? null;
  const onset = annotation?.onset ?? null;
  const apex = annotation?.apex ?? null;
  const offset = annotation?.offset ?? null;
  const skip = (reason: string): BatchSkip => ({ clipId: clip.id, reason });
  // The coder's marks win over the official ones; when they are wrong, say so and what the official says.
  const badFrames = (problem: string): BatchSkip =>
    skip(`${problem} (${describeKind(kind)})${kind === 'own' ? officialHint(official) : ''}`);
  const last = clip.frameCount - 1;
  if (clip.frameCount < 2) return skip(`the clip has ${clip.frameCount} frame(s)`);
  if (onset !== null && onset > last)
    return badFrames(`onset ${onset} is beyond the last frame ${last}`);
  if (apex !== null && apex > last)
    return badFrames(`apex ${apex} is beyond the last frame ${last}`);
  if (onset !== null && apex !== null) {
    if (apex <= onset) return badFrames(`apex ${apex} does not come after onset ${onset}`);
    return { clip, onset, apex, offset, annotation: kind, truth, source, expression };
  }
  if (!options.useSuggestedApex) {
    const missing = [onset === null && 'onset', apex === null && 'apex'].filter(Boolean);
    return skip(
      `no ${missing.join(' or ')} (${describeKind(kind)}); allow the suggested apex to classify it`,
    );
  }
  const start = onset ?? 0;
  if (start >= last) return skip(`onset ${start} leaves no frame for an apex`);
  return { clip, onset: start, apex: null, offset, annotation: kind, truth, source, expression };
}

function officialHint(official: ClipAnnotation | undefined): string {
  if (official?.onset == null || official.apex == null) return '';
  return `; the official annotation has onset ${official.onset}, apex ${official.apex}: correct your marks or classify with the official annotation`;
}

function describeKind(kind: 'own' | 'official' | 'none'): string {
  if (kind === 'own') return 'in your annotation';
  if (kind === 'official') return 'in the official annotation';
  return 'no annotation';
}

/**
 * The source dataset of each clip. A composite folder (CASME II, SAMM and SMIC side by side)
 * keeps each clip's frames under its dataset's folder: the first path segment names the source
 * when clips sit under several such folders that are not their subjects. Otherwise it is the
 * dataset's own name.
 */
export function sourceDatasets(dataset: DatasetIndex): Map<string, string> {
  const firstSegment = (clip: Clip) => {
    const location = clip.source.kind === 'images' ? clip.source.dir : clip.source.file;
    return location.split(/[\\/]/)[0] ?? '';
  };
  const tops = new Set(dataset.clips.map(firstSegment));
  const composite =
    tops.size > 1 && dataset.clips.every((clip) => firstSegment(clip) !== clip.subject);
  const single = KIND_SOURCES[dataset.kind] ?? (dataset.name || path.basename(dataset.root));
  return new Map(
    dataset.clips.map((clip) => [clip.id, composite ? sourceLabel(firstSegment(clip)) : single]),
  );
}

/** The protocol's names of the known datasets (a SMIC-HS tree opened at HS is still SMIC). */
const KIND_SOURCES: Partial<Record<DatasetIndex['kind'], string>> = {
  casme2: 'CASME II',
  'casme2-cropped': 'CASME II',
  samm: 'SAMM',
  'smic-hs': 'SMIC',
  'casme3-a': 'CAS(ME)^3',
};

/** Folder names of the known datasets, shortened to the names the composite protocol uses. */
function sourceLabel(folder: string): string {
  const lower = folder.toLowerCase();
  if (lower.startsWith('casme2') || lower.startsWith('casme_2') || lower === 'cropped')
    return 'CASME II';
  if (lower.startsWith('samm')) return 'SAMM';
  if (lower.startsWith('smic') || lower === 'hs') return 'SMIC';
  if (lower.startsWith('part_a') || lower.includes('casme3') || lower.includes('cas(me)'))
    return 'CAS(ME)^3';
  return folder;
}
