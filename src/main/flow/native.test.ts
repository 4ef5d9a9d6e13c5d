import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { findProjectRoot, loadFlowAddon } from './native';

describe('locating the native addon', () => {
  it('finds the mer-studio root from this folder and from a nested build folder', () => {
    const here = path.dirname(fileURLToPath(import.meta.url));
    const root = findProjectRoot(here);
    expect(root).toBe(path.resolve(here, '../../..'));
    expect(findProjectRoot(path.join(root!, 'out', 'main'))).toBe(root);
  });

  it('ignores package.json files of other projects on the way up', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'mer-root-'));
    try {
      const nested = path.join(dir, 'mer-studio-like', 'out', 'main');
      await mkdir(nested, { recursive: true });
      await writeFile(path.join(dir, 'mer-studio-like', 'package.json'), '{"name":"other"}');
      await writeFile(path.join(dir, 'package.json'), 'not json');
      expect(findProjectRoot(nested)).toBeUndefined();
      await writeFile(path.join(dir, 'package.json'), '{"name":"mer-studio"}');
      expect(findProjectRoot(nested)).toBe(dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('loads once and reports the hardware threads', () => {
    const addon = loadFlowAddon();
    expect(loadFlowAddon()).toBe(addon);
    expect(addon.hardwareThreads()).toBeGreaterThanOrEqual(1);
  });
});
