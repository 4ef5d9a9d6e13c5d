import { mkdir, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { demoDatasetFolder } from '../../app/paths';
import { ensureDemoDataset } from './ensure';
import { DEMO_MANIFEST, DEMO_VERSION } from './generate';

describe('ensureDemoDataset', () => {
  it("remakes a demo written by an older generator and keeps the user's annotations", async () => {
    const dataFolder = await mkdtemp(path.join(os.tmpdir(), 'mer-data-'));
    const folder = demoDatasetFolder(dataFolder);
    const notes = path.join(folder, '.mer-studio', 'annotations.json');
    await mkdir(path.dirname(notes), { recursive: true });
    await writeFile(notes, '{"clips":{}}');
    await writeFile(
      path.join(folder, DEMO_MANIFEST),
      JSON.stringify({ format: 'mer-demo', version: 1, clips: [] }),
    );

    expect(await ensureDemoDataset(dataFolder)).toBe(folder);
    const manifest = JSON.parse(await readFile(path.join(folder, DEMO_MANIFEST), 'utf8'));
    expect(manifest.version).toBe(DEMO_VERSION);
    expect(manifest.clips.length).toBeGreaterThan(0);
    expect(await readFile(notes, 'utf8')).toBe('{"clips":{}}');

    const made = (await stat(path.join(folder, DEMO_MANIFEST))).mtimeMs;
    await ensureDemoDataset(dataFolder); // current: left as it is
    expect((await stat(path.join(folder, DEMO_MANIFEST))).mtimeMs).toBe(made);
  }, 60_000);
});
