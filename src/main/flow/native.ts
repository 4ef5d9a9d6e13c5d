import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import type { Tvl1Options } from './types';

/** Shape of native/build/Release/mer_flow.node (see native/src/addon.cpp). */
export interface FlowAddon {
  computeFlow(
    frame0: Float32Array | Uint8Array,
    frame1: Float32Array | Uint8Array,
    width: number,
    height: number,
    options: Partial<Tvl1Options> & { threads?: number },
  ): NativeFlowJob;
  opticalStrain(u: Float32Array, v: Float32Array, width: number, height: number): Float32Array;
  hardwareThreads(): number;
  readonly limits: { maxSide: number; maxPixels: number; maxThreads: number };
}

export interface NativeFlowJob {
  promise: Promise<NativeFlow>;
  cancel(): void;
}

export interface NativeFlow {
  u: Float32Array;
  v: Float32Array;
  iterations: number;
  iterationsPerLevel: number[];
  scales: number;
}

const PROJECT_NAME = 'mer-studio';
const ADDON_RELATIVE_PATH = path.join('native', 'build', 'Release', 'mer_flow.node');

/**
 * The folder holding package.json named "mer-studio", searched upwards from `start`. Works from
 * src/main/flow (vitest, tsx) and from out/main (the bundled Electron main process).
 */
export function findProjectRoot(start: string): string | undefined {
  let dir = path.resolve(start);
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && readPackageName(manifest) === PROJECT_NAME) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function readPackageName(manifest: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(readFileSync(manifest, 'utf8'));
    if (typeof parsed === 'object' && parsed !== null && 'name' in parsed) {
      return typeof parsed.name === 'string' ? parsed.name : undefined;
    }
  } catch {
    // an unreadable package.json is not ours
  }
  return undefined;
}

function moduleDirectory(): string {
  return path.dirname(fileURLToPath(import.meta.url));
}

let cachedAddon: FlowAddon | undefined;

/** Loads the native addon once; throws a message saying how to build it when it is missing. */
export function loadFlowAddon(): FlowAddon {
  if (cachedAddon) return cachedAddon;
  const root = findProjectRoot(moduleDirectory());
  const addonPath = root ? path.join(root, ADDON_RELATIVE_PATH) : undefined;
  if (!addonPath || !existsSync(addonPath)) {
    throw new Error(
      'native flow addon not built: run npm install / npx node-gyp rebuild --directory=native' +
        (addonPath ? ` (looked for ${addonPath})` : ' (project root not found)'),
    );
  }
  const require = createRequire(import.meta.url);
  cachedAddon = require(addonPath) as FlowAddon;
  return cachedAddon;
}
