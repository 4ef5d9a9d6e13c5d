import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface Host {
  url: string;
  child: ChildProcess;
  stop(signal?: NodeJS.Signals): Promise<void>;
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

export function newDataFolder(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'mer-ws-e2e-'));
}

/** `mer-studio serve` on a given data folder and port, as a user would start it. */
export async function startHost(
  dataFolder: string,
  port: number,
  extra: string[] = [],
): Promise<Host> {
  const cli = path.join(root, 'out/main/cli.js');
  if (!existsSync(cli)) throw new Error('out/main/cli.js is missing: run `npm run build` first');
  const child = spawn(
    process.execPath,
    [path.join(root, 'bin/mer-studio.js'), 'serve', '--port', String(port), ...extra],
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
    child,
    stop: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      }),
  };
}

export const text = async (page: Page, testId: string): Promise<string> =>
  ((await page.getByTestId(testId).first().textContent()) ?? '').trim();

/** The frame the viewer shows (its canvas says which). */
export async function shownFrame(page: Page): Promise<number> {
  return Number(await page.getByTestId('frame-image').getAttribute('data-shown-index'));
}

/** Presses keys one by one; the only way these tests drive the app (no mouse). */
export async function press(page: Page, ...keys: string[]): Promise<void> {
  for (const key of keys) await page.keyboard.press(key);
}

export async function focusedTestId(page: Page): Promise<string | null> {
  return page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? null);
}

/** A coder's annotation file, wherever the store keeps it (dataset folder or app data folder). */
export async function findCoderFile(dataFolder: string, coder: string): Promise<string> {
  const { readdir } = await import('node:fs/promises');
  const entries = await readdir(dataFolder, { recursive: true });
  const wanted = path.join('annotations', `${coder}.json`);
  const hit = entries.find((entry) => entry.endsWith(wanted));
  if (!hit) throw new Error(`no ${wanted} under ${dataFolder}`);
  return path.join(dataFolder, hit);
}

/** The folder holding the open dataset's annotations/ (dataset or app data), once one exists. */
export async function annotationsFolder(dataFolder: string): Promise<string> {
  return path.dirname(await findCoderFile(dataFolder, 'coder1'));
}
