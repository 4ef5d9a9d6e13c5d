import { api } from './api';
import { clearDraft, draftIds, isHeld, parseDraftId, readDraft } from './drafts';
import { ConnectionLostError, RequestError } from './transport';
import { workspace } from './workspace.svelte';

/** A kept draft the backend refused for a reason other than the connection. */
export interface RefusedDraft {
  clipId: string;
  expression: number;
  /** Another window changed the expression since the edit began: the coder must choose. */
  conflict: boolean;
  reason: string;
}

/** What the last retry could not save (each stays a draft, marked ✎ in the clip list). */
export const draftRetry = $state({ refused: [] as RefusedDraft[] });

const FIRST_DELAY_MS = 5_000;
const LONGEST_DELAY_MS = 60_000;

let watched: { dataset: string; coder: string } | null = null;
let delay = FIRST_DELAY_MS;
let timer: ReturnType<typeof setTimeout> | null = null;
let running: Promise<void> | null = null;
let runAgain = false;

/**
 * Saves this dataset's and coder's drafts that no open panel holds (edits kept while the host was
 * away or the disk full): now, again on retryDraftsNow (a reconnect), and after a failure with
 * a growing pause. Returns the function that stops watching.
 */
export function watchDrafts(dataset: string, coder: string): () => void {
  watched = { dataset, coder };
  draftRetry.refused = [];
  retryDraftsNow();
  return () => {
    if (watched?.dataset !== dataset || watched.coder !== coder) return;
    watched = null;
    if (timer) clearTimeout(timer);
    timer = null;
  };
}

/** Retries at once (the connection is back), from the first pause again. */
export function retryDraftsNow(): void {
  delay = FIRST_DELAY_MS;
  schedule(0);
}

/** Retries after the current pause, which doubles up to a minute while saves keep failing. */
export function retryDraftsSoon(): void {
  if (timer) return; // a retry is due already, and it saves every draft: the pause stays
  schedule(delay);
  delay = Math.min(delay * 2, LONGEST_DELAY_MS);
}

function schedule(after: number): void {
  if (timer) clearTimeout(timer);
  timer = setTimeout(() => {
    timer = null;
    void run();
  }, after);
}

async function run(): Promise<void> {
  if (running) {
    runAgain = true;
    return running;
  }
  running = saveAll().finally(() => (running = null));
  await running;
  if (runAgain) {
    runAgain = false;
    await run();
  }
}

async function saveAll(): Promise<void> {
  const target = watched;
  if (!target) return;
  const refused: RefusedDraft[] = [];
  let retry = false;
  for (const id of draftIds(target.dataset, target.coder)) {
    if (isHeld(target.dataset, target.coder, id)) continue;
    const outcome = await saveDraft(target.dataset, target.coder, id);
    if (outcome === 'unreachable') return; // the reconnect retries them all
    if (typeof outcome === 'object') {
      refused.push(outcome);
      // A failure of the backend (a full disk) may pass; a refusal of the edit itself will not.
      retry ||= outcome.retry;
    }
  }
  if (watched !== target) return;
  draftRetry.refused = refused;
  if (retry) retryDraftsSoon();
  else delay = FIRST_DELAY_MS;
}

type Outcome = 'saved' | 'gone' | 'unreachable' | (RefusedDraft & { retry: boolean });

/** One draft's save: cleared once acknowledged, unless it was edited again meanwhile. */
async function saveDraft(dataset: string, coder: string, id: string): Promise<Outcome> {
  const draft = readDraft(dataset, coder, id);
  if (!draft) return 'gone';
  const { clipId, expression } = parseDraftId(id);
  try {
    await api.request('annotations.save', {
      clipId,
      fields: draft.fields,
      datasetRoot: dataset,
      coder: coder || undefined,
      expression,
      basedOn: draft.basedOn,
    });
  } catch (error) {
    if (error instanceof ConnectionLostError) return 'unreachable';
    const code = error instanceof RequestError ? error.code : 'failed';
    const reason = (error as Error).message;
    return { clipId, expression, conflict: code === 'conflict', reason, retry: code === 'failed' };
  }
  clearDraft(dataset, coder, id, draft);
  workspace.annotationsVersion++;
  return 'saved';
}
