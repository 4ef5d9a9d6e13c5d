import { z } from 'zod';
import { request } from './define';
import {
  annotationFields,
  clipId,
  coderName,
  expressionNumber,
  saveBasis,
  windowCoder,
} from './schemas';
import type { AgreementReport } from '../agreement';
import type { ClipAnnotation, ThreeClass } from '../domain';

/** Every action of the annotation workspace; each has a key, and keys can be rebound. */
export const WORKSPACE_ACTIONS = {
  stepForward: 'Next frame',
  stepBack: 'Previous frame',
  bigStepForward: 'Forward N frames',
  bigStepBack: 'Back N frames',
  firstFrame: 'First frame',
  goToFrame: 'Go to a frame number',
  lastFrame: 'Last frame',
  jumpOnset: 'Go to onset',
  jumpApex: 'Go to apex',
  jumpOffset: 'Go to offset',
  playLoop: 'Play / stop loop onset→offset',
  slower: 'Slower playback',
  faster: 'Faster playback',
  markOnset: 'Set onset here',
  markApex: 'Set apex here',
  markOffset: 'Set offset here',
  clearMarks: 'Clear onset, apex and offset',
  labelNegative: '3-class: negative',
  labelPositive: '3-class: positive',
  labelSurprise: '3-class: surprise',
  focusEmotion: 'Edit emotion',
  focusAus: 'Edit AUs',
  focusNotes: 'Edit notes',
  toggleBlink: 'Flag: blink',
  toggleOcclusion: 'Flag: occlusion',
  toggleBadFrames: 'Flag: bad frames',
  addExpression: 'New expression in this clip (a long recording holds several)',
  previousExpression: 'Previous expression of the clip',
  nextExpression: 'Next expression of the clip',
  undo: 'Undo',
  redo: 'Redo',
  zoomIn: 'Zoom in',
  zoomOut: 'Zoom out',
  zoomReset: 'Reset zoom and pan',
  panLeft: 'Pan left',
  panRight: 'Pan right',
  panUp: 'Pan up',
  panDown: 'Pan down',
  toggleDifference: 'Difference image |I_t − I_onset|',
  toggleFlow: 'Flow overlay onset→apex',
  toggleStrain: 'Strain heatmap onset→apex',
  computeCurve: 'Compute the motion curve',
  acceptApex: 'Accept the suggested apex',
  nextClip: 'Next clip',
  previousClip: 'Previous clip',
  focusSearch: 'Search clips',
  nextView: 'Next view (annotate, coders, results, model input, imports, keys)',
  toggleImported: 'Show / hide the dataset annotation',
} as const;

export type WorkspaceAction = keyof typeof WORKSPACE_ACTIONS;
export const ACTION_NAMES = Object.keys(WORKSPACE_ACTIONS) as WorkspaceAction[];

/** Keys are written as modifiers (Ctrl, Alt, Shift, Meta, in that order) + key, e.g. 'Shift+ArrowRight'. */
export const DEFAULT_KEYS: Record<WorkspaceAction, string[]> = {
  stepForward: ['ArrowRight'],
  stepBack: ['ArrowLeft'],
  bigStepForward: ['Shift+ArrowRight'],
  bigStepBack: ['Shift+ArrowLeft'],
  firstFrame: ['Home'],
  goToFrame: ['Shift+g'],
  lastFrame: ['End'],
  jumpOnset: ['1'],
  jumpApex: ['2'],
  jumpOffset: ['3'],
  playLoop: ['Space'],
  slower: ['['],
  faster: [']'],
  markOnset: ['i'],
  markApex: ['a'],
  markOffset: ['o'],
  clearMarks: ['Shift+Backspace'],
  labelNegative: ['Shift+n'],
  labelPositive: ['Shift+p'],
  labelSurprise: ['Shift+s'],
  focusEmotion: ['e'],
  focusAus: ['u'],
  focusNotes: ['m'],
  toggleBlink: ['b'],
  toggleOcclusion: ['x'],
  toggleBadFrames: ['Shift+b'],
  addExpression: ['n'],
  previousExpression: [','],
  nextExpression: ['.'],
  undo: ['Ctrl+z'],
  redo: ['Ctrl+Shift+z', 'Ctrl+y'],
  zoomIn: ['='],
  zoomOut: ['-'],
  zoomReset: ['0'],
  panLeft: ['Ctrl+ArrowLeft'],
  panRight: ['Ctrl+ArrowRight'],
  panUp: ['Ctrl+ArrowUp'],
  panDown: ['Ctrl+ArrowDown'],
  toggleDifference: ['d'],
  toggleFlow: ['f'],
  toggleStrain: ['g'],
  computeCurve: ['c'],
  acceptApex: ['Shift+a'],
  nextClip: ['PageDown'],
  previousClip: ['PageUp'],
  focusSearch: ['/'],
  nextView: ['v'],
  toggleImported: ['h'],
};

export interface WorkspaceSettings {
  keys: Record<WorkspaceAction, string[]>;
  /** N of the ±N frame step. */
  bigStep: number;
  /** The micro-expression rule: flag clips longer than this (onset→offset)… */
  maxTotalMs: number;
  /** …or whose onset→apex is longer than this. */
  maxOnsetApexMs: number;
  /** Frame tolerance of the agreement view. */
  toleranceFrames: number;
  /** Playback speed of the onset→offset loop, 0.05–1. */
  playbackRate: number;
  /** Other coders' annotations (and the dataset's) hidden while coding. */
  blind: boolean;
}

export const DEFAULT_SETTINGS: WorkspaceSettings = {
  keys: DEFAULT_KEYS,
  bigStep: 10,
  maxTotalMs: 500,
  maxOnsetApexMs: 250,
  toleranceFrames: 3,
  playbackRate: 0.25,
  blind: false,
};

const keyList = z.array(z.string().min(1).max(40)).max(4);

export const settingsPatch = z
  .object({
    keys: z.partialRecord(z.enum(ACTION_NAMES as [WorkspaceAction, ...WorkspaceAction[]]), keyList),
    bigStep: z.number().int().min(2).max(1000),
    maxTotalMs: z.number().min(1).max(60_000),
    maxOnsetApexMs: z.number().min(1).max(60_000),
    toleranceFrames: z.number().int().min(0).max(1000),
    playbackRate: z.number().min(0.05).max(1),
    blind: z.boolean(),
  })
  .partial()
  .strict();

export type ClipStatusKind = 'annotated' | 'imported' | 'conflicting' | 'predicted' | 'error';

export interface ClipStatus {
  clipId: string;
  statuses: ClipStatusKind[];
  /** The coder's label, else the dataset's (hidden in blind mode), for counts per class. */
  threeClass: ThreeClass | null;
  emotion: string | null;
  /** Why the clip is conflicting or in error, for the tooltip. */
  notes: string[];
}

export interface CodingState {
  coder: string;
  coders: string[];
  blind: boolean;
  consensusCoder: string;
}

export interface CoderAnnotations {
  coder: string;
  /** True in blind mode: the annotations are withheld. */
  hidden: boolean;
  annotations: ClipAnnotation[];
  /** Why the coder's file could not be read (e.g. written by a newer schema). */
  error?: string;
}

export const CONSENSUS_CODER = 'consensus';

export const codingRequests = {
  'settings.get': request(z.object({})).returns<{
    settings: WorkspaceSettings;
    file: string;
    notice?: string;
  }>(),
  'settings.save': request(settingsPatch).returns<{ settings: WorkspaceSettings; file: string }>(),
  'coding.state': request(z.object({})).returns<CodingState>(),
  /** Per clip: annotated / imported / conflicting / predicted / error, and its label for counts. */
  'coding.clipStatus': request(
    z.object({
      toleranceFrames: z.number().int().min(0).max(1000).optional(),
      coder: windowCoder,
    }),
  ).returns<ClipStatus[]>(),
  /** Another coder's annotations (all clips, or one); withheld in blind mode. */
  'coding.annotationsOf': request(
    z.object({ coder: coderName, clipId: clipId.optional() }),
  ).returns<CoderAnnotations>(),
  'coding.agreement': request(
    z.object({
      coderA: coderName,
      coderB: coderName,
      toleranceFrames: z.number().int().min(0).max(1000),
    }),
  ).returns<AgreementReport>(),
  /** Writes one clip of the consensus set (its own coder file, 'consensus'). */
  'coding.adjudicate': request(
    z.object({
      clipId,
      fields: annotationFields,
      from: z.string().max(4000),
      expression: expressionNumber,
      /**
       * The consensus version the adjudication view showed (as annotations.save's basedOn):
       * refused with the error code 'conflict' when the consensus was changed since.
       * Absent: saved whatever is stored.
       */
      basedOn: saveBasis.optional(),
    }),
  ).returns<{
    savedAt: string;
    coder: string;
    file: string;
    /** The consensus expression's revision now: the basis of the view's next save. */
    revision: number;
  }>(),
};
