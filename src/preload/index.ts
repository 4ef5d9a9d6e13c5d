import { contextBridge, ipcRenderer } from 'electron';
import type { EventName, FrameUrlOptions, RequestName, Reply } from '../shared/contract';

/**
 * Exposes the contract to the renderer and nothing else: one request channel, the backend's
 * events, and frame URLs on the mer-frame: protocol. Arguments are validated in main.
 */
const EVENTS: EventName[] = ['job.progress', 'job.done', 'job.error', 'annotations.changed'];

contextBridge.exposeInMainWorld('merBridge', {
  request: (name: RequestName, args: unknown): Promise<Reply<unknown>> =>
    ipcRenderer.invoke('mer:request', name, args),
  on: (event: EventName, listener: (payload: unknown) => void): (() => void) => {
    if (!EVENTS.includes(event)) throw new Error(`unknown event ${event}`);
    const forward = (_event: unknown, payload: unknown) => listener(payload);
    ipcRenderer.on(`mer:event:${event}`, forward);
    return () => ipcRenderer.off(`mer:event:${event}`, forward);
  },
  chooseFolder: (): Promise<string | null> => ipcRenderer.invoke('mer:choose-folder'),
  chooseAnnotationFile: (): Promise<string | null> =>
    ipcRenderer.invoke('mer:choose-annotation-file'),
  frameUrl: (clipId: string, index: number, options: FrameUrlOptions = {}): string => {
    const query = new URLSearchParams();
    if (options.maxSide) query.set('maxSide', String(options.maxSide));
    if (options.grey) query.set('grey', '1');
    if (options.dataset) query.set('dataset', options.dataset);
    return `mer-frame://frames/${encodeURIComponent(clipId)}/${index}?${query}`;
  },
});
