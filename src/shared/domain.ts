/** Domain types shared by the backend services, the renderer and the CLI. */

/** MEGC2019 3-class task; the array index is the composite's numeric label (0, 1, 2). */
export const THREE_CLASSES = ['negative', 'positive', 'surprise'] as const;
export type ThreeClass = (typeof THREE_CLASSES)[number];

export type DatasetKind =
  | 'casme2'
  | 'casme2-cropped'
  | 'samm'
  | 'smic-hs'
  | 'casme3-a'
  | 'generic'
  | 'demo'
  /** Several datasets side by side (e.g. the MEGC2019 composite); see Clip.sourceKind. */
  | 'composite';

export interface Problem {
  severity: 'error' | 'warning';
  message: string;
  /** File or folder the problem is about, relative to the dataset root when inside it. */
  path?: string;
  clipId?: string;
}

/** Where a clip's frames come from; paths are relative to the dataset root. */
export type ClipSource =
  | { kind: 'images'; dir: string; files: string[] }
  /** `version`: the file's size and modification time when the dataset was opened. */
  | { kind: 'video'; file: string; version?: string };

export interface Clip {
  /** Stable within the dataset: `${subject}/${name}`. */
  id: string;
  subject: string;
  /** The dataset's own clip name, e.g. EP02_01f, 006_1_2, s1_ne_01. */
  name: string;
  fps: number;
  frameCount: number;
  width?: number;
  height?: number;
  source: ClipSource;
  /**
   * The number in each frame's file name (img46.jpg → 46), per frame index, for image sequences.
   * Datasets' spreadsheets give onset/apex/offset in these numbers; the app works in indexes.
   */
  frameNumbers?: number[];
  /** The layout a clip of a composite comes from. */
  sourceKind?: DatasetKind;
  /** Emotion label carried by the layout itself (SMIC-HS folders, demo clips). */
  folderEmotion?: string;
  /**
   * Milliseconds from the first frame, per frame index, for videos whose frames are not evenly
   * spaced (variable frame rate); other clips' times are index ÷ fps.
   */
  frameTimesMs?: number[];
  problems: Problem[];
}

/** Milliseconds from frame `from` to frame `to` of a clip (its own timestamps when it has them). */
export function clipSpanMs(
  clip: { fps: number; frameTimesMs?: number[] },
  from: number,
  to: number,
): number {
  const times = clip.frameTimesMs;
  if (times && times[from] !== undefined && times[to] !== undefined) return times[to] - times[from];
  return ((to - from) * 1000) / clip.fps;
}

export interface DatasetIndex {
  /** Absolute path of the dataset folder. */
  root: string;
  kind: DatasetKind;
  name: string;
  /** Default frame rate; a clip may override it. */
  fps: number;
  subjects: string[];
  clips: Clip[];
  problems: Problem[];
  /**
   * Annotations that came with the dataset (the demo's manifest, imported spreadsheets), by clip
   * id. Kept apart from any coder's own annotations and never edited by the app.
   */
  official: Record<string, ClipAnnotation>;
}

export interface AuCode {
  au: number;
  side?: 'L' | 'R';
  intensity?: 'A' | 'B' | 'C' | 'D' | 'E';
  /** Extra letters some datasets use (e.g. 'R' for AU4 raised variants) are kept in raw. */
  raw: string;
}

export interface AnnotationFlags {
  blink: boolean;
  occlusion: boolean;
  badFrames: boolean;
}

/** One coder's (or one import's) annotation of one clip. Frames are 0-based indexes. */
export interface ClipAnnotation {
  clipId: string;
  /** Which of the clip's expressions (1, 2 …; a long recording can hold several); 1 when absent. */
  expression?: number;
  onset: number | null;
  apex: number | null;
  offset: number | null;
  /** The dataset's own emotion label (kept as written, e.g. 'repression', 'happy'). */
  emotion: string | null;
  threeClass: ThreeClass | null;
  aus: AuCode[];
  ausRaw: string;
  flags: AnnotationFlags;
  notes: string;
  coder: string;
  /** ISO 8601 time of the last change. */
  updatedAt: string;
  /**
   * A coder's file only: which stored version this is (the file's counter, raised by every
   * change). A save names the revision it was made on and is refused if another came since.
   */
  revision?: number;
  /** A coder's file only: the window whose save wrote this version (an opaque id). */
  savedIn?: string;
}

/** An annotation with nothing marked, labelled or noted yet; `fields` fill it in. */
export function blankAnnotation(
  clipId: string,
  fields: Partial<ClipAnnotation> = {},
): ClipAnnotation {
  return {
    clipId,
    onset: null,
    apex: null,
    offset: null,
    emotion: null,
    threeClass: null,
    aus: [],
    ausRaw: '',
    flags: { blink: false, occlusion: false, badFrames: false },
    notes: '',
    coder: '',
    updatedAt: '',
    ...fields,
  };
}

export type ExecutionProvider = 'cuda' | 'cpu';

export interface Prediction {
  clipId: string;
  probabilities: Record<ThreeClass, number>;
  predicted: ThreeClass;
  provider: ExecutionProvider;
  modelId: string;
}
