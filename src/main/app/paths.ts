import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The project root (the folder with mer-studio's package.json), found by walking up from this
 * module: it works from src/ under vitest, from out/ after the build, and inside Electron.
 */
export function projectRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && isOurs(manifest)) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cannot find the mer-studio project root');
    dir = parent;
  }
}

function isOurs(manifest: string): boolean {
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'mer-studio';
  } catch {
    return false;
  }
}

export function projectFile(relative: string): string {
  return path.join(projectRoot(), relative);
}

/** The app's data folder: MER_DATA_DIR, else the platform's user data location. */
export function defaultDataFolder(): string {
  if (process.env.MER_DATA_DIR) return path.resolve(process.env.MER_DATA_DIR);
  const home = os.homedir();
  if (process.platform === 'win32') {
    return path.join(process.env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'mer-studio');
  }
  if (process.platform === 'darwin') {
    return path.join(home, 'Library', 'Application Support', 'mer-studio');
  }
  return path.join(process.env.XDG_DATA_HOME ?? path.join(home, '.local', 'share'), 'mer-studio');
}

/** The built-in demo dataset lives in the data folder, generated on first use. */
export function demoDatasetFolder(dataFolder: string): string {
  return path.join(dataFolder, 'demo-dataset');
}
