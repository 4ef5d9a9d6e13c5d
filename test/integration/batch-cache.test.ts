import { appendFile, mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Clip, DatasetIndex } from '../../src/shared/domain';
import { inputKey, ResultCache, type CachedResult } from '../../src/main/batch/cache';

let root: string;
let dataFolder: string;
let dataset: DatasetIndex;
const clip: Clip = {
  id: 's1/c1',
  subject: 's1',
  name: 'c1',
  fps: 200,
  frameCount: 3,
  source: { kind: 'images', dir: 's1/c1', files: ['img1.jpg', 'img2.jpg', 'img3.jpg'] },
  problems: [],
};

function result(key: string): Omit<CachedResult, 'modelSha256'> {
  return {
    key,
    clipId: clip.id,
    onset: 0,
    apex: 2,
    apexSource: 'annotated',
    status: 'ok',
    reasons: [],
    probabilities: { negative: 0.5, positive: 0.3, surprise: 0.2 },
    provider: 'cpu',
    timings: {},
    finishedAt: new Date().toISOString(),
  };
}

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'mer-cache-'));
  dataFolder = await mkdtemp(path.join(os.tmpdir(), 'mer-cache-data-'));
  await mkdir(path.join(root, 's1', 'c1'), { recursive: true });
  for (const file of clip.source.kind === 'images' ? clip.source.files : []) {
    await writeFile(path.join(root, 's1', 'c1', file), `frame ${file}`);
  }
  dataset = {
    root,
    kind: 'generic',
    name: 'cache-test',
    fps: 200,
    subjects: ['s1'],
    clips: [clip],
    problems: [],
    official: {},
  };
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
  await rm(dataFolder, { recursive: true, force: true });
});

describe('per-clip result cache', () => {
  it('keeps results across opens, ignores a torn last line and other models', async () => {
    const cache = await ResultCache.open(dataset, dataFolder, 'model-a', 'sha-a');
    expect(cache.file).toBe(path.join(root, '.mer-studio', 'results', 'model-a.jsonl'));
    await cache.put(result('k1'));
    await cache.put(result('k2'));
    await appendFile(cache.file, '{"key":"k3","modelSha256":"sha-a","clipId"'); // crash mid-write
    const reopened = await ResultCache.open(dataset, dataFolder, 'model-a', 'sha-a');
    expect(reopened.size).toBe(2);
    expect(reopened.get('k1')?.probabilities?.negative).toBe(0.5);
    const otherModel = await ResultCache.open(dataset, dataFolder, 'model-a', 'sha-b');
    expect(otherModel.size).toBe(0);
  });

  it('stays bounded when clips are recomputed again and again', async () => {
    const cache = await ResultCache.open(dataset, dataFolder, 'model-a', 'sha-a');
    for (let round = 0; round < 60; round++) {
      for (const key of ['k1', 'k2', 'k3']) await cache.put(result(key));
    }
    await appendFile(
      cache.file,
      `${JSON.stringify({ ...result('old'), modelSha256: 'sha-old' })}\n`,
    );
    expect((await readFile(cache.file, 'utf8')).trim().split('\n')).toHaveLength(181);
    const reopened = await ResultCache.open(dataset, dataFolder, 'model-a', 'sha-a');
    expect(reopened.size).toBe(3);
    const lines = (await readFile(cache.file, 'utf8')).trim().split('\n');
    expect(lines.map((line) => (JSON.parse(line) as { key: string }).key)).toEqual([
      'k1',
      'k2',
      'k3',
      'old',
    ]);
  });

  it('goes to the app data folder when the dataset folder cannot hold it', async () => {
    await writeFile(path.join(root, '.mer-studio'), 'a file where the folder would be');
    const cache = await ResultCache.open(dataset, dataFolder, 'model-a', 'sha-a');
    expect(cache.file.startsWith(path.join(dataFolder, 'results'))).toBe(true);
    await cache.put(result('k1'));
    expect((await ResultCache.open(dataset, dataFolder, 'model-a', 'sha-a')).size).toBe(1);
  });

  it('changes the input key when a frame file, the frames or the model change', async () => {
    const key = () => inputKey(dataset, clip, 0, 2, null, 'sha-a');
    const first = await key();
    expect(await key()).toBe(first);
    expect(await inputKey(dataset, clip, 0, 1, null, 'sha-a')).not.toBe(first);
    expect(await inputKey(dataset, clip, 0, 2, null, 'sha-b')).not.toBe(first);
    expect(await inputKey(dataset, clip, 0, null, null, 'sha-a')).not.toBe(first);
    const apexFile = path.join(root, 's1', 'c1', 'img3.jpg');
    await writeFile(apexFile, 'a re-exported frame');
    await utimes(apexFile, new Date(), new Date(Date.now() + 5000));
    expect(await key()).not.toBe(first);
  });
});
