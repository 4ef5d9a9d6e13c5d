import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachImportedAnnotations } from '../../src/main/annotations/imported';
import { AppContext } from '../../src/main/app/context';
import { dispatch } from '../../src/main/app/handlers';
import { makeCasme2, makeCasme3A } from '../fixtures/datasets';
import { call } from '../support/dispatch';
import { makeReadOnly, makeWritable } from '../support/read-only';

let base: string;
let casme2: string;
let casme3: string;
const small = { subjects: 2, clipsPerSubject: 3, frames: 6, firstFrame: 46 };

beforeAll(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'mer-annotation-handlers-'));
  casme2 = path.join(base, 'CASME2_RAW_selected');
  casme3 = path.join(base, 'part_A');
  await makeCasme2(casme2, small);
  await makeCasme3A(casme3, { ...small, firstFrame: 1, frames: 12 });
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

/** What the lead's dataset.open will do: open, then attach the saved imports. */
async function open(root: string, dataFolder: string): Promise<AppContext> {
  const ctx = new AppContext('cli', dataFolder);
  await call(ctx, 'dataset.open', { path: root });
  await attachImportedAnnotations(ctx.requireDataset(), dataFolder);
  return ctx;
}

const SHEET =
  'Subject,Filename,OnsetFrame,ApexFrame,OffsetFrame,Action Units,Estimated Emotion\n' +
  '01,EP02_01f,46,48,51,L12+R14,happiness\n' +
  '02,EP03_02f,47,49,50,4,disgust\n' +
  '02,EP03_02f,47,49,50,4,disgust\n' +
  '09,EP99_01,1,2,3,4,fear\n';

describe('annotation requests through the handler table', () => {
  let ctx: AppContext;
  let dataFolder: string;
  let sheet: string;

  beforeAll(async () => {
    dataFolder = path.join(base, 'app-data');
    sheet = path.join(base, 'coding.csv');
    await writeFile(sheet, SHEET);
    ctx = await open(casme2, dataFolder);
  });

  it('previews a file for the mapping step', async () => {
    const preview = await call(ctx, 'annotations.importPreview', { file: sheet });
    expect(preview).toMatchObject({ format: 'casme2', headerRow: 1 });
    expect(preview.suggested).toMatchObject({
      subject: 'Subject',
      clip: 'Filename',
      onset: 'OnsetFrame',
    });
    expect(preview.rows[0]).toEqual(['01', 'EP02_01f', '46', '48', '51', 'L12+R14', 'happiness']);
  });

  it('imports into the dataset’s imported sets, reports rejects, and shows it as official', async () => {
    const report = await call(ctx, 'annotations.import', { file: sheet });
    expect(report).toMatchObject({ rowsRead: 4, rowsAccepted: 3, rowsMatched: 2, clipsMatched: 2 });
    expect(report.rejected.map((row) => row.reason)).toEqual([
      'duplicate row: duplicate of row 3',
      "unknown clip: no clip 'EP99_01' of subject '09' in CASME2_RAW_selected",
    ]);
    expect(report.saved).toMatchObject({ where: 'dataset', replaced: null, id: 'coding.csv' });
    expect(report.saved?.file).toBe(
      path.join(casme2, '.mer-studio', 'imported', 'coding.csv.json'),
    );
    const got = await call(ctx, 'annotations.get', { clipId: 'sub01/EP02_01f' });
    expect(got.own).toBeNull();
    expect(got.imported).toMatchObject({
      onset: 0,
      apex: 2,
      offset: 5,
      emotion: 'happiness',
      threeClass: 'positive',
    });
    expect(got.imported?.coder).toBe('imported: coding.csv');
    const sets = await call(ctx, 'annotations.imports', {});
    expect(sets.map((set) => set.clipIds)).toEqual([['sub01/EP02_01f', 'sub02/EP03_02f']]);
  });

  it('saves a coder’s own annotation apart from the import, with undo and redo', async () => {
    const fields = {
      onset: 1,
      apex: 2,
      offset: 4,
      emotion: 'happiness',
      threeClass: 'positive' as const,
      aus: [{ au: 12, raw: '12' }],
      ausRaw: '12',
      flags: { blink: true, occlusion: false, badFrames: false },
      notes: 'mine',
    };
    const elsewhere = { clipId: 'sub01/EP02_01f', fields, datasetRoot: '/another/dataset' };
    await expect(call(ctx, 'annotations.save', elsewhere)).rejects.toThrow(
      /made in \/another\/dataset, which is no longer open; it was not saved here/,
    );
    const saved = await call(ctx, 'annotations.save', {
      clipId: 'sub01/EP02_01f',
      fields,
      datasetRoot: casme2,
    });
    expect(saved.where).toBe('dataset');
    expect(saved.file).toBe(path.join(casme2, '.mer-studio', 'annotations', 'coder1.json'));
    await call(ctx, 'annotations.save', {
      clipId: 'sub01/EP02_01f',
      fields: { ...fields, apex: 3 },
    });
    const got = await call(ctx, 'annotations.get', { clipId: 'sub01/EP02_01f' });
    expect(got.own?.apex).toBe(3);
    expect(got.imported?.apex).toBe(2);
    expect(got.canUndo).toBe(true);
    expect(
      (await call(ctx, 'annotations.undo', { clipId: 'sub01/EP02_01f' })).annotation?.apex,
    ).toBe(2);
    const redone = await call(ctx, 'annotations.redo', { clipId: 'sub01/EP02_01f' });
    expect(redone).toMatchObject({ canUndo: true, canRedo: false });
    expect(redone.annotation?.apex).toBe(3);
    const location = await call(ctx, 'annotations.location', {});
    expect(location).toMatchObject({ where: 'dataset', folder: path.join(casme2, '.mer-studio') });
  });

  it('re-importing the same source replaces that import only and says so', async () => {
    await writeFile(sheet, SHEET.replace('01,EP02_01f,46,48,51', '01,EP02_01f,46,47,51'));
    const report = await call(ctx, 'annotations.import', { file: sheet });
    expect(report.saved?.replaced).toMatchObject({ rowsAccepted: 3 });
    const got = await call(ctx, 'annotations.get', { clipId: 'sub01/EP02_01f' });
    expect(got.imported?.apex).toBe(1);
    expect(got.own?.apex).toBe(3);
    const own = JSON.parse(
      await readFile(path.join(casme2, '.mer-studio', 'annotations', 'coder1.json'), 'utf8'),
    );
    expect(Object.keys(own.annotations)).toEqual(['sub01/EP02_01f']);
  });

  it('lists the clips a composite list names, as a filter, without importing it', async () => {
    const list = path.join(base, 'gt.csv');
    await writeFile(list, 'casme2,sub02,EP03_02f,0\nsamm,6,006_1_2,0\ncasme2,sub01,EP99_99,1\n');
    const before = await call(ctx, 'annotations.imports', {});
    const membership = await call(ctx, 'annotations.membership', { file: list });
    expect(membership.clipIds).toEqual(['sub02/EP03_02f']);
    expect(membership.rowsRead).toBe(3);
    expect(membership.rejected.map((row) => row.reason.split(':')[0])).toEqual([
      'other database',
      'unknown clip',
    ]);
    expect(await call(ctx, 'annotations.imports', {})).toEqual(before);
  });

  it('keeps a damaged earlier import aside and refuses to replace one from a newer version', async () => {
    const saved = path.join(casme2, '.mer-studio', 'imported', 'coding.csv.json');
    const good = await readFile(saved, 'utf8');
    await writeFile(saved, '{"format": "mer-studio-import", "schem');
    const report = await call(ctx, 'annotations.import', { file: sheet });
    expect(report.saved?.replaced).toBeNull();
    expect(report.warnings.join('\n')).toMatch(
      /not readable JSON.*kept aside as .*coding\.csv\.json\.damaged-/,
    );
    const newer = JSON.stringify({ ...JSON.parse(good), schemaVersion: 99 });
    await writeFile(saved, newer);
    const reply = await dispatch(ctx, 'annotations.import', { file: sheet });
    expect(!reply.ok && reply.error.message).toMatch(/newer MER Studio \(import schema 99\)/);
    expect(await readFile(saved, 'utf8')).toBe(newer);
    await writeFile(saved, good);
  });

  it('switches coders and lists them', async () => {
    await call(ctx, 'annotations.setCoder', { coder: 'ben' });
    expect((await call(ctx, 'annotations.get', { clipId: 'sub01/EP02_01f' })).own).toBeNull();
    expect(await call(ctx, 'annotations.coders', {})).toEqual({
      current: 'ben',
      coders: ['ben', 'coder1'],
    });
    await expect(call(ctx, 'annotations.setCoder', { coder: 'Coder1' })).rejects.toThrow(
      /differs from the coder "coder1" only in letter case/,
    );
    await call(ctx, 'annotations.setCoder', { coder: 'coder1' });
  });

  it('loads the saved imports when the dataset is opened again', async () => {
    const again = await open(casme2, dataFolder);
    expect(again.requireDataset().official['sub02/EP03_02f']).toMatchObject({
      onset: 1,
      apex: 3,
      offset: 4,
    });
    expect((await call(again, 'annotations.get', { clipId: 'sub01/EP02_01f' })).own?.apex).toBe(3);
  });

  it('does not keep an import that names no clip of the dataset', async () => {
    const other = path.join(base, 'other-dataset.csv');
    await writeFile(other, SHEET.split('\n')[0] + '\n09,EP99_01,1,2,3,4,fear\n');
    const before = (await call(ctx, 'annotations.imports', {})).length;
    const report = await call(ctx, 'annotations.import', { file: other });
    expect([report.rowsMatched, report.saved]).toEqual([0, undefined]);
    expect(report.warnings).toContain('Not saved: it would add nothing to this dataset.');
    expect(await call(ctx, 'annotations.imports', {})).toHaveLength(before);
  });

  it('answers bad files with a message naming the file', async () => {
    const reply = await dispatch(ctx, 'annotations.import', { file: path.join(base, 'nope.csv') });
    expect(reply).toMatchObject({ ok: false, error: { code: 'failed' } });
    expect(!reply.ok && reply.error.message).toMatch(/nope\.csv: cannot open \(ENOENT\)/);
    const badMap = await dispatch(ctx, 'annotations.import', {
      file: sheet,
      mapping: { clip: 'Clip' },
    });
    expect(!badMap.ok && badMap.error.message).toMatch(
      /no column named clip → 'Clip'; the header row has: 'Subject'/,
    );
  });
});

describe('two windows saving the same expression', () => {
  it('refuses a save made on a version another window changed since, as a conflict naming the clip', async () => {
    const root = path.join(base, 'conflicts', 'CASME2_RAW_selected');
    await makeCasme2(root, small);
    const ctx = await open(root, path.join(base, 'app-data-conflicts'));
    const clipId = 'sub02/EP03_02f';
    const fields = {
      onset: 1,
      apex: 2,
      offset: 3,
      emotion: null,
      threeClass: null,
      aus: [],
      ausRaw: '',
      flags: { blink: false, occlusion: false, badFrames: false },
      notes: '',
    };
    const first = await call(ctx, 'annotations.save', {
      clipId,
      fields,
      basedOn: { revision: 0, window: 'window-a' },
    });
    // Two quick saves of the same window: the second need not wait for the first's revision.
    await call(ctx, 'annotations.save', {
      clipId,
      fields: { ...fields, notes: 'a' },
      basedOn: { revision: 0, window: 'window-a' },
    });
    const loaded = await call(ctx, 'annotations.get', { clipId });
    expect(loaded.own?.revision).toBeGreaterThan(first.revision);
    const b = await call(ctx, 'annotations.save', {
      clipId,
      fields: { ...fields, notes: 'b' },
      basedOn: { revision: loaded.own!.revision!, window: 'window-b' },
    });
    const refused = await dispatch(ctx, 'annotations.save', {
      clipId,
      fields: { ...fields, notes: 'a, later' },
      basedOn: { revision: loaded.own!.revision!, window: 'window-a' },
    });
    expect(refused).toMatchObject({
      ok: false,
      error: { code: 'conflict', conflict: { clipId, expression: 1, revision: b.revision } },
    });
    expect(!refused.ok && refused.error.message).toMatch(
      /^sub02\/EP03_02f was changed in another window/,
    );
    expect((await call(ctx, 'annotations.get', { clipId })).own?.notes).toBe('b');
    // Saved over it deliberately (made on the version the conflict named), and without a basis.
    await call(ctx, 'annotations.save', {
      clipId,
      fields: { ...fields, notes: 'a, kept' },
      basedOn: { revision: b.revision, window: 'window-a' },
    });
    await call(ctx, 'annotations.save', { clipId, fields: { ...fields, notes: 'cli' } });
    expect((await call(ctx, 'annotations.get', { clipId })).own?.notes).toBe('cli');
    const badBasis = await dispatch(ctx, 'annotations.save', {
      clipId,
      fields,
      basedOn: { revision: -1, window: '' },
    });
    expect(badBasis).toMatchObject({ ok: false, error: { code: 'bad-request' } });
  });
});

describe('CAS(ME)^3 clips with several expressions', () => {
  it('keeps every expression of a clip and makes the first by onset the official one', async () => {
    const ctx = await open(casme3, path.join(base, 'app-data-3'));
    const file = path.join(base, 'casme3.csv');
    await writeFile(
      file,
      'Subject,Filename,Onset,Apex,Offset,AU,Objective class,emotion\n' +
        'spNO.1,b,7,8,10,R12,I,happy\n' +
        'spNO.1,b,2,3,5,4,III,disgust\n' +
        'spNO.2,a,1,2,3,5,II,others\n',
    );
    const report = await call(ctx, 'annotations.import', { file });
    expect(report).toMatchObject({ format: 'casme3', rowsMatched: 3, clipsMatched: 2 });
    expect(report.warnings.join('\n')).toMatch(/1 clips hold more than one expression/);
    const got = await call(ctx, 'annotations.get', { clipId: 'spNO.1/b' });
    expect(got.importedAll.map((a) => [a.onset, a.emotion])).toEqual([
      [1, 'disgust'],
      [6, 'happy'],
    ]);
    expect(got.imported?.emotion).toBe('disgust');
    // The same sheet imported again under another name: each expression still counts once.
    const copy = path.join(base, 'casme3-copy.csv');
    await writeFile(copy, await readFile(file, 'utf8'));
    await call(ctx, 'annotations.import', { file: copy });
    const again = await call(ctx, 'annotations.get', { clipId: 'spNO.1/b' });
    expect(again.importedAll.map((a) => a.onset)).toEqual([1, 6]);
    // A label without frames for the clip (as the composite list gives) is not a third one.
    const labels = path.join(base, 'labels-only.csv');
    await writeFile(labels, 'Subject,Filename,emotion\nspNO.1,b,happy\n');
    await call(ctx, 'annotations.import', { file: labels });
    const labelled = await call(ctx, 'annotations.get', { clipId: 'spNO.1/b' });
    expect(labelled.importedAll.map((a) => a.onset)).toEqual([1, 6]);
  });
});

describe('a read-only dataset', () => {
  it('keeps annotations and imports in the app data folder and finds them again', async (context) => {
    const root = path.join(base, 'ro', 'CASME2_RAW_selected');
    await makeCasme2(root, { ...small, subjects: 1, clipsPerSubject: 1 });
    if (!makeReadOnly(root)) context.skip('cannot make a folder read-only here');
    try {
      const dataFolder = path.join(base, 'app-data-ro');
      const ctx = await open(root, dataFolder);
      const location = await call(ctx, 'annotations.location', {});
      expect(location.where).toBe('app-data');
      expect(location.reason).toMatch(/cannot be written/);
      expect(location.folder.startsWith(dataFolder)).toBe(true);
      const sheet = path.join(base, 'ro-sheet.csv');
      await writeFile(
        sheet,
        'Subject,Filename,OnsetFrame,ApexFrame,OffsetFrame\n01,EP02_01f,46,47,48\n',
      );
      const report = await call(ctx, 'annotations.import', { file: sheet });
      expect(report.saved?.where).toBe('app-data');
      const fields = {
        onset: 0,
        apex: 1,
        offset: 2,
        emotion: null,
        threeClass: null,
        aus: [],
        ausRaw: '',
        notes: '',
        flags: { blink: false, occlusion: false, badFrames: false },
      };
      const saved = await call(ctx, 'annotations.save', { clipId: 'sub01/EP02_01f', fields });
      expect(saved.where).toBe('app-data');
      const again = await open(root, dataFolder);
      expect(again.requireDataset().official['sub01/EP02_01f']).toMatchObject({ apex: 1 });
      expect((await call(again, 'annotations.get', { clipId: 'sub01/EP02_01f' })).own?.offset).toBe(
        2,
      );
    } finally {
      makeWritable(root);
    }
  });
});
