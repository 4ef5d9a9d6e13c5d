import { constants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../app/atomic-write';
import { makeFolderWithin } from '../app/own-folder';
import path from 'node:path';
import { z } from 'zod';
import type { Problem } from '../../shared/domain';
import { jsonSyntaxDetail } from '../app/json-error';

/** Per-dataset settings the user may keep beside the data: `<dataset>/.mer-studio/dataset.json`. */
export const SETTINGS_FILE = path.join('.mer-studio', 'dataset.json');

const fps = z.number().positive().max(100_000);

const settingsSchema = z.object({
  fps: fps.optional(),
  clips: z.record(z.string(), z.object({ fps: fps.optional() })).optional(),
});

export type DatasetSettings = z.infer<typeof settingsSchema>;

export interface LoadedSettings {
  settings: DatasetSettings;
  /** Whether the dataset folder accepts writes (settings and annotations can be saved there). */
  writable: boolean;
}

export async function readDatasetSettings(
  root: string,
  problems: Problem[],
): Promise<LoadedSettings> {
  const writable = await access(root, constants.W_OK).then(
    () => true,
    () => false,
  );
  const file = path.join(root, SETTINGS_FILE);
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') {
      problems.push({
        severity: 'warning',
        path: SETTINGS_FILE,
        message: `cannot read: ${error.message}; using defaults`,
      });
    }
    return null;
  });
  if (!writable) {
    problems.push({
      severity: 'warning',
      path: '.',
      message:
        `dataset folder is read-only: settings cannot be saved in ${SETTINGS_FILE}; ` +
        (text === null ? 'using the default frame rates' : 'using the settings found there'),
    });
  }
  if (text === null) return { settings: {}, writable };
  return { settings: parseSettings(text, problems), writable };
}

function parseSettings(text: string, problems: Problem[]): DatasetSettings {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    problems.push({
      severity: 'warning',
      path: SETTINGS_FILE,
      message: `not valid JSON (${jsonSyntaxDetail(error)}); ignored, using defaults`,
    });
    return {};
  }
  const parsed = settingsSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues
    .map((issue) => `${issue.path.join('.') || '(top)'}: ${issue.message}`)
    .join('; ');
  problems.push({
    severity: 'warning',
    path: SETTINGS_FILE,
    message: `ignored, using defaults: ${issues} (expected {"fps": 120, "clips": {"<clip id>": {"fps": 100}}})`,
  });
  return {};
}

/** Saves the settings atomically; a clear error on read-only disks. */
export async function writeDatasetSettings(root: string, settings: DatasetSettings): Promise<void> {
  const checked = settingsSchema.parse(settings);
  const file = path.join(root, SETTINGS_FILE);
  try {
    await makeFolderWithin(root, path.dirname(file));
    await writeFileAtomic(file, `${JSON.stringify(checked, null, 2)}\n`);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'EROFS' || code === 'EACCES' || code === 'EPERM'
        ? 'the dataset folder is read-only'
        : (error as Error).message;
    throw new Error(`cannot save ${file}: ${why}`, { cause: error });
  }
}
