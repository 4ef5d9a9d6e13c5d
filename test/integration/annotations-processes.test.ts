import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppContext } from '../../src/main/app/context';
import { dispatch } from '../../src/main/app/handlers';
import { makeCasme2 } from '../fixtures/datasets';
import { call } from '../support/dispatch';
import {
  annotation,
  CODER,
  saveInTurns,
  SHARED_CLIP,
  storeIn,
  type Outcome,
} from './annotations-processes-child';

const child = fileURLToPath(new URL('./annotations-processes-child.ts', import.meta.url));
const TURNS = 60;

/** A saving process on the folder: ready once its store has read the file; `go` starts it. */
interface Saver {
  ready: Promise<void>;
  go: () => void;
  outcomes: Promise<Outcome[]>;
}

function startSaver(folder: string, name: string, turns: number, sharedClip = SHARED_CLIP): Saver {
  const proc: ChildProcessWithoutNullStreams = spawn(
    process.execPath,
    ['--import', 'tsx', child, folder, name, String(turns), sharedClip],
    { stdio: 'pipe' },
  );
  let markReady = (): void => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const outcomes = new Promise<Outcome[]>((resolve, reject) => {
    const found: Outcome[] = [];
    let buffered = '';
    let stderr = '';
    proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    proc.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (line === 'ready') markReady();
        else found.push(JSON.parse(line) as Outcome);
      }
    });
    proc.on('error', reject);
    proc.on('exit', (code) => {
      if (code === 0) resolve(found);
      else reject(new Error(`${name} exited with ${code}: ${stderr}`));
    });
  });
  outcomes.catch(() => markReady()); // a child that dies before ready fails the test, not hangs it
  return { ready, go: () => proc.stdin.end('go\n'), outcomes };
}

async function onDisk(folder: string): Promise<{
  lastRevision: number;
  annotations: Record<string, { notes: string; revision: number }>;
}> {
  return JSON.parse(await readFile(path.join(folder, 'annotations', `${CODER}.json`), 'utf8'));
}

/** A file of a few hundred clips, so that each write takes a while (as a coded dataset does). */
async function seedFile(folder: string): Promise<void> {
  const annotations: Record<string, unknown> = {};
  for (let i = 0; i < 300; i++) {
    annotations[`seeded-${i}`] = { ...annotation(`seeded-${i}`, i, 'x'.repeat(300)), revision: 1 };
  }
  const file = {
    schemaVersion: 1,
    coder: CODER,
    dataset: 'processes',
    lastRevision: 1,
    annotations,
  };
  await mkdir(path.join(folder, 'annotations'), { recursive: true });
  await writeFile(path.join(folder, 'annotations', `${CODER}.json`), JSON.stringify(file));
}

describe('one coder file saved by several processes at once', () => {
  let base: string;
  beforeAll(async () => {
    base = await mkdtemp(path.join(os.tmpdir(), 'mer-processes-'));
  });
  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('loses no acknowledged save and refuses an edit of a version another process replaced', async () => {
    const folder = path.join(base, 'race');
    await seedFile(folder);
    const store = storeIn(folder);
    await store.all();
    const others = [startSaver(folder, 'serve-a', TURNS), startSaver(folder, 'serve-b', TURNS)];
    await Promise.all(others.map((other) => other.ready));
    const mine: Outcome[] = [];
    for (const other of others) other.go();
    await saveInTurns(store, 'app', TURNS, (outcome) => mine.push(outcome));
    const outcomes = [mine, ...(await Promise.all(others.map((other) => other.outcomes)))].flat();

    const file = await onDisk(folder);
    // Every acknowledged save of a process's own clips is in the file, as it was saved.
    const own = outcomes.filter((outcome) => outcome.kind === 'own');
    expect(own).toHaveLength(3 * TURNS);
    const lost = own.filter((saved) => file.annotations[saved.clipId]?.notes !== saved.notes);
    expect(lost.map((saved) => saved.clipId)).toEqual([]);
    expect(Object.keys(file.annotations)).toHaveLength(300 + 3 * TURNS + 1);

    // Revisions stay unique and rising across processes.
    const acknowledged = outcomes.filter((outcome) => outcome.kind !== 'conflict');
    const revisions = acknowledged.map((saved) => saved.revision);
    expect(new Set(revisions).size).toBe(revisions.length);
    expect(file.lastRevision).toBe(Math.max(...revisions));

    // The shared clip's accepted edits form one line: each was made on the version the one
    // before it saved, so none replaced an edit it had not seen.
    const shared = outcomes
      .filter((outcome) => outcome.kind === 'shared')
      .sort((a, b) => a.revision - b.revision);
    expect(shared.map((saved) => saved.basedOn)).toEqual([
      0,
      ...shared.slice(0, -1).map((saved) => saved.revision),
    ]);
    expect(file.annotations[SHARED_CLIP]).toMatchObject({
      notes: shared.at(-1)?.notes,
      revision: shared.at(-1)?.revision,
    });
    // The others were refused as conflicts, naming a newer stored version.
    const conflicts = outcomes.filter((outcome) => outcome.kind === 'conflict');
    expect(shared.length + conflicts.length).toBe(3 * TURNS);
    expect(conflicts.length).toBeGreaterThan(0);
    for (const conflict of conflicts) expect(conflict.stored).toBeGreaterThan(conflict.basedOn);
    console.log(
      `[processes test] 3 processes, ${acknowledged.length} saves acknowledged, ` +
        `${conflicts.length} edits of the shared clip refused as conflicts`,
    );
  }, 180_000);

  it('refuses a window’s save made on a version another process saved over since, as a conflict', async () => {
    const root = path.join(base, 'CASME2_RAW_selected');
    await makeCasme2(root, { subjects: 1, clipsPerSubject: 2, frames: 6, firstFrame: 46 });
    const ctx = new AppContext('cli', path.join(base, 'app-data'));
    await call(ctx, 'dataset.open', { path: root });
    const clipId = ctx.requireDataset().clips[0].id;
    const shown = await call(ctx, 'annotations.get', { clipId, coder: CODER });
    expect(shown.own).toBeNull();

    // `serve` on the same dataset saves the clip, as another browser's window edited it.
    const other = startSaver(path.join(root, '.mer-studio'), 'serve', 1, clipId);
    await other.ready;
    other.go();
    const theirs = (await other.outcomes).find((outcome) => outcome.kind === 'shared');
    expect(theirs).toMatchObject({ basedOn: 0 });

    const edit = { clipId, coder: CODER, datasetRoot: root, fields: FIELDS };
    const refused = await dispatch(ctx, 'annotations.save', {
      ...edit,
      basedOn: { revision: 0, window: 'tab' },
    });
    expect(refused).toMatchObject({
      ok: false,
      error: { code: 'conflict', conflict: { clipId, expression: 1, revision: theirs?.revision } },
    });
    const kept = await call(ctx, 'annotations.get', { clipId, coder: CODER });
    expect(kept.own?.notes).toBe(theirs?.kind === 'shared' && theirs.notes);
    // "Keep mine": saved again on the version the conflict named.
    const mine = await call(ctx, 'annotations.save', {
      ...edit,
      basedOn: { revision: theirs?.revision ?? -1, window: 'tab' },
    });
    expect(mine.revision).toBeGreaterThan(theirs?.revision ?? Infinity);
    expect((await call(ctx, 'annotations.get', { clipId, coder: CODER })).own?.notes).toBe('mine');
  }, 60_000);
});

const FIELDS = {
  onset: 1,
  apex: 2,
  offset: 3,
  emotion: null,
  threeClass: null,
  aus: [],
  ausRaw: '',
  flags: { blink: false, occlusion: false, badFrames: false },
  notes: 'mine',
};
