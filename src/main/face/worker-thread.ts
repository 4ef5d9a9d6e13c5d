import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { projectRoot } from '../app/paths';
import { startWorker } from '../app/workers';

/**
 * startWorker (src/main/app/workers.ts) with two gaps filled, both measured here:
 * - built app: rollup puts shared code in out/main/chunks/, so startWorker looks for
 *   out/main/chunks/<name>.js; the entry is out/main/<name>.js, one folder up;
 * - source under tsx/vitest on Node 20: a worker given `execArgv: ['--import', 'tsx']` fails with
 *   'Unknown file extension ".ts"' (tsx 4.23, Node 20.20), so the worker registers tsx's ESM
 *   hooks itself before importing the module.
 * Once workers.ts does both, this reduces to startWorker(moduleId).
 */
export function startFaceWorker(moduleId: string): Worker {
  const here = path.dirname(fileURLToPath(import.meta.url));
  if (!import.meta.url.endsWith('.ts')) {
    const name = `${path.basename(moduleId)}.js`;
    const built = [here, path.dirname(here)].map((dir) => path.join(dir, name)).find(existsSync);
    return built ? new Worker(built) : startWorker(moduleId);
  }
  const source = pathToFileURL(path.join(projectRoot(), 'src', 'main', `${moduleId}.ts`)).href;
  // The package's `require` entry, swapped for its ESM twin (the eval'd bootstrap imports it).
  const tsxCjsApi = createRequire(import.meta.url).resolve('tsx/esm/api');
  const tsxApi = pathToFileURL(tsxCjsApi.replace(/\.cjs$/, '.mjs')).href;
  const bootstrap =
    `import(${JSON.stringify(tsxApi)})` +
    `.then(({ register }) => { register(); return import(${JSON.stringify(source)}); })`;
  return new Worker(bootstrap, { eval: true });
}
