/**
 * The one contract between the renderer (or CLI) and the backend. Each service declares its
 * requests in its own file here; this file merges them. Electron IPC, the web host and the CLI
 * all dispatch through the same handler table (src/main/app/handlers.ts), which validates every
 * argument with these schemas.
 *
 * Adding a request: declare it in the service's contract file, implement it in that service's
 * handlers.ts, call it from the renderer with `api.request('name', args)`.
 */
import type { z } from 'zod';
import { appRequests } from './app';
import { datasetRequests } from './dataset';
import { annotationRequests, type AnnotationConflict } from './annotations';
import { flowRequests } from './flow';
import { modelRequests } from './model';
import { reportRequests } from './report';
import { batchRequests } from './batch';
import { codingRequests } from './coding';
import { motionRequests } from './motion';
import { faceRequests } from './face';
import type { EventMap } from './events';

export const requests = {
  ...appRequests,
  ...datasetRequests,
  ...annotationRequests,
  ...flowRequests,
  ...modelRequests,
  ...reportRequests,
  ...batchRequests,
  ...codingRequests,
  ...motionRequests,
  ...faceRequests,
} as const;

export type Requests = typeof requests;
export type RequestName = keyof Requests;
/** What the caller passes (before defaults are applied). */
export type ArgsOf<N extends RequestName> = z.input<Requests[N]['args']>;
/** What the handler receives (validated, defaults applied). */
export type ParsedArgsOf<N extends RequestName> = z.output<Requests[N]['args']>;
export type ResultOf<N extends RequestName> = Requests[N]['result'];

export type { EventMap };
export type EventName = keyof EventMap;

export function isRequestName(name: unknown): name is RequestName {
  return typeof name === 'string' && Object.hasOwn(requests, name);
}

/** The envelope every host returns: errors cross the boundary as data, never as throws. */
export type Reply<T> = { ok: true; result: T } | { ok: false; error: ErrorInfo };

export interface ErrorInfo {
  message: string;
  /**
   * 'bad-request' for arguments that failed validation, 'not-found', 'cancelled', 'failed',
   * 'conflict' for a save made on a version another window has changed since.
   */
  code: 'bad-request' | 'not-found' | 'forbidden' | 'cancelled' | 'failed' | 'conflict';
  /** With 'conflict': which expression, and its stored revision now. */
  conflict?: AnnotationConflict;
}

/** What both renderer transports (Electron preload and web socket) offer. */
export interface MerApi {
  request<N extends RequestName>(name: N, args: ArgsOf<N>): Promise<ResultOf<N>>;
  on<E extends EventName>(event: E, listener: (payload: EventMap[E]) => void): () => void;
  /** URL of a decoded frame as an image the renderer can put in <img> or fetch. */
  frameUrl(clipId: string, index: number, options?: FrameUrlOptions): string;
  /** The desktop's folder picker (Electron only; in a browser the user types the path). */
  chooseFolder?(): Promise<string | null>;
  /** The desktop's file picker for annotation tables (Electron only). */
  chooseAnnotationFile?(): Promise<string | null>;
}

export interface FrameUrlOptions {
  /** Longest side in pixels for display; omitted = native size. */
  maxSide?: number;
  grey?: boolean;
  /**
   * The open dataset's root: only makes the URL differ per dataset, so a browser never serves
   * one dataset's cached frame for another's clip of the same id (the backend ignores it).
   */
  dataset?: string;
}
