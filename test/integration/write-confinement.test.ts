import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppContext } from '../../src/main/app/context';
import { ResultCache } from '../../src/main/batch/cache';
import { writeDatasetSettings } from '../../src/main/dataset/settings';
import { makeCasme2 } from '../fixtures/datasets';
import { call } from '../support/dispatch';

/**
 * A dataset someone gives you may hold links in its .mer-studio folder pointing anywhere: the
 * app's writes must not go through them (they go to the app data folder instead, or fail).
 */
let base: string;
let outside: string;

beforeAll(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'mer-confinement-'));
  outside = path.join(base, 'outside');
  await mkdir(outside);
  await writeFile(path.join(outside, 'bashrc'), 'original\n');
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

const fields = {
  onset: 0,
  apex: 2,
  offset: 4,
  emotion: 'happiness',
  threeClass: 'positive' as const,
  aus: [],
  ausRaw: '',
  flags: { blink: false, occlusion: false, badFrames: false },
  notes: '',
};

async function dataset(name: string): Promise<string> {
  const root = path.join(base, name);
  await makeCasme2(root, { subjects: 1, clipsPerSubject: 1, frames: 6, firstFrame: 1 });
  return root;
}

describe('writes stay out of links in a dataset', () => {
  it('a linked .mer-studio folder: annotations and reports go to the app data folder', async () => {
    const root = await dataset('linked-storage');
    await symlink(outside, path.join(root, '.mer-studio'));
    const dataFolder = path.join(base, 'data-1');
    const ctx = new AppContext('cli', dataFolder);
    const opened = await call(ctx, 'dataset.open', { path: root });
    const clipId = opened.clips[0].id;
    const saved = await call(ctx, 'annotations.save', {
      clipId,
      fields,
      coder: 'ann',
    });
    expect(saved.file.startsWith(dataFolder + path.sep)).toBe(true);
    const report = await call(ctx, 'report.exportCsv', {
      clipIds: [clipId],
      bom: true,
      coder: 'ann',
    });
    expect(report.path.startsWith(dataFolder + path.sep)).toBe(true);
    await expect(writeDatasetSettings(root, { fps: 200 })).rejects.toThrow(/link/);
    expect(await readdir(outside)).toEqual(['bashrc']);
    await ctx.close();
  });

  it('a linked results file: the batch cache neither appends to it nor uses it', async () => {
    const root = await dataset('linked-results');
    const results = path.join(root, '.mer-studio', 'results');
    await mkdir(results, { recursive: true });
    await symlink(path.join(outside, 'bashrc'), path.join(results, 'model-x.jsonl'));
    const ctx = new AppContext('cli', path.join(base, 'data-2'));
    await call(ctx, 'dataset.open', { path: root });
    const cache = await ResultCache.open(ctx.requireDataset(), ctx.dataFolder, 'model-x', 'sha');
    expect(cache.file.startsWith(ctx.dataFolder + path.sep)).toBe(true);
    expect(await readFile(path.join(outside, 'bashrc'), 'utf8')).toBe('original\n');
    await ctx.close();
  });

  it("links in the app's own data folder are the user's and followed", async () => {
    const root = await dataset('linked-app-data');
    await mkdir(path.join(root, '.mer-studio'), { recursive: true });
    await symlink(outside, path.join(root, '.mer-studio', 'results'));
    const dataFolder = path.join(base, 'data-5');
    const elsewhere = path.join(base, 'big-disk');
    await mkdir(dataFolder);
    await mkdir(elsewhere);
    await symlink(elsewhere, path.join(dataFolder, 'results'));
    const ctx = new AppContext('cli', dataFolder);
    await call(ctx, 'dataset.open', { path: root });
    const cache = await ResultCache.open(ctx.requireDataset(), dataFolder, 'model-x', 'sha');
    expect(cache.file.startsWith(path.join(dataFolder, 'results') + path.sep)).toBe(true);
    expect(await readdir(elsewhere)).toHaveLength(1);
    await ctx.close();
  });

  it('a linked annotations folder inside .mer-studio: the save goes to the app data folder', async () => {
    const root = await dataset('linked-annotations');
    await mkdir(path.join(root, '.mer-studio'));
    await symlink(outside, path.join(root, '.mer-studio', 'annotations'));
    const dataFolder = path.join(base, 'data-3');
    const ctx = new AppContext('cli', dataFolder);
    const opened = await call(ctx, 'dataset.open', { path: root });
    const saved = await call(ctx, 'annotations.save', {
      clipId: opened.clips[0].id,
      fields,
      coder: 'ann',
    });
    expect(saved.file.startsWith(dataFolder + path.sep)).toBe(true);
    expect(await readdir(outside)).toEqual(['bashrc']);
    await ctx.close();
  });

  it('a damaged file of the dataset is named once, without quoting what it holds', async () => {
    const root = await dataset('damaged-import');
    await mkdir(path.join(root, '.mer-studio', 'imported'), { recursive: true });
    await writeFile(path.join(root, '.mer-studio', 'imported', 'x.json'), 'SECRET_API_KEY=abc\n');
    const ctx = new AppContext('cli', path.join(base, 'data-4'));
    const opened = await call(ctx, 'dataset.open', { path: root });
    const named = opened.problems.filter((problem) => problem.path?.endsWith('x.json'));
    expect(named).toHaveLength(1);
    expect(named[0].message).toMatch(/not readable JSON/);
    expect(JSON.stringify(opened.problems)).not.toMatch(/SECRET/);
    await ctx.close();
  });
});
