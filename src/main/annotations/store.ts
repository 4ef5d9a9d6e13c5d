import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ClipAnnotation } from '../../shared/domain';
import { writeFileAtomic } from './atomic-write';

export const STORE_SCHEMA_VERSION = 1;

interface CoderFile {
  schemaVersion: number;
  coder: string;
  dataset: string;
  annotations: Record<string, ClipAnnotation>;
}

/**
 * One coder's annotations of one dataset, kept as readable JSON in
 * <dataset>/.mer-studio/annotations/<coder>.json and replaced atomically on every save.
 */
export class AnnotationStore {
  private cache: CoderFile | null = null;

  constructor(
    private readonly folder: string,
    private readonly datasetName: string,
    readonly coder: string,
  ) {}

  get file(): string {
    return path.join(this.folder, `${this.coder}.json`);
  }

  async all(): Promise<ClipAnnotation[]> {
    return Object.values((await this.load()).annotations);
  }

  async get(clipId: string): Promise<ClipAnnotation | null> {
    return (await this.load()).annotations[clipId] ?? null;
  }

  async save(annotation: ClipAnnotation): Promise<void> {
    const current = await this.load();
    const next: CoderFile = {
      ...current,
      annotations: { ...current.annotations, [annotation.clipId]: annotation },
    };
    await mkdir(this.folder, { recursive: true });
    await writeFileAtomic(this.file, JSON.stringify(next, null, 2));
    this.cache = next;
  }

  private async load(): Promise<CoderFile> {
    if (this.cache) return this.cache;
    const text = await readFile(this.file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return null;
      throw error;
    });
    this.cache = text === null ? this.empty() : this.parse(text);
    return this.cache;
  }

  private parse(text: string): CoderFile {
    const parsed = JSON.parse(text) as CoderFile;
    if (parsed.schemaVersion > STORE_SCHEMA_VERSION) {
      throw new Error(
        `${this.file} was written by a newer MER Studio (schema ${parsed.schemaVersion}); ` +
          'update the app to open it — the file is left untouched',
      );
    }
    return parsed;
  }

  private empty(): CoderFile {
    return {
      schemaVersion: STORE_SCHEMA_VERSION,
      coder: this.coder,
      dataset: this.datasetName,
      annotations: {},
    };
  }
}
