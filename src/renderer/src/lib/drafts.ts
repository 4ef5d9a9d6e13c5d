import type { ArgsOf } from '../../../shared/contract';
import { workspace } from './workspace.svelte';

export type AnnotationFields = ArgsOf<'annotations.save'>['fields'];

export interface Draft {
  fields: AnnotationFields;
  /** When the unsaved change was made (ISO time). */
  at: string;
}

/**
 * Unsaved edits kept in the browser's storage until the backend acknowledges the save, so a
 * crash of the backend (or of the window) loses nothing: the next load of the clip restores them.
 */
/** A clip's further expressions keep their drafts under `<clipId><mark><n>`. */
export const EXPRESSION_DRAFT_MARK = '#expression-';

function keyOf(dataset: string, coder: string, clipId: string): string {
  return `mer-draft\0${dataset}\0${coder}\0${clipId}`;
}

/** The clips of a dataset with an unsaved edit of this coder kept here. */
export function draftedClips(dataset: string, coder: string): Set<string> {
  const prefix = keyOf(dataset, coder, '');
  const clips = new Set<string>();
  try {
    for (let i = 0; i < localStorage.length; i++) {
      const key = localStorage.key(i);
      if (key?.startsWith(prefix))
        clips.add(key.slice(prefix.length).split(EXPRESSION_DRAFT_MARK)[0]);
    }
  } catch {
    // storage disabled: no drafts
  }
  return clips;
}

export function writeDraft(
  dataset: string,
  coder: string,
  clipId: string,
  fields: AnnotationFields,
): void {
  try {
    const draft: Draft = { fields, at: new Date().toISOString() };
    localStorage.setItem(keyOf(dataset, coder, clipId), JSON.stringify(draft));
    workspace.draftsVersion++;
  } catch {
    // Storage full or disabled: the dirty marker still says the change is unsaved.
  }
}

export function readDraft(dataset: string, coder: string, clipId: string): Draft | null {
  try {
    const text = localStorage.getItem(keyOf(dataset, coder, clipId));
    return text ? (JSON.parse(text) as Draft) : null;
  } catch {
    return null;
  }
}

export function clearDraft(dataset: string, coder: string, clipId: string): void {
  try {
    if (localStorage.getItem(keyOf(dataset, coder, clipId)) === null) return;
    localStorage.removeItem(keyOf(dataset, coder, clipId));
    workspace.draftsVersion++;
  } catch {
    // nothing to clear
  }
}

/** Save functions of the panels with edits in flight: flushed before the coder changes. */
const flushers = new Set<() => Promise<boolean>>();

export function registerFlusher(flush: () => Promise<boolean>): () => void {
  flushers.add(flush);
  return () => flushers.delete(flush);
}

/** True when every pending edit reached the backend. */
export async function flushAll(): Promise<boolean> {
  const results = await Promise.all([...flushers].map((flush) => flush()));
  return results.every(Boolean);
}
