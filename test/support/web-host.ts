import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface RunningHost {
  url: string;
  /** The same URL without the token. */
  origin: string;
  dataFolder: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts the built web host (`mer-studio serve`) as a user would, in a fresh data folder. */
export async function startBuiltWebHost(args: string[] = []): Promise<RunningHost> {
  const cli = path.join(root, 'out/main/cli.js');
  if (!existsSync(cli)) throw new Error('out/main/cli.js is missing: run `npm run build` first');
  const dataFolder = mkdtempSync(path.join(os.tmpdir(), 'mer-e2e-'));
  const child = spawn(process.execPath, [path.join(root, 'bin/mer-studio.js'), 'serve', ...args], {
    env: { ...process.env, MER_DATA_DIR: dataFolder },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`web host did not start:\n${log}`)), 120_000);
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      const match = /open (http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+)/.exec(log);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`web host exited (${code}):\n${log}`)));
  });
  return {
    url,
    origin: new URL(url).origin,
    dataFolder,
    process: child,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
