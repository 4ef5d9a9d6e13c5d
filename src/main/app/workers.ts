import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { projectRoot } from './paths';

/**
 * Starts a worker thread from a module under src/main, e.g. startWorker('face/landmark-worker').
 * In the built app the module is its own bundle entry, out/main/<base name>.js (add it to
 * electron.vite.config.ts); under vitest or tsx the TypeScript source runs through tsx.
 */
export function startWorker(moduleId: string, options: WorkerOptions = {}): Worker {
  const built = path.join(
    path.dirname(fileURLToPath(import.meta.url)),
    `${path.basename(moduleId)}.js`,
  );
  const isBundle = !import.meta.url.endsWith('.ts') && existsSync(built);
  if (isBundle) return new Worker(built, options);
  const source = path.join(projectRoot(), 'src', 'main', `${moduleId}.ts`);
  if (!existsSync(source)) throw new Error(`worker module not found: ${source}`);
  return new Worker(source, {
    ...options,
    execArgv: [...(options.execArgv ?? []), '--import', 'tsx'],
  });
}
