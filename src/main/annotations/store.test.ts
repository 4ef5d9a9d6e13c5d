import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ClipAnnotation } from '../../shared/domain';
import { backupOf } from '../app/atomic-write';
import { FileLockError, lockFileOf } from './file-lock';
import { appDataStorageFolder, resolveStorage, type StorageLocation } from './location';
import { STORE_SCHEMA_VERSION } from './schema';
import {
  AnnotationConflictError,
  AnnotationStore,
  coderFileName,
  coderOfFileName,
  listCoders,
} from './store';
import { makeReadOnly, makeWritable } from '../../../test/support/read-only';

let base: string;
beforeAll(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'mer-store-'));
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

let folderCount = 0;
async function freshLocation(): Promise<StorageLocation> {
  const folder = path.join(base, `storage-${++folderCount}`);
  await mkdir(folder, { recursive: true });
  return { folder, where: 'dataset' };
}

function annotation(clipId: string, onset: number, notes = ''): ClipAnnotation {
  return {
    clipId,
    onset,
    apex: onset + 5,
    offset: onset + 10,
    emotion: 'disgust',
    threeClass: 'negative',
    aus: [{ au: 4, raw: '4' }],
    ausRaw: '4',
    flags: { blink: false, occlusion: true, badFrames: false },
    notes,
    coder: 'ana',
    updatedAt: '2026-01-01T00:00:00.000Z',
  };
}

const dataset = { name: 'fixture', root: '/data/fixture' };

describe('annotation store', () => {
  it('saves readable JSON per coder and reads it back in a new store', async () => {
    const location = await freshLocation();
    const store = new AnnotationStore({ location, coder: 'ana', dataset });
    await store.save(annotation('sub01/EP02_01f', 10, 'first'));
    await store.save(annotation('sub01/EP03_02', 20));
    const file = path.join(location.folder, 'annotations', 'ana.json');
    expect(store.file).toBe(file);
    const onDisk = JSON.parse(await readFile(file, 'utf8'));
    expect(onDisk).toMatchObject({
      format: 'mer-studio-annotations',
      schemaVersion: 1, // no clip holds a second expression: still readable by version 1
      coder: 'ana',
      dataset: 'fixture',
    });
    expect(Object.keys(onDisk.annotations)).toEqual(['sub01/EP02_01f', 'sub01/EP03_02']);
    const reopened = new AnnotationStore({ location, coder: 'ana', dataset });
    expect(await reopened.get('sub01/EP02_01f')).toEqual({
      ...annotation('sub01/EP02_01f', 10, 'first'),
      revision: 1,
    });
    expect(await new AnnotationStore({ location, coder: 'ben', dataset }).all()).toEqual([]);
  });

  it('acknowledges a burst of saves only once each is on disk (coalesced writes)', async () => {
    const location = await freshLocation();
    const store = new AnnotationStore({ location, coder: 'ana', dataset });
    await Promise.all(Array.from({ length: 50 }, (_, i) => store.save(annotation(`c${i}`, i))));
    const onDisk = JSON.parse(await readFile(store.file, 'utf8'));
    expect(Object.keys(onDisk.annotations)).toHaveLength(50);
    const leftovers = (await readdir(path.dirname(store.file))).filter((n) => n.includes('.tmp-'));
    expect(leftovers).toEqual([]);
  });

  it('keeps every save of a burst that arrives before the file was first read', async () => {
    // The saves race the first read of the file; a few rounds make a lost save show.
    for (let round = 0; round < 10; round++) {
      const location = await freshLocation();
      const earlier = new AnnotationStore({ location, coder: 'ana', dataset });
      await Promise.all(Array.from({ length: 50 }, (_, i) => earlier.save(annotation(`a${i}`, i))));
      const store = new AnnotationStore({ location, coder: 'ana', dataset });
      await Promise.all(Array.from({ length: 50 }, (_, i) => store.save(annotation(`b${i}`, i))));
      const onDisk = JSON.parse(await readFile(store.file, 'utf8'));
      expect(Object.keys(onDisk.annotations)).toHaveLength(100);
    }
  });

  it('undoes and redoes a clip step by step, each step saved', async () => {
    const location = await freshLocation();
    const store = new AnnotationStore({ location, coder: 'ana', dataset });
    await store.save(annotation('c', 1));
    await store.save(annotation('c', 2));
    expect(store.canUndo('c')).toBe(true);
    expect((await store.undo('c')).annotation?.onset).toBe(1);
    expect(await store.undo('c')).toEqual({ annotation: null, expression: 1 });
    expect(store.canUndo('c')).toBe(false);
    expect(await new AnnotationStore({ location, coder: 'ana', dataset }).get('c')).toBeNull();
    expect((await store.redo('c')).annotation?.onset).toBe(1);
    expect((await store.redo('c')).annotation?.onset).toBe(2);
    expect(store.canRedo('c')).toBe(false);
    await store.undo('c');
    await store.save(annotation('c', 7));
    expect(store.canRedo('c')).toBe(false);
    const reread = new AnnotationStore({ location, coder: 'ana', dataset });
    expect((await reread.get('c'))?.onset).toBe(7);
  });

  it('keeps a copy of a file made unreadable outside the app before saving over it', async () => {
    const location = await freshLocation();
    const store = new AnnotationStore({ location, coder: 'ana', dataset });
    await store.save(annotation('c', 1));
    const handTyped = '{"annotations": { "c": { "notes": "fixed by hand" } '; // a brace short
    await writeFile(store.file, handTyped);
    await store.save(annotation('d', 2));
    const names = await readdir(path.dirname(store.file));
    const aside = names.find((name) => name.startsWith('ana.json.damaged-'));
    expect(aside).toBeDefined();
    expect(await readFile(path.join(path.dirname(store.file), aside!), 'utf8')).toBe(handTyped);
    expect((await store.all()).map((saved) => saved.clipId).sort()).toEqual(['c', 'd']);
    expect(store.notices.map((notice) => notice.message).join()).toMatch(/changed outside/);
  });

  it('recovers the previous save from the backup when the file is damaged, keeping the damaged copy', async () => {
    const location = await freshLocation();
    const store = new AnnotationStore({ location, coder: 'ana', dataset });
    await store.save(annotation('c', 1));
    await store.save(annotation('c', 2));
    await writeFile(store.file, '{"schemaVersion": 1, "annotations": {"c": {"onset": 2');
    const recovered = new AnnotationStore({ location, coder: 'ana', dataset });
    expect((await recovered.get('c'))?.onset).toBe(1);
    expect(recovered.notices[0]).toMatchObject({ kind: 'recovered' });
    expect(recovered.notices[0].message).toMatch(/ana\.json\.bak/);
    const names = await readdir(path.dirname(store.file));
    expect(names.some((name) => name.startsWith('ana.json.damaged-'))).toBe(true);
    await recovered.save(annotation('c', 3));
    expect(JSON.parse(await readFile(store.file, 'utf8')).annotations.c.onset).toBe(3);
  });

  it('refuses a damaged file without a backup and leaves it as it is', async () => {
    const location = await freshLocation();
    const file = path.join(location.folder, 'annotations', 'ana.json');
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, 'not json');
    const store = new AnnotationStore({ location, coder: 'ana', dataset });
    await expect(store.all()).rejects.toThrow(/no usable backup/);
    await expect(store.save(annotation('c', 1))).rejects.toThrow(/no usable backup/);
    expect(await readFile(file, 'utf8')).toBe('not json');
  });

  it('migrates a schema 0 file to 1, keeps the original beside it and saves the new form', async () => {
    const location = await freshLocation();
    const file = path.join(location.folder, 'annotations', 'ana.json');
    await mkdir(path.dirname(file), { recursive: true });
    const v0 = {
      coder: 'ana',
      dataset: 'fixture',
      clips: [
        {
          clip: 'sub01/EP02_01f',
          onsetFrame: 5,
          apexFrame: 13,
          offsetFrame: 40,
          label: 'happiness',
          aus: 'L12+R14',
          note: 'smile',
          time: '2024-05-01T10:00:00.000Z',
        },
        { clip: 'sub02/EP09_10', onsetFrame: 3, apexFrame: null, label: 'others' },
      ],
    };
    await writeFile(file, JSON.stringify(v0));
    const store = new AnnotationStore({ location, coder: 'ana', dataset });
    expect(await store.get('sub01/EP02_01f')).toEqual({
      clipId: 'sub01/EP02_01f',
      onset: 5,
      apex: 13,
      offset: 40,
      emotion: 'happiness',
      threeClass: 'positive',
      aus: [
        { au: 12, side: 'L', raw: 'L12' },
        { au: 14, side: 'R', raw: 'R14' },
      ],
      ausRaw: 'L12+R14',
      flags: { blink: false, occlusion: false, badFrames: false },
      notes: 'smile',
      coder: 'ana',
      updatedAt: '2024-05-01T10:00:00.000Z',
      revision: 1, // from before revisions: 1
    });
    expect(await store.get('sub02/EP09_10')).toMatchObject({
      apex: null,
      offset: null,
      threeClass: null,
    });
    expect(store.notices.map((n) => n.kind)).toEqual(['migrated']);
    expect(JSON.parse(await readFile(`${file}.v0.bak`, 'utf8'))).toEqual(v0);
    await store.save(annotation('c', 1));
    const saved = JSON.parse(await readFile(file, 'utf8'));
    expect(saved.schemaVersion).toBe(1);
    expect(Object.keys(saved.annotations).sort()).toEqual(['c', 'sub01/EP02_01f', 'sub02/EP09_10']);
  });

  it('refuses a file from a newer schema and never overwrites it', async () => {
    const location = await freshLocation();
    const file = path.join(location.folder, 'annotations', 'ana.json');
    await mkdir(path.dirname(file), { recursive: true });
    const newer = JSON.stringify({
      schemaVersion: STORE_SCHEMA_VERSION + 1,
      annotations: {},
      tiers: [],
    });
    await writeFile(file, newer);
    const store = new AnnotationStore({ location, coder: 'ana', dataset });
    await expect(store.all()).rejects.toThrow(
      /newer MER Studio \(annotation schema 3.*left untouched/,
    );
    await expect(store.save(annotation('c', 1))).rejects.toThrow(/newer MER Studio/);
    expect(await readFile(file, 'utf8')).toBe(newer);
    expect(await readdir(path.dirname(file))).toEqual(['ana.json']);
  });

  it('names coder files safely and lists the coders of a folder', async () => {
    expect(coderFileName('ana')).toBe('ana.json');
    expect(coderFileName('Ana María')).toBe('Ana%20Mar%C3%ADa.json');
    expect(coderFileName('..')).toBe('%2E..json');
    expect(coderOfFileName(coderFileName('Ana María'))).toBe('Ana María');
    expect(coderOfFileName(coderFileName('..'))).toBe('..');
    for (const reserved of ['CON', 'nul', 'Com1', 'LPT9', 'NUL.txt', 'prn.json']) {
      expect(coderFileName(reserved).toLowerCase()).not.toBe(`${reserved.toLowerCase()}.json`);
      expect(coderOfFileName(coderFileName(reserved))).toBe(reserved);
    }
    const location = await freshLocation();
    for (const coder of ['ben', 'Ana María']) {
      await new AnnotationStore({ location, coder, dataset }).save(annotation('c', 1));
    }
    expect(await listCoders(location.folder)).toEqual(['Ana María', 'ben']);
  });

  it.skipIf(process.platform === 'win32')(
    'finds a device-named coder file written before such names were encoded',
    async () => {
      const location = await freshLocation();
      const old = new AnnotationStore({ location, coder: 'CON', dataset });
      await old.save(annotation('c', 7));
      const current = path.join(location.folder, 'annotations', coderFileName('CON'));
      await rename(current, path.join(location.folder, 'annotations', 'CON.json'));
      expect(await listCoders(location.folder)).toEqual(['CON']);
      const store = new AnnotationStore({ location, coder: 'CON', dataset });
      expect((await store.all()).map((saved) => saved.apex)).toEqual([12]);
      expect(await readdir(path.dirname(current))).toContain(path.basename(current));
      expect(store.notices.map((notice) => notice.message).join()).toMatch(/CON\.json renamed/);
    },
  );
});

describe('a dataset on a read-only disk', () => {
  const readOnly: string[] = [];
  afterEach(() => {
    for (const folder of readOnly.splice(0)) makeWritable(folder);
  });

  it('keeps annotations in the app data folder, keyed by the dataset path, and says so', async (context) => {
    const root = path.join(base, 'readonly-dataset');
    const dataFolder = path.join(base, 'app-data');
    await mkdir(path.join(root, '.mer-studio', 'annotations'), { recursive: true });
    const shipped = { ...annotation('c', 4), notes: 'shipped with the dataset' };
    const shippedFile = path.join(root, '.mer-studio', 'annotations', 'ana.json');
    await writeFile(
      shippedFile,
      JSON.stringify({ schemaVersion: 1, coder: 'ana', dataset: 'x', annotations: { c: shipped } }),
    );
    if (!makeReadOnly(path.join(root, '.mer-studio')) || !makeReadOnly(root)) {
      context.skip(
        'cannot make a folder read-only here (needs chattr as root, or a non-root user)',
      );
    }
    readOnly.push(root, path.join(root, '.mer-studio'));
    const location = await resolveStorage(root, dataFolder);
    expect(location.where).toBe('app-data');
    expect(location.folder).toBe(appDataStorageFolder(root, dataFolder));
    expect(location.reason).toMatch(/cannot be written \((EPERM|EACCES|EROFS)\)/);
    const store = new AnnotationStore({ location, coder: 'ana', dataset, seedFile: shippedFile });
    expect((await store.get('c'))?.notes).toBe('shipped with the dataset');
    await store.save(annotation('c', 9));
    expect(store.file.startsWith(dataFolder)).toBe(true);
    expect(JSON.parse(await readFile(store.file, 'utf8')).annotations.c.onset).toBe(9);
    expect(JSON.parse(await readFile(shippedFile, 'utf8')).annotations.c.onset).toBe(4);
    const marker = JSON.parse(await readFile(path.join(location.folder, 'dataset.json'), 'utf8'));
    expect(marker.dataset).toBe(path.resolve(root));
  });

  it('moves to the app data folder when a save into the dataset fails as read-only', async (context) => {
    const location = await freshLocation();
    const fallback: StorageLocation = { folder: path.join(base, 'fallback'), where: 'app-data' };
    const store = new AnnotationStore({ location, coder: 'ana', dataset, fallback });
    await store.save(annotation('c', 1));
    const annotations = path.dirname(store.file);
    if (!makeReadOnly(annotations)) context.skip('cannot make a folder read-only here');
    readOnly.push(annotations);
    await store.save(annotation('c', 2));
    expect((await store.where()).where).toBe('app-data');
    expect(store.notices.at(-1)?.kind).toBe('relocated');
    expect(JSON.parse(await readFile(store.file, 'utf8')).annotations.c.onset).toBe(2);
    expect(
      JSON.parse(await readFile(path.join(annotations, 'ana.json'), 'utf8')).annotations.c.onset,
    ).toBe(1);
  });

  it('moves there with a plain word when a read-only folder holds a crashed save’s lock', async (context) => {
    const location = await freshLocation();
    const fallback: StorageLocation = {
      folder: path.join(base, 'fallback-lock'),
      where: 'app-data',
    };
    const store = new AnnotationStore({ location, coder: 'ana', dataset, fallback });
    await store.save(annotation('c', 1));
    const ended = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    const holder = { pid: Number(ended.stdout), host: os.hostname(), time: '', token: 'crashed' };
    await writeFile(lockFileOf(store.file), JSON.stringify(holder));
    const annotations = path.dirname(store.file);
    if (!makeReadOnly(annotations)) context.skip('cannot make a folder read-only here');
    readOnly.push(annotations);
    await store.save(annotation('c', 2));
    expect(store.file.startsWith(fallback.folder)).toBe(true);
    // The lock no longer matters (the saves go elsewhere): no advice to delete it.
    expect(store.notices.at(-1)?.message).toMatch(
      /^could not write into the dataset folder \((EPERM|EACCES|EROFS)\); saving to /,
    );
  });
});

it('brings clips saved in the app data folder back once the dataset folder is writable', async () => {
  const inDataset = await freshLocation();
  const appData: StorageLocation = { folder: path.join(base, 'stranded'), where: 'app-data' };
  const before = new AnnotationStore({ location: inDataset, coder: 'ana', dataset });
  await before.save({ ...annotation('c', 1), updatedAt: '2026-01-01T00:00:00.000Z' });
  await before.save(annotation('e', 7));
  // saved while the dataset folder could not be written: a newer c, a new d
  const meanwhile = new AnnotationStore({ location: appData, coder: 'ana', dataset });
  await meanwhile.save({ ...annotation('c', 2), updatedAt: '2026-02-01T00:00:00.000Z' });
  await meanwhile.save(annotation('d', 3));
  const stranded = meanwhile.file;
  const options = { location: inDataset, coder: 'ana', dataset, strandedFile: stranded };

  const after = new AnnotationStore(options);
  expect((await after.get('c'))?.onset).toBe(2);
  expect((await after.get('d'))?.onset).toBe(3);
  expect((await after.get('e'))?.onset).toBe(7);
  expect(after.unreportedNotices()).toEqual([
    expect.stringMatching(/^2 clips saved in the app data folder while the dataset folder/),
  ]);
  expect(after.unreportedNotices()).toEqual([]);
  const onDisk = JSON.parse(await readFile(after.file, 'utf8'));
  expect(Object.keys(onDisk.annotations).sort()).toEqual(['c', 'd', 'e']);
  expect(onDisk.annotations.c.onset).toBe(2);
  const setAside = await readdir(path.dirname(stranded));
  expect(setAside.some((name) => name.startsWith('ana.json.brought-back-'))).toBe(true);
  expect(setAside).not.toContain('ana.json');

  // brought back once: a later change stays, even one stamped by a clock that runs behind
  await after.save({ ...annotation('c', 5), updatedAt: '2026-01-15T00:00:00.000Z' });
  const later = new AnnotationStore(options);
  expect((await later.get('c'))?.onset).toBe(5);
  expect(later.notices).toEqual([]);
});

it('keeps in memory only what reached the disk: a failed save is not read back as saved', async () => {
  const location = await freshLocation();
  const store = new AnnotationStore({ location, coder: 'ana', dataset });
  await store.save(annotation('c', 1));
  const folder = path.dirname(store.file);
  await rename(folder, `${folder}.aside`);
  await writeFile(folder, 'a file where the annotations folder was');
  await expect(store.save(annotation('c', 2))).rejects.toThrow();
  await expect(store.save(annotation('d', 3))).rejects.toThrow();
  expect((await store.get('c'))?.onset).toBe(1);
  expect(await store.get('d')).toBeNull();
  expect(store.canUndo('d')).toBe(false);
  await rm(folder);
  await rename(`${folder}.aside`, folder);
  await store.save(annotation('d', 4));
  const onDisk = JSON.parse(await readFile(store.file, 'utf8'));
  expect(Object.keys(onDisk.annotations).sort()).toEqual(['c', 'd']);
  expect([onDisk.annotations.c.onset, onDisk.annotations.d.onset]).toEqual([1, 4]);
});

it('takes over the lock a crashed process left beside the coder file', async () => {
  const location = await freshLocation();
  const store = new AnnotationStore({ location, coder: 'ana', dataset });
  await store.save(annotation('c', 1));
  const ended = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  const holder = { pid: Number(ended.stdout), host: os.hostname(), time: '', token: 'crashed' };
  await writeFile(lockFileOf(store.file), JSON.stringify(holder));
  await store.save(annotation('c', 2));
  expect(JSON.parse(await readFile(store.file, 'utf8')).annotations.c.onset).toBe(2);
  expect(await readdir(path.dirname(store.file))).not.toContain('ana.json.lock');
});

it('fails a save that cannot take the lock, naming it, and does not read it back as saved', async () => {
  const location = await freshLocation();
  const lock = { waitMs: 50 };
  const store = new AnnotationStore({ location, coder: 'ana', dataset, lock });
  await store.save(annotation('c', 1));
  const holder = { pid: process.pid, host: os.hostname(), time: '', token: 'another store' };
  await writeFile(lockFileOf(store.file), JSON.stringify(holder));
  const refused = store.save(annotation('c', 2));
  await expect(refused).rejects.toBeInstanceOf(FileLockError);
  await expect(refused).rejects.toThrow(`${lockFileOf(store.file)}: another save of this file`);
  expect((await store.get('c'))?.onset).toBe(1);
  await rm(lockFileOf(store.file));
  await store.save(annotation('c', 3));
  expect((await store.get('c'))?.onset).toBe(3);
});

it('keeps several expressions of a clip, each saved, undone and removed on its own', async () => {
  const location = await freshLocation();
  const store = new AnnotationStore({ location, coder: 'ana', dataset });
  await store.save(annotation('c', 1));
  await store.save({ ...annotation('c', 50), expression: 2 });
  await store.save({ ...annotation('c', 90), expression: 3 });
  await store.save({ ...annotation('c', 55), expression: 2 });
  expect((await store.expressionsOf('c')).map((a) => a.onset)).toEqual([1, 55, 90]);
  expect((await store.all()).map((a) => a.onset)).toEqual([1]); // one per clip
  const onDisk = JSON.parse(await readFile(store.file, 'utf8'));
  expect(onDisk.schemaVersion).toBe(2);
  expect(Object.keys(onDisk.annotations)).toEqual(['c', 'c#expression-2', 'c#expression-3']);
  expect((await store.undo('c', 2)).annotation).toMatchObject({ onset: 50, expression: 2 });
  expect((await store.get('c'))?.onset).toBe(1);
  await store.removeExpression('c', 2);
  const left = await new AnnotationStore({ location, coder: 'ana', dataset }).expressionsOf('c');
  expect(left.map((a) => [a.onset, a.expression ?? 1])).toEqual([
    [1, 1],
    [90, 2],
  ]);
  expect(store.canUndo('c', 2)).toBe(true); // the delete
  await store.removeExpression('c', 2);
  expect(JSON.parse(await readFile(store.file, 'utf8')).schemaVersion).toBe(1);
});

const onsets = (list: ClipAnnotation[]) => list.map((a) => [a.onset, a.expression ?? 1]);

it('undoes a delete right after it, never the expression shown instead, and redoes it', async () => {
  const location = await freshLocation();
  const store = new AnnotationStore({ location, coder: 'ana', dataset });
  await store.save(annotation('c', 1));
  await store.save(annotation('c', 2)); // expression 1 has an edit of its own to undo
  await store.save({ ...annotation('c', 50, 'the second'), expression: 2 });
  await store.save({ ...annotation('c', 90), expression: 3 });
  await store.save({ ...annotation('c', 95), expression: 3 });
  await store.removeExpression('c', 3);
  // The panel now shows expression 2: undo brings the deleted one back, 2 stays as it is.
  expect(store.canUndo('c', 2)).toBe(true);
  expect(await store.undo('c', 2)).toMatchObject({ expression: 3, annotation: { onset: 95 } });
  expect(onsets(await store.expressionsOf('c'))).toEqual([
    [2, 1],
    [50, 2],
    [95, 3],
  ]);
  await store.removeExpression('c', 2);
  expect(await store.undo('c', 1)).toMatchObject({
    expression: 2,
    annotation: { onset: 50, notes: 'the second', expression: 2 },
  });
  const reread = new AnnotationStore({ location, coder: 'ana', dataset });
  expect(onsets(await reread.expressionsOf('c'))).toEqual([
    [2, 1],
    [50, 2],
    [95, 3],
  ]);
  // Redo deletes it again; undo brings it back again.
  expect(store.canRedo('c', 2)).toBe(true);
  expect(await store.redo('c', 2)).toMatchObject({ expression: 2, annotation: { onset: 95 } });
  expect(onsets(await store.expressionsOf('c'))).toEqual([
    [2, 1],
    [95, 2],
  ]);
  await store.undo('c', 2);
  // Each expression kept its own history through the moves.
  expect(await store.undo('c', 3)).toMatchObject({ expression: 3, annotation: { onset: 90 } });
  expect(await store.undo('c', 1)).toMatchObject({ expression: 1, annotation: { onset: 1 } });
  expect(onsets(await store.expressionsOf('c'))).toEqual([
    [1, 1],
    [50, 2],
    [90, 3],
  ]);
});

it('undoes an expression back to before its first save without hiding the later ones', async () => {
  const location = await freshLocation();
  const store = new AnnotationStore({ location, coder: 'ana', dataset });
  await store.save(annotation('c', 1));
  await store.save({ ...annotation('c', 50), expression: 2 });
  await store.save({ ...annotation('c', 90), expression: 3 });
  expect(await store.undo('c', 2)).toMatchObject({ expression: 2, annotation: { onset: 90 } });
  expect(onsets(await store.expressionsOf('c'))).toEqual([
    [1, 1],
    [90, 2],
  ]);
  expect(await store.redo('c', 2)).toMatchObject({ expression: 2, annotation: { onset: 50 } });
  expect(onsets(await store.expressionsOf('c'))).toEqual([
    [1, 1],
    [50, 2],
    [90, 3],
  ]);
});

it('refuses a save made on a version changed since by another window, never by its own', async () => {
  const location = await freshLocation();
  const store = new AnnotationStore({ location, coder: 'ana', dataset });
  const first = await store.save(annotation('c', 1), { revision: 0, window: 'A' });
  const theirs = await store.save(annotation('c', 2), { revision: first, window: 'B' });
  const refused = store.save(annotation('c', 3), { revision: first, window: 'A' });
  await expect(refused).rejects.toBeInstanceOf(AnnotationConflictError);
  await expect(refused).rejects.toMatchObject({
    conflict: { clipId: 'c', expression: 1, revision: theirs },
    message: expect.stringMatching(/^c was changed in another window/),
  });
  expect((await store.get('c'))?.onset).toBe(2);
  // Kept deliberately: made on the version the conflict named. Then the same window again, on
  // the basis it had before its last answer came (quick saves): never in its own way.
  const mine = await store.save(annotation('c', 3), { revision: theirs, window: 'A' });
  await store.save(annotation('c', 4), { revision: theirs, window: 'A' });
  expect((await store.get('c'))?.onset).toBe(4);
  expect(mine).toBeGreaterThan(theirs);
  // An expression added in two windows at once, and one deleted in another window.
  await store.save({ ...annotation('c', 50), expression: 2 }, { revision: 0, window: 'A' });
  await expect(
    store.save({ ...annotation('c', 60), expression: 2 }, { revision: 0, window: 'B' }),
  ).rejects.toMatchObject({ conflict: { expression: 2 } });
  const second = (await store.get('c', 2))!.revision!;
  await store.removeExpression('c', 2);
  await expect(
    store.save({ ...annotation('c', 55), expression: 2 }, { revision: second, window: 'B' }),
  ).rejects.toMatchObject({ conflict: { expression: 2, revision: 0 } });
  // Revisions are kept in the file: another process checks against them too.
  const reread = new AnnotationStore({ location, coder: 'ana', dataset });
  const stored = (await reread.get('c'))!.revision!;
  await expect(
    reread.save(annotation('c', 9), { revision: theirs, window: 'C' }),
  ).rejects.toBeInstanceOf(AnnotationConflictError);
  expect(await reread.save(annotation('c', 9), { revision: stored, window: 'C' })).toBeGreaterThan(
    stored,
  );
});

it('gives annotations from before revisions revision 1, and never reuses a revision', async () => {
  const location = await freshLocation();
  const file = path.join(location.folder, 'annotations', 'ana.json');
  await mkdir(path.dirname(file), { recursive: true });
  const legacy = { format: 'mer-studio-annotations', schemaVersion: 1, coder: 'ana', dataset: 'x' };
  await writeFile(file, JSON.stringify({ ...legacy, annotations: { c: annotation('c', 1) } }));
  const store = new AnnotationStore({ location, coder: 'ana', dataset });
  expect((await store.get('c'))?.revision).toBe(1);
  await expect(store.save(annotation('c', 2), { revision: 0, window: 'A' })).rejects.toThrow(
    AnnotationConflictError,
  );
  const saved = await store.save(annotation('c', 2), { revision: 1, window: 'A' });
  await store.removeExpression('c', 1);
  // Coded again from scratch: a window still holding the deleted version cannot save over it.
  const again = await store.save(annotation('c', 3), { revision: 0, window: 'B' });
  expect(again).toBeGreaterThan(saved);
  const onDisk = JSON.parse(await readFile(file, 'utf8'));
  expect(onDisk.lastRevision).toBe(again);
  expect(onDisk.annotations.c).toMatchObject({ revision: again, savedIn: 'B' });
});

it('keeps the previous save as the backup', async () => {
  const location = await freshLocation();
  const store = new AnnotationStore({ location, coder: 'ana', dataset });
  await store.save(annotation('c', 1));
  await store.save(annotation('c', 2));
  expect(JSON.parse(await readFile(backupOf(store.file), 'utf8')).annotations.c.onset).toBe(1);
});

it('keeps both windows’ work when two stores save the same coder’s file', async () => {
  const location = await freshLocation();
  const first = new AnnotationStore({ location, coder: 'ana', dataset });
  const second = new AnnotationStore({ location, coder: 'ana', dataset });
  await first.save(annotation('a', 1));
  await second.save(annotation('b', 2));
  await first.save(annotation('c', 3));
  await second.save(annotation('a', 4));
  const onDisk = JSON.parse(await readFile(first.file, 'utf8'));
  expect(Object.keys(onDisk.annotations).sort()).toEqual(['a', 'b', 'c']);
  expect(onDisk.annotations.a.onset).toBe(4);
});

it('reads what another store saved since, so a window never shows (and saves over) a stale copy', async () => {
  const location = await freshLocation();
  const reader = new AnnotationStore({ location, coder: 'ana', dataset });
  const writer = new AnnotationStore({ location, coder: 'ana', dataset });
  await reader.save(annotation('a', 1));
  await writer.save(annotation('a', 5));
  expect((await reader.get('a'))?.onset).toBe(5);
  await reader.save(annotation('b', 2));
  const onDisk = JSON.parse(await readFile(reader.file, 'utf8'));
  expect([onDisk.annotations.a.onset, onDisk.annotations.b.onset]).toEqual([5, 2]);
});

it('refuses an undo or redo asked on a version another window has changed since', async () => {
  const location = await freshLocation();
  const store = new AnnotationStore({ location, coder: 'ana', dataset });
  const mine = await store.save(annotation('c', 1), { revision: 0, window: 'A' });
  const blink = await store.save(annotation('c', 2), { revision: mine, window: 'A' });
  const theirs = await store.save(annotation('c', 3, 'B'), { revision: blink, window: 'B' });
  // Window A still shows its own version: its undo would silently take back B's save.
  const refused = store.undo('c', 1, { revision: blink, window: 'A', clip: [blink] });
  await expect(refused).rejects.toBeInstanceOf(AnnotationConflictError);
  await expect(refused).rejects.toMatchObject({
    conflict: { clipId: 'c', expression: 1, revision: theirs, expressions: 1 },
    message: expect.stringMatching(/changed in another window.*undo not applied/),
  });
  expect((await store.get('c'))?.notes).toBe('B');
  // Asked on the version stored now (B's), it takes B's save back; without a basis (the CLI)
  // as before.
  const undone = await store.undo('c', 1, { revision: theirs, window: 'B', clip: [theirs] });
  expect(undone.annotation?.onset).toBe(2);
  expect((await store.redo('c', 1))?.annotation?.notes).toBe('B');

  // A delete undone in a window that shows the clip's expressions as they were before another
  // window changed one of them (the step moves them all): refused.
  await store.save({ ...annotation('c', 50), expression: 2 });
  await store.save({ ...annotation('c', 90), expression: 3 });
  await store.removeExpression('c', 2);
  const [first, third] = (await store.expressionsOf('c')).map((a) => a.revision!);
  await store.save(
    { ...annotation('c', 91, 'B'), expression: 2 },
    { revision: third, window: 'B' },
  );
  const shown = { revision: first, window: 'A', clip: [first, third] };
  await expect(store.undo('c', 1, shown)).rejects.toMatchObject({
    conflict: { expression: 1, revision: first },
  });
  expect(onsets(await store.expressionsOf('c'))).toEqual([
    [3, 1],
    [91, 2],
  ]);
  // The step stays: asked on what is stored now, the deleted expression comes back.
  const now = (await store.expressionsOf('c')).map((a) => a.revision!);
  const back = await store.undo('c', 1, { revision: now[0], window: 'A', clip: now });
  expect(back.expression).toBe(2);
  expect(onsets(await store.expressionsOf('c'))).toEqual([
    [3, 1],
    [50, 2],
    [91, 3],
  ]);
});
