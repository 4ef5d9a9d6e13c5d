import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileAtomic } from './atomic-write';

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(path.join(os.tmpdir(), 'mer-atomic-'));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('writes nothing when the last check before the rename calls the write off', async () => {
    const file = path.join(folder, 'coder.json');
    await writeFile(file, 'saved by another process');
    const written = await writeFileAtomic(file, 'stale', {
      backup: true,
      beforeReplace: async () => false,
    });
    expect(written).toBe(false);
    expect(await readFile(file, 'utf8')).toBe('saved by another process');
    expect(await readdir(folder)).toEqual(['coder.json']);
    expect(await writeFileAtomic(file, 'new', { beforeReplace: async () => true })).toBe(true);
    expect(await readFile(file, 'utf8')).toBe('new');
  });
});
