import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface RunningHost {
  url: string;
  /** The same URL without the token. */
  origin: string;
  dataFolder: string;
  child: ChildProcess;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export function newDataFolder(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'mer-e2e-'));
}

/** A free port on 127.0.0.1, so a restarted host can serve the same origin (same browser storage). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** `mer-studio serve` (the built CLI) on a data folder and port, as a user would start it. */
export async function startHost(
  dataFolder: string,
  port = 0,
  extra: string[] = [],
): Promise<RunningHost> {
  const cli = path.join(root, 'out/main/cli.js');
  if (!existsSync(cli)) throw new Error('out/main/cli.js is missing: run `npm run build` first');
  const portArgs = port > 0 ? ['--port', String(port)] : [];
  const child = spawn(
    process.execPath,
    [path.join(root, 'bin/mer-studio.js'), 'serve', ...portArgs, ...extra],
    { env: { ...process.env, MER_DATA_DIR: dataFolder }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
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
    child.once('exit', (code) => reject(new Error(`web host exited (${code}):\n${log}`)));
  });
  return {
    url,
    origin: new URL(url).origin,
    dataFolder,
    child,
    stop: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      }),
  };
}
