import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { demoDatasetFolder } from '../../app/paths';
import { DEMO_MANIFEST, DEMO_VERSION, generateDemoDataset, type DemoManifest } from './generate';

/**
 * The built-in demo dataset's folder, generated there on first use and remade when an older
 * generator wrote it (the same clips and timing; annotations kept beside them are not touched).
 */
export async function ensureDemoDataset(
  dataFolder: string,
  onProgress?: (done: number, total: number) => void,
): Promise<string> {
  const folder = demoDatasetFolder(dataFolder);
  const manifest = await readFile(path.join(folder, DEMO_MANIFEST), 'utf8')
    .then((text) => JSON.parse(text) as DemoManifest)
    .catch(() => null);
  if (manifest?.version !== DEMO_VERSION) await generateDemoDataset(folder, {}, onProgress);
  return folder;
}
