import { chmod, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { coderName } from '../../shared/contract/schemas';
import { writeFileAtomic } from '../app/atomic-write';
import type { AppContext } from '../app/context';

/**
 * What the app hosts keep between starts, apart from the settings: the coder last chosen (so a
 * restart does not code under the default name) and the web host's port and token (the browser
 * keeps a window's unsaved drafts per origin, and an open window reconnects only with the same
 * token). The file is readable by its owner only, like Jupyter's runtime files.
 */
interface Remembered {
  coder?: string;
  port?: number;
  token?: string;
}

function rememberedFile(dataFolder: string): string {
  return path.join(dataFolder, 'remembered.json');
}

export async function readRemembered(dataFolder: string): Promise<Remembered> {
  try {
    const raw = JSON.parse(await readFile(rememberedFile(dataFolder), 'utf8')) as Remembered;
    const coder = coderName.safeParse(raw.coder);
    const port = Number.isInteger(raw.port) && raw.port! > 1023 && raw.port! < 65536;
    const token = typeof raw.token === 'string' && /^[0-9a-f]{48}$/.test(raw.token);
    return {
      coder: coder.success ? coder.data : undefined,
      port: port ? raw.port : undefined,
      token: token ? raw.token : undefined,
    };
  } catch {
    return {};
  }
}

/** Best effort: a data folder that cannot be written only loses the convenience. */
export async function remember(dataFolder: string, change: Remembered): Promise<void> {
  try {
    const next = { ...(await readRemembered(dataFolder)), ...change };
    await mkdir(dataFolder, { recursive: true });
    await writeFileAtomic(rememberedFile(dataFolder), `${JSON.stringify(next, null, 2)}\n`);
    await chmod(rememberedFile(dataFolder), 0o600);
  } catch {
    // nothing else depends on it
  }
}

/** The coder chosen before the last restart, for a host's new context. */
export async function restoreCoder(ctx: AppContext): Promise<void> {
  const { coder } = await readRemembered(ctx.dataFolder);
  if (coder) ctx.coder = coder;
}
