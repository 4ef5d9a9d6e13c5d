import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access, constants, mkdir, open, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Clip, DatasetIndex } from '../../shared/domain';
import { writeFileAtomic } from '../app/atomic-write';
import { makeFolderWithin } from '../app/own-folder';
import type { ClipOutcome } from './engine';

/**
 * Per-clip results on disk, one JSON line appended per finished clip, so a batch started again
 * after a crash or a cancel re-does no finished clip. A line is keyed by the hash of the clip's
 * inputs (its frame files' size and mtime, onset, apex) and the model file's sha256; a torn last
 * line (crash mid-write) is ignored. Lives in <dataset>/.mer-studio/results/<modelId>.jsonl, or
 * under the app data folder when the dataset folder is read-only.
 */
export interface CachedResult extends Omit<ClipOutcome, 'transient'> {
  key: string;
  modelSha256: string;
  clipId: string;
  provider: string;
  finishedAt: string;
}

/** Bumped when the pipeline changes what a clip's result is. */
export const PIPELINE_VERSION = 3; // 3: frames upright after their EXIF orientation

export class ResultCache {
  private readonly entries = new Map<string, CachedResult>();
  private pending: Promise<void> = Promise.resolve();

  private constructor(
    readonly file: string,
    readonly modelSha256: string,
  ) {}

  /** Opens (creating the folder) the first writable location; reads what earlier runs left. */
  static async open(
    dataset: DatasetIndex,
    dataFolder: string,
    modelId: string,
    modelSha256: string,
  ): Promise<ResultCache> {
    const name = `${safeName(modelId)}.jsonl`;
    // Links in the dataset are refused; the app data folder is the user's own.
    const inDataset = path.join(dataset.root, '.mer-studio', 'results');
    const folders = [
      inDataset,
      path.join(dataFolder, 'results', `${safeName(dataset.name)}-${shortHash(dataset.root)}`),
    ];
    const problems: string[] = [];
    for (const folder of folders) {
      try {
        if (folder === inDataset) await makeFolderWithin(dataset.root, folder);
        else await mkdir(folder, { recursive: true });
        const file = path.join(folder, name);
        await appendDurably(file, '');
        await access(file, constants.W_OK);
        const cache = new ResultCache(file, modelSha256);
        await cache.load();
        return cache;
      } catch (error) {
        problems.push(`${folder}: ${(error as Error).message}`);
      }
    }
    throw new Error(`cannot keep batch results anywhere: ${problems.join('; ')}`);
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): CachedResult | undefined {
    return this.entries.get(key);
  }

  /** Appends one finished clip; resolves when its line is on disk (fsynced). */
  async put(result: Omit<CachedResult, 'modelSha256'>): Promise<void> {
    const entry: CachedResult = { ...result, modelSha256: this.modelSha256 };
    this.entries.set(entry.key, entry);
    const line = `${JSON.stringify(entry)}\n`;
    const write = this.pending.then(() => appendDurably(this.file, line));
    this.pending = write.catch(() => undefined);
    await write;
  }

  private async load(): Promise<void> {
    const text = await readFile(this.file, 'utf8');
    /** The last line of each model and key: a recomputed clip appends a line that supersedes. */
    const latest = new Map<string, string>();
    let lines = 0;
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      let entry: CachedResult;
      try {
        entry = JSON.parse(line) as CachedResult;
      } catch {
        continue;
      }
      if (typeof entry.key !== 'string') continue;
      lines++;
      latest.set(`${entry.modelSha256}\0${entry.key}`, line);
      if (entry.modelSha256 === this.modelSha256) this.entries.set(entry.key, entry);
    }
    if (lines > 2 * latest.size + COMPACT_SLACK) {
      await writeFileAtomic(this.file, `${[...latest.values()].join('\n')}\n`);
    }
  }
}

/** Superseded lines tolerated before the file is rewritten with the latest of each. */
const COMPACT_SLACK = 100;

/** Appends and syncs; never through a link (ELOOP), which could point anywhere. */
async function appendDurably(file: string, line: string): Promise<void> {
  const flags = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT;
  const handle = await open(file, flags | (constants.O_NOFOLLOW ?? 0)).catch((error: Error) => {
    if ((error as NodeJS.ErrnoException).code !== 'ELOOP') throw error;
    throw new Error(`${file} is a link; results are not written through links`);
  });
  try {
    await handle.appendFile(line);
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

/**
 * The key of a clip's inputs: the files its onset and apex come from (size + mtime; for a
 * suggested apex every frame file, since any may become the apex), the frames, the model.
 */
export async function inputKey(
  dataset: DatasetIndex,
  clip: Clip,
  onset: number,
  apex: number | null,
  offset: number | null,
  modelSha256: string,
): Promise<string> {
  const files = inputFiles(clip, apex === null ? null : [onset, apex]);
  const stats = await Promise.all(
    files.map(async (file) => {
      const info = await stat(path.join(dataset.root, file)).catch(() => null);
      return info ? [file, info.size, Math.round(info.mtimeMs)] : [file, 'missing'];
    }),
  );
  const described = {
    version: PIPELINE_VERSION,
    clip: clip.id,
    onset,
    apex: apex ?? 'suggested',
    offset: apex === null ? offset : null,
    files: stats,
    model: modelSha256,
  };
  return createHash('sha256').update(JSON.stringify(described)).digest('hex');
}

/** Files (relative to the dataset root) a clip's frames come from; all frames when indexes is null. */
function inputFiles(clip: Clip, indexes: number[] | null): string[] {
  const source = clip.source;
  if (source.kind === 'video') return [source.file];
  const names = indexes === null ? source.files : indexes.map((index) => source.files[index]);
  return names.map((name) => path.join(source.dir, name));
}

const modelHashes = new Map<string, Promise<string>>();

/** sha256 of a model file, computed once per path, size and mtime. */
export async function modelFileSha256(file: string): Promise<string> {
  const info = await stat(file);
  const memo = `${file}\0${info.size}\0${info.mtimeMs}`;
  let hash = modelHashes.get(memo);
  if (!hash) {
    hash = new Promise<string>((resolve, reject) => {
      const digest = createHash('sha256');
      createReadStream(file)
        .on('data', (chunk) => digest.update(chunk))
        .on('error', reject)
        .on('end', () => resolve(digest.digest('hex')));
    });
    modelHashes.set(memo, hash);
  }
  return hash;
}

function safeName(name: string): string {
  return name.replace(/[^\w.-]+/g, '_').slice(0, 120) || 'model';
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 10);
}
