import type { ArgsOf } from '../../../shared/contract';
import { workspace } from './workspace.svelte';

export type AnnotationFields = ArgsOf<'annotations.save'>['fields'];
/** The stored version an edit was made on, and the window that made it (see annotations.save). */
export type SaveBasis = NonNullable<ArgsOf<'annotations.save'>['basedOn']>;

export interface Draft {
  fields: AnnotationFields;
  /** When the unsaved change was made (ISO time). */
  at: string;
  /** Absent in drafts kept before saves named their basis. */
  basedOn?: SaveBasis;
}

/**
 * This window's id, sent with its saves: the backend never takes a window's own earlier save for
 * another window's change. New with every page load (a duplicated tab must not share it).
 */
export const WINDOW_ID = Array.from(crypto.getRandomValues(new Uint8Array(12)), (byte) =>
  byte.toString(16).padStart(2, '0'),
).join('');

/**
 * Unsaved edits kept in the browser's storage until the backend acknowledges the save, so a
 * crash of the backend (or of the window) loses nothing: the next load of the clip restores them.
 */
/** A clip's further expressions keep their drafts under `<clipId><mark><n>`. */
export const EXPRESSION_DRAFT_MARK = '#expression-';

/** A draft's name: the clip, or its expression after the first. */
export function draftIdOf(clipId: string, expression: number): string {
  return expression > 1 ? `${clipId}${EXPRESSION_DRAFT_MARK}${expression}` : clipId;
}

/** The clip and expression a draft's name stands for. */
export function parseDraftId(draftId: string): { clipId: string; expression: number } {
  const [clipId, expression] = draftId.split(EXPRESSION_DRAFT_MARK);
  return { clipId, expression: expression ? Number(expression) : 1 };
}

const KEY_PREFIX = 'mer-draft\0';

function keyOf(dataset: string, coder: string, clipId: string): string {
  return `${KEY_PREFIX}${dataset}\0${coder}\0${clipId}`;
}

// Another tab of this browser kept or cleared a draft: what shows drafts (✎) reads them again.
window.addEventListener('storage', (event) => {
  if (event.key === null || event.key.startsWith(KEY_PREFIX)) workspace.draftsVersion++;
});

/** The names of this coder's drafts of a dataset (a clip, or `<clip>#expression-<n>`). */
export function draftIds(dataset: string, coder: string): string[] {
  const prefix = keyOf(dataset, coder, '');
  const ids: string[] = [];
  try {
    for (let i = 0; i < localStorage.length; i++) {
      const key = localStorage.key(i);
      if (key?.startsWith(prefix)) ids.push(key.slice(prefix.length));
    }
  } catch {
    // storage disabled: no drafts
  }
  return ids;
}

/** The clips of a dataset with an unsaved edit of this coder kept here. */
export function draftedClips(dataset: string, coder: string): Set<string> {
  return new Set(draftIds(dataset, coder).map((id) => parseDraftId(id).clipId));
}

export function writeDraft(
  dataset: string,
  coder: string,
  clipId: string,
  fields: AnnotationFields,
  basedOn?: SaveBasis,
): void {
  try {
    const draft: Draft = { fields, at: new Date().toISOString(), basedOn };
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

/** Drops a draft; with `saved`, only while it is still that one (not a newer edit since). */
export function clearDraft(dataset: string, coder: string, clipId: string, saved?: Draft): void {
  try {
    const text = localStorage.getItem(keyOf(dataset, coder, clipId));
    if (text === null || (saved && text !== JSON.stringify(saved))) return;
    localStorage.removeItem(keyOf(dataset, coder, clipId));
    workspace.draftsVersion++;
  } catch {
    // nothing to clear
  }
}

/**
 * An expression moved to another place (an earlier one was deleted): its draft moves with it,
 * never dropped unsaved. It keeps the version it was made on, so its save is checked against it.
 */
export function moveDraft(dataset: string, coder: string, from: string, to: string): void {
  try {
    const text = localStorage.getItem(keyOf(dataset, coder, from));
    if (text === null) return;
    localStorage.setItem(keyOf(dataset, coder, to), text);
    localStorage.removeItem(keyOf(dataset, coder, from));
    workspace.draftsVersion++;
  } catch {
    // storage disabled: no drafts
  }
}

/** Drafts an open annotation panel saves itself (how many panels): a background retry leaves them. */
const held = new Map<string, number>();

export function holdDraft(dataset: string, coder: string, clipId: string): () => void {
  const key = keyOf(dataset, coder, clipId);
  held.set(key, (held.get(key) ?? 0) + 1);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const count = (held.get(key) ?? 1) - 1;
    if (count > 0) held.set(key, count);
    else held.delete(key);
  };
}

export function isHeld(dataset: string, coder: string, clipId: string): boolean {
  return held.has(keyOf(dataset, coder, clipId));
}

/** The last saves of closed panels: a panel opening on the same expression reads after them. */
const closingSaves = new Map<string, Promise<unknown>>();

export function trackClosingSave(
  dataset: string,
  coder: string,
  clipId: string,
  save: Promise<unknown>,
): void {
  const key = keyOf(dataset, coder, clipId);
  const settled: Promise<unknown> = save
    .catch(() => undefined)
    .finally(() => {
      if (closingSaves.get(key) === settled) closingSaves.delete(key);
    });
  closingSaves.set(key, settled);
}

/** Settles once the closed panels' saves of this expression have (it otherwise reads a stale copy). */
export function closingSave(dataset: string, coder: string, clipId: string): Promise<unknown> {
  return closingSaves.get(keyOf(dataset, coder, clipId)) ?? Promise.resolve();
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
