import { spawnSync } from 'node:child_process';
import { accessSync, chmodSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  makeCasme2,
  makeCasme3A,
  makeSamm,
  makeSmicHs,
  tinyJpeg,
} from '../../../test/fixtures/datasets';
import { clipSpanMs, type DatasetIndex } from '../../shared/domain';
import { generateDemoDataset } from './demo/generate';
import { SETTINGS_FILE, openDataset, writeDatasetSettings } from './index';

const isRoot = process.getuid?.() === 0;

/**
 * Makes a folder read-only even for root (who ignores permission bits): the immutable attribute
 * where chattr works, else chmod. Returns the undo.
 */
function makeReadOnly(dir: string): () => void {
  if (!isRoot) {
    chmodSync(dir, 0o555);
    return () => chmodSync(dir, 0o755);
  }
  spawnSync('chattr', ['+i', dir]);
  return () => spawnSync('chattr', ['-i', dir]);
}

const readOnlyWorks = (() => {
  const probe = mkdtempSync(path.join(os.tmpdir(), 'mer-ro-'));
  const undo = makeReadOnly(probe);
  let works = false;
  try {
    accessSync(probe, constants.W_OK);
  } catch {
    works = true;
  }
  undo();
  rmSync(probe, { recursive: true, force: true });
  return works;
})();
let base: string;
const small = { subjects: 2, clipsPerSubject: 3, frames: 4, firstFrame: 46 };

beforeAll(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'mer-loaders-'));
  await makeCasme2(path.join(base, 'CASME2', 'CASME2_RAW_selected'), small);
  await makeCasme2(path.join(base, 'CASME2', 'Cropped'), small, true);
  await makeSamm(path.join(base, 'SAMM'), small);
  await makeSmicHs(path.join(base, 'SMIC', 'HS'), small);
  await makeCasme3A(path.join(base, 'part_A', 'data', 'part_A'), small);
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

const at = (...parts: string[]) => path.join(base, ...parts);
const messages = (dataset: DatasetIndex) => dataset.problems.map((p) => p.message).join('\n');

describe('dataset layouts', () => {
  it('opens CASME II raw with its subjects, clip ids, frame numbers and 200 fps', async () => {
    const dataset = await openDataset(at('CASME2', 'CASME2_RAW_selected'));
    expect(dataset.kind).toBe('casme2');
    expect(dataset.fps).toBe(200);
    expect(dataset.subjects).toEqual(['sub01', 'sub02']);
    expect(dataset.clips.map((c) => c.id)).toContain('sub01/EP02_01f');
    const clip = dataset.clips.find((c) => c.id === 'sub01/EP02_01f');
    expect(clip).toMatchObject({
      subject: 'sub01',
      name: 'EP02_01f',
      fps: 200,
      frameCount: 4,
      width: 16,
      height: 12,
    });
    expect(clip?.frameNumbers).toEqual([46, 47, 48, 49]);
    expect(clip?.source).toMatchObject({ kind: 'images', dir: path.join('sub01', 'EP02_01f') });
    expect(dataset.problems).toEqual([]);
  });

  it('finds CASME II from the folder above (raw preferred, cropped mentioned) and from a subject folder', async () => {
    const above = await openDataset(at('CASME2'));
    expect(above.kind).toBe('casme2');
    expect(above.root).toBe(at('CASME2', 'CASME2_RAW_selected'));
    expect(messages(above)).toMatch(/cropped.*also found/i);
    const subject = await openDataset(at('CASME2', 'CASME2_RAW_selected', 'sub02'));
    expect(subject.root).toBe(at('CASME2', 'CASME2_RAW_selected'));
    expect(subject.clips).toHaveLength(6);
    expect(messages(subject)).toMatch(/sub02 is inside a CASME II dataset/);
    const clip = await openDataset(at('SMIC', 'HS', 's2', 'micro', 'positive', 's2_po_02'));
    expect(clip.kind).toBe('smic-hs');
    expect(clip.root).toBe(at('SMIC', 'HS'));
  });

  it('opens the cropped CASME II set (reg_img frames)', async () => {
    const dataset = await openDataset(at('CASME2', 'Cropped'));
    expect(dataset.kind).toBe('casme2-cropped');
    expect(dataset.clips[0].source).toMatchObject({
      files: ['reg_img46.jpg', 'reg_img47.jpg', 'reg_img48.jpg', 'reg_img49.jpg'],
    });
  });

  it('opens SAMM with 3-digit subjects and 5-digit frame numbers', async () => {
    const dataset = await openDataset(at('SAMM'));
    expect(dataset.kind).toBe('samm');
    expect(dataset.fps).toBe(200);
    expect(dataset.subjects).toEqual(['006', '007']);
    expect(dataset.clips[0]).toMatchObject({ id: '006/006_1_2', frameNumbers: [46, 47, 48, 49] });
  });

  it('opens SMIC-HS with labels from the folders and 100 fps, from HS or the folder above', async () => {
    for (const folder of [at('SMIC', 'HS'), at('SMIC')]) {
      const dataset = await openDataset(folder);
      expect(dataset.kind).toBe('smic-hs');
      expect(dataset.fps).toBe(100);
      expect(dataset.subjects).toEqual(['s1', 's2']);
      const clip = dataset.clips.find((c) => c.id === 's1/s1_ne_01');
      expect(clip).toMatchObject({
        folderEmotion: 'negative',
        frameCount: 4,
        width: 16,
        height: 12,
      });
      expect(new Set(dataset.clips.map((c) => c.folderEmotion))).toEqual(
        new Set(['negative', 'positive', 'surprise']),
      );
      // The folder is the dataset's own label: the truth a batch scores against.
      expect(dataset.official['s1/s1_ne_01']).toMatchObject({
        threeClass: 'negative',
        onset: null,
        apex: null,
        coder: 'dataset folder',
      });
      expect(Object.keys(dataset.official)).toHaveLength(dataset.clips.length);
    }
  });

  it('opens CAS(ME)^3 part A from part_A (two levels above), colour frames only, 30 fps', async () => {
    const dataset = await openDataset(at('part_A'));
    expect(dataset.kind).toBe('casme3-a');
    expect(dataset.root).toBe(at('part_A', 'data', 'part_A'));
    expect(dataset.fps).toBe(30);
    expect(dataset.subjects).toEqual(['spNO.1', 'spNO.2']);
    const clip = dataset.clips.find((c) => c.id === 'spNO.1/b');
    expect(clip?.source).toMatchObject({ kind: 'images', dir: path.join('spNO.1', 'b', 'color') });
    expect(clip?.frameCount).toBe(4);
  });

  it('loads several datasets side by side as one composite, each clip with its own fps', async () => {
    const dataset = await openDataset(base);
    const fpsOf = (id: string) => dataset.clips.find((c) => c.id === id)?.fps;
    expect(fpsOf('sub01/EP02_01f')).toBe(200);
    expect(fpsOf('s1/s1_ne_01')).toBe(100);
    expect(fpsOf('spNO.1/a')).toBe(30);
    expect(dataset.clips).toHaveLength(24);
    expect(dataset.kind).toBe('composite');
    const sourceOf = (id: string) => dataset.clips.find((c) => c.id === id)?.sourceKind;
    expect([sourceOf('sub01/EP02_01f'), sourceOf('s1/s1_ne_01'), sourceOf('spNO.1/a')]).toEqual([
      'casme2',
      'smic-hs',
      'casme3-a',
    ]);
    const smic = dataset.clips.find((c) => c.id === 's1/s1_ne_01');
    expect(smic?.source).toMatchObject({
      dir: path.join('SMIC', 'HS', 's1', 'micro', 'negative', 's1_ne_01'),
    });
  });

  it('keeps the demo layout (mer-demo.json) with its official annotations', async () => {
    const dir = at('demo');
    await generateDemoDataset(dir, {
      subjects: 1,
      clipsPerSubject: 2,
      framesPerClip: 20,
      width: 64,
      height: 64,
    });
    const dataset = await openDataset(dir);
    expect(dataset.kind).toBe('demo');
    expect(dataset.clips).toHaveLength(2);
    const id = dataset.clips[0].id;
    expect(dataset.official[id]).toMatchObject({ clipId: id, coder: 'demo generator' });
    expect(dataset.clips[0].folderEmotion).toBeTruthy();
    expect(messages(dataset)).not.toContain('older demo generator');

    const manifestPath = path.join(dir, 'mer-demo.json');
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
    await writeFile(manifestPath, JSON.stringify({ ...manifest, version: undefined }));
    const old = await openDataset(dir);
    expect(old.clips).toHaveLength(2);
    expect(old.problems).toContainEqual(
      expect.objectContaining({
        severity: 'warning',
        path: 'mer-demo.json',
        message: expect.stringContaining('older demo generator (version 1, now'),
      }),
    );
  });
});

describe('generic folders', () => {
  it('sorts frames numerically (img9 before img10) and reports gaps', async () => {
    const clip = at('generic-gaps', 'clipA');
    await mkdir(clip, { recursive: true });
    for (const n of [1, 2, 9, 10, 11, 14])
      await writeFile(path.join(clip, `img${n}.jpg`), await tinyJpeg(n));
    await writeFile(path.join(clip, 'notes.txt'), 'not a frame');
    await writeFile(path.join(clip, 'img02.jpg'), await tinyJpeg(2));
    const dataset = await openDataset(at('generic-gaps'));
    expect(dataset.kind).toBe('generic');
    expect(dataset.fps).toBe(30);
    const [only] = dataset.clips;
    expect(only.frameNumbers).toEqual([1, 2, 9, 10, 11, 14]);
    expect(only.source).toMatchObject({
      files: ['img1.jpg', 'img02.jpg', 'img9.jpg', 'img10.jpg', 'img11.jpg', 'img14.jpg'],
    });
    expect(messages(dataset)).toContain(
      '8 frame number(s) missing between 1 and 14: 3, 4, 5, 6, 7, 8, 12, 13; times and ' +
        'durations follow the file numbers',
    );
    // The frames after a gap were captured later than their index says (30 fps).
    expect(only.frameTimesMs?.map((ms) => Math.round(ms))).toEqual([0, 33, 267, 300, 333, 433]);
    expect(clipSpanMs(only, 1, 2)).toBeCloseTo(7000 / 30, 6);
    expect(messages(dataset)).toContain(
      '1 file(s) carry a frame number another file already has; kept the first by name, left out: img2.jpg',
    );
  });

  it('takes subject folders of clip folders, a folder of frames opened on its own, and reports empty clips', async () => {
    for (const [subject, clip] of [
      ['alice', 'take1'],
      ['alice', 'take2'],
      ['bob', 'take1'],
    ]) {
      const dir = at('generic-subjects', subject, clip);
      await mkdir(dir, { recursive: true });
      for (let n = 0; n < 3; n++)
        await writeFile(path.join(dir, `frame_${n}.png`), await tinyJpeg(n));
    }
    await mkdir(at('generic-subjects', 'bob', 'empty'), { recursive: true });
    const dataset = await openDataset(at('generic-subjects'));
    expect(dataset.clips.map((c) => c.id)).toEqual(['alice/take1', 'alice/take2', 'bob/take1']);
    expect(dataset.subjects).toEqual(['alice', 'bob']);
    expect(dataset.problems).toContainEqual(
      expect.objectContaining({
        clipId: 'bob/empty',
        message: expect.stringMatching(/no numbered frame images/),
      }),
    );
    const single = await openDataset(at('generic-subjects', 'alice', 'take2'));
    expect(single.clips).toHaveLength(1);
    expect(single.clips[0]).toMatchObject({ id: 'take2/take2', frameCount: 3 });
  });

  it('leaves out names that are not UTF-8 and folders it cannot enter, and loads the rest', async () => {
    const root = at('generic-odd');
    const good = path.join(root, 'clip with spaces é');
    await mkdir(good, { recursive: true });
    for (let n = 1; n <= 3; n++) await writeFile(path.join(good, `img${n}.jpg`), await tinyJpeg(n));
    const badName = Buffer.concat([
      Buffer.from(path.join(good, 'img')),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('4.jpg'),
    ]);
    await writeFile(badName, await tinyJpeg(4));
    await symlink('loop', path.join(root, 'loop'));
    const dataset = await openDataset(root);
    expect(dataset.clips.map((c) => c.id)).toEqual(['clip with spaces é/clip with spaces é']);
    expect(dataset.clips[0].frameCount).toBe(3);
    expect(messages(dataset)).toMatch(/not valid UTF-8/);
    expect(messages(dataset)).toMatch(/link cannot be followed/);
  });

  it.skipIf(isRoot)(
    'reports a folder without read permission (skipped as root: root reads anything)',
    async () => {
      const root = at('generic-locked');
      for (const clip of ['open', 'locked']) {
        await mkdir(path.join(root, clip), { recursive: true });
        await writeFile(path.join(root, clip, 'img1.jpg'), await tinyJpeg(1));
      }
      await chmod(path.join(root, 'locked'), 0o000);
      try {
        const dataset = await openDataset(root);
        expect(dataset.clips.map((c) => c.id)).toEqual(['open/open']);
        expect(messages(dataset)).toMatch(/cannot read folder \(permission denied\)/);
      } finally {
        await chmod(path.join(root, 'locked'), 0o755);
      }
    },
  );

  it('says clearly when a folder holds no clips', async () => {
    await mkdir(at('nothing-here', 'empty'), { recursive: true });
    await expect(openDataset(at('nothing-here'))).rejects.toThrow(/no clips found/);
    await expect(openDataset(at('does-not-exist'))).rejects.toThrow(/not a folder/);
    await mkdir(at('only-broken-video', 'subject'), { recursive: true });
    await writeFile(at('only-broken-video', 'subject', 'take.mov'), 'not a video');
    await expect(openDataset(at('only-broken-video'))).rejects.toThrow(
      /no clips found.*subject\/take\.mov: cannot read video: not a video ffmpeg can read/,
    );
  });
});

describe('frame rate overrides', () => {
  it('reads <dataset>/.mer-studio/dataset.json, and options win over it', async () => {
    const root = at('SAMM');
    await writeDatasetSettings(root, {
      fps: 120,
      clips: { '006/006_1_2': { fps: 100 }, 'nope/x': { fps: 5 } },
    });
    expect(JSON.parse(await readFile(path.join(root, SETTINGS_FILE), 'utf8'))).toMatchObject({
      fps: 120,
    });
    const dataset = await openDataset(root);
    expect(dataset.fps).toBe(120);
    expect(dataset.clips.find((c) => c.id === '006/006_1_2')?.fps).toBe(100);
    expect(dataset.clips.find((c) => c.id === '007/007_1_2')?.fps).toBe(120);
    expect(messages(dataset)).toMatch(
      /frame rate set for clip nope\/x, which is not in the dataset/,
    );
    const overridden = await openDataset(root, { fps: 250, clipFps: { '007/007_1_2': 90 } });
    expect(overridden.fps).toBe(250);
    expect(overridden.clips.find((c) => c.id === '007/007_1_2')?.fps).toBe(90);
    expect(overridden.clips.find((c) => c.id === '006/006_1_2')?.fps).toBe(100);
    await rm(path.join(root, '.mer-studio'), { recursive: true });
  });

  it('ignores a broken settings file with a message and uses the defaults', async () => {
    const root = at('SMIC', 'HS');
    await mkdir(path.join(root, '.mer-studio'), { recursive: true });
    await writeFile(path.join(root, SETTINGS_FILE), '{"fps": -3}');
    const dataset = await openDataset(root);
    expect(dataset.fps).toBe(100);
    expect(messages(dataset)).toMatch(/ignored, using defaults: fps: /);
    await writeFile(path.join(root, SETTINGS_FILE), '{not json');
    expect(messages(await openDataset(root))).toMatch(/not valid JSON/);
    await rm(path.join(root, '.mer-studio'), { recursive: true });
  });

  it.skipIf(!readOnlyWorks)(
    'says so when the dataset folder is read-only, and still loads',
    async () => {
      const root = at('CASME2', 'Cropped');
      const undo = makeReadOnly(root);
      try {
        const dataset = await openDataset(root);
        expect(dataset.fps).toBe(200);
        expect(dataset.clips).toHaveLength(6);
        expect(messages(dataset)).toMatch(
          /dataset folder is read-only.*using the default frame rates/,
        );
        await expect(writeDatasetSettings(root, { fps: 100 })).rejects.toThrow(/read-only/);
      } finally {
        undo();
      }
    },
  );
});
