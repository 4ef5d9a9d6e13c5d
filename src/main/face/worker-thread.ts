import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { projectRoot } from '../app/paths';
import { startWorker } from '../app/workers';

/**
 * startWorker, plus a way to run the TypeScript source under tsx/vitest on Node 20: there a
 * worker given `execArgv: ['--import', 'tsx']` still fails with 'Unknown file extension ".ts"'
 * (measured with tsx 4.23 / Node 20.20), so the worker registers tsx's ESM hooks itself before
 * importing the module. In the built app (a .js bundle) startWorker runs the bundled entry.
 */
export function startFaceWorker(moduleId: string): Worker {
  if (!import.meta.url.endsWith('.ts')) return startWorker(moduleId);
  const source = pathToFileURL(path.join(projectRoot(), 'src', 'main', `${moduleId}.ts`)).href;
  // The package's `require` entry, swapped for its ESM twin (the eval'd bootstrap imports it).
  const tsxCjsApi = createRequire(import.meta.url).resolve('tsx/esm/api');
  const tsxApi = pathToFileURL(tsxCjsApi.replace(/\.cjs$/, '.mjs')).href;
  const bootstrap =
    `import(${JSON.stringify(tsxApi)})` +
    `.then(({ register }) => { register(); return import(${JSON.stringify(source)}); })`;
  return new Worker(bootstrap, { eval: true });
}
