import { mkdir, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import type { z } from 'zod';
import {
  ACTION_NAMES,
  DEFAULT_SETTINGS,
  settingsPatch,
  type WorkspaceSettings,
} from '../../shared/contract/coding';
import { writeFileAtomic } from '../app/atomic-write';
import type { AppContext } from '../app/context';

type SettingsPatch = z.output<typeof settingsPatch>;

interface Loaded {
  settings: WorkspaceSettings;
  notice?: string;
}

const loaded = new WeakMap<AppContext, Promise<Loaded>>();
const writes = new WeakMap<AppContext, Promise<unknown>>();

export function settingsFile(ctx: AppContext): string {
  return path.join(ctx.dataFolder, 'settings.json');
}

/** The user's workspace settings: defaults, overlaid with what settings.json holds. */
export function workspaceSettings(ctx: AppContext): Promise<Loaded> {
  let pending = loaded.get(ctx);
  if (!pending) {
    pending = readSettings(settingsFile(ctx));
    loaded.set(ctx, pending);
  }
  return pending;
}

/** Applies a change and writes settings.json atomically (one write at a time). */
export async function saveWorkspaceSettings(
  ctx: AppContext,
  patch: SettingsPatch,
): Promise<WorkspaceSettings> {
  const previous = writes.get(ctx) ?? Promise.resolve();
  const next = previous
    .catch(() => undefined)
    .then(async () => {
      const current = (await workspaceSettings(ctx)).settings;
      const settings = applyPatch(current, patch);
      await mkdir(ctx.dataFolder, { recursive: true });
      await writeFileAtomic(
        settingsFile(ctx),
        `${JSON.stringify({ version: 1, ...settings }, null, 2)}\n`,
      );
      loaded.set(ctx, Promise.resolve({ settings }));
      return settings;
    });
  writes.set(ctx, next);
  return next;
}

export function applyPatch(current: WorkspaceSettings, patch: SettingsPatch): WorkspaceSettings {
  const { keys, ...rest } = patch;
  return { ...current, ...rest, keys: { ...current.keys, ...keys } };
}

/** A damaged or foreign settings file is moved aside (never silently overwritten) and defaults used. */
async function readSettings(file: string): Promise<Loaded> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return { settings: DEFAULT_SETTINGS };
  }
  try {
    const raw = JSON.parse(text) as Record<string, unknown>;
    delete raw.version;
    const knownKeys = Object.fromEntries(
      Object.entries((raw.keys as Record<string, unknown> | undefined) ?? {}).filter(([name]) =>
        (ACTION_NAMES as string[]).includes(name),
      ),
    );
    const parsed = settingsPatch.parse({ ...raw, keys: knownKeys });
    return { settings: applyPatch(DEFAULT_SETTINGS, parsed) };
  } catch (error) {
    const aside = `${file}.damaged-${Date.now()}`;
    await rename(file, aside).catch(() => undefined);
    const reason =
      error instanceof SyntaxError ? 'not valid JSON' : (error as Error).message.split('\n')[0];
    return {
      settings: DEFAULT_SETTINGS,
      notice: `${file} could not be used (${reason}); defaults are in use and the file was kept as ${aside}`,
    };
  }
}
