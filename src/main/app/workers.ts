import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { projectRoot } from './paths';

/**
 * Starts a worker thread from a module under src/main, e.g. startWorker('face/landmark-worker').
 * In the built app the module is its own bundle entry, out/main/<base name>.js (listed in
 * electron.vite.config.ts); this file may itself sit in out/main/chunks/, so both folders are
 * searched. Under vitest or tsx the TypeScript source runs instead: the worker registers tsx's
 * hooks itself, because `execArgv: ['--import', 'tsx']` fails in a Node 20 worker with
 * 'Unknown file extension ".ts"'.
 */
export function startWorker(moduleId: string, options: WorkerOptions = {}): Worker {
  const here = path.dirname(fileURLToPath(import.meta.url));
  if (!import.meta.url.endsWith('.ts')) {
    const name = `${path.basename(moduleId)}.js`;
    const built = [here, path.dirname(here)].map((dir) => path.join(dir, name)).find(existsSync);
    if (!built) throw new Error(`worker bundle ${name} not found next to ${here}`);
    return new Worker(built, options);
  }
  const source = path.join(projectRoot(), 'src', 'main', `${moduleId}.ts`);
  if (!existsSync(source)) throw new Error(`worker module not found: ${source}`);
  // tsx's package `require` entry, swapped for its ESM twin, which the bootstrap imports.
  const tsxCjsApi = createRequire(import.meta.url).resolve('tsx/esm/api');
  const tsxApi = pathToFileURL(tsxCjsApi.replace(/\.cjs$/, '.mjs')).href;
  const bootstrap =
    `import(${JSON.stringify(tsxApi)})` +
    `.then(({ register }) => { register(); return import(${JSON.stringify(pathToFileURL(source).href)}); })`;
  return new Worker(bootstrap, { ...options, eval: true });
}
