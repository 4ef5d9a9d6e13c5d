import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { projectRoot } from '../app/paths';
import { startWorker } from '../app/workers';

/**
 * startWorker when the worker is a bundle entry (out/main/motion-worker.js); otherwise the
 * TypeScript source through tsx. A worker given `execArgv: ['--import', 'tsx']` fails on Node 20
 * with 'Unknown file extension ".ts"', so the worker registers tsx's ESM hooks itself first (as
 * src/main/face/worker-thread.ts does), keeping workerData.
 */
export function startMotionWorker(options: WorkerOptions): Worker {
  const moduleId = 'motion/motion-worker';
  const here = fileURLToPath(import.meta.url);
  const bundled = path.join(path.dirname(here), `${path.basename(moduleId)}.js`);
  if (!here.endsWith('.ts') && existsSync(bundled)) return startWorker(moduleId, options);
  const source = pathToFileURL(path.join(projectRoot(), 'src', 'main', `${moduleId}.ts`)).href;
  const tsxCjsApi = createRequire(import.meta.url).resolve('tsx/esm/api');
  const tsxApi = pathToFileURL(tsxCjsApi.replace(/\.cjs$/, '.mjs')).href;
  const bootstrap =
    `import(${JSON.stringify(tsxApi)})` +
    `.then(({ register }) => { register(); return import(${JSON.stringify(source)}); })`;
  return new Worker(bootstrap, { ...options, eval: true });
}
