/** The window event that asks the workspace to show a clip (at a frame: an expression's onset). */
export const OPEN_CLIP_EVENT = 'mer-open-clip';

export interface OpenClipRequest {
  clipId: string;
  frame?: number;
}

export function openClipAt(clipId: string, frame?: number): void {
  window.dispatchEvent(
    new CustomEvent<OpenClipRequest>(OPEN_CLIP_EVENT, { detail: { clipId, frame } }),
  );
}
