import { access } from 'node:fs/promises';
import path from 'node:path';
import { demoDatasetFolder } from '../../app/paths';
import { DEMO_MANIFEST, generateDemoDataset } from './generate';

/** The built-in demo dataset's folder, generated there on first use. */
export async function ensureDemoDataset(
  dataFolder: string,
  onProgress?: (done: number, total: number) => void,
): Promise<string> {
  const folder = demoDatasetFolder(dataFolder);
  const ready = await access(path.join(folder, DEMO_MANIFEST)).then(
    () => true,
    () => false,
  );
  if (!ready) await generateDemoDataset(folder, {}, onProgress);
  return folder;
}
