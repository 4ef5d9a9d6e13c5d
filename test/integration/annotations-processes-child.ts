/**
 * A second process of annotations-processes.test.ts (as `mer-studio serve` beside the app): on
 * "go" (stdin) it saves through its own store into the same dataset folder and coder as the
 * test's process, printing each outcome as a JSON line, then exits. The test's process runs the
 * same turns itself (saveInTurns).
 */
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { AnnotationConflictError, AnnotationStore } from '../../src/main/annotations/store';
import type { ClipAnnotation } from '../../src/shared/domain';

export const CODER = 'shared-coder';
/** The clip every process edits, each on the version it has just read (as a window does). */
export const SHARED_CLIP = 'shared';

export type Outcome =
  | { kind: 'own'; clipId: string; notes: string; revision: number }
  | { kind: 'shared'; notes: string; basedOn: number; revision: number }
  | { kind: 'conflict'; basedOn: number; stored: number };

export function storeIn(folder: string): AnnotationStore {
  return new AnnotationStore({
    location: { folder, where: 'dataset' },
    coder: CODER,
    dataset: { name: 'processes', root: folder },
  });
}

export function annotation(clipId: string, onset: number, notes: string): ClipAnnotation {
  return {
    clipId,
    onset,
    apex: onset + 1,
    offset: onset + 2,
    emotion: 'happiness',
    threeClass: 'positive',
    aus: [{ au: 12, raw: '12' }],
    ausRaw: '12',
    flags: { blink: false, occlusion: false, badFrames: false },
    notes,
    coder: CODER,
    updatedAt: new Date().toISOString(),
  };
}

/**
 * Each turn, as a window does: read the shared clip, and while its edit is made, save a clip of
 * this process's own (no basis, as the CLI or adjudication does); then save the edit of the
 * shared clip based on the revision read.
 */
export async function saveInTurns(
  store: AnnotationStore,
  name: string,
  turns: number,
  report: (outcome: Outcome) => void,
  sharedClip = SHARED_CLIP,
): Promise<void> {
  for (let turn = 0; turn < turns; turn++) {
    const basedOn = (await store.get(sharedClip))?.revision ?? 0;
    const clipId = `${name}-${turn}`;
    const own = `${name} own ${turn}`;
    report({
      kind: 'own',
      clipId,
      notes: own,
      revision: await store.save(annotation(clipId, turn, own)),
    });
    const notes = `${name} shared ${turn}`;
    try {
      const revision = await store.save(annotation(sharedClip, turn, notes), {
        revision: basedOn,
        window: name,
      });
      report({ kind: 'shared', notes, basedOn, revision });
    } catch (error) {
      if (!(error instanceof AnnotationConflictError)) throw error;
      report({ kind: 'conflict', basedOn, stored: error.conflict.revision });
    }
  }
}

async function main(): Promise<void> {
  const [folder, name, turns, sharedClip] = process.argv.slice(2);
  const store = storeIn(folder);
  await store.all(); // loaded before the race starts
  process.stdout.write('ready\n');
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) if (line === 'go') break;
  const report = (outcome: Outcome): void => {
    process.stdout.write(`${JSON.stringify(outcome)}\n`);
  };
  await saveInTurns(store, name, Number(turns), report, sharedClip);
  lines.close();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
