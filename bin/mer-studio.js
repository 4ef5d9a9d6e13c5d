#!/usr/bin/env node
// The mer-studio command: runs the built CLI (out/main/cli.js, made by `npm run build`).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'out', 'main', 'cli.js');
if (!existsSync(cli)) {
  console.error('mer-studio is not built yet: run `npm run build` in the project folder first');
  process.exit(1);
}
const { main } = await import(pathToFileURL(cli).href);
await main();
