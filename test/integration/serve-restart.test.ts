import { existsSync, mkdtempSync, statSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectFile } from '../../src/main/app/paths';
import type { CliIO } from '../../src/main/cli/command';
import { runCli } from '../../src/main/cli/index';
import { generateDemoDataset } from '../../src/main/dataset/demo/generate';

const built = existsSync(projectFile('out/renderer/index.html'));
if (!built) console.warn('[skipped] serve restart tests: run `npm run build` first');

/** Starts `serve`, returns the URL it printed and a function that stops it. */
async function serve(dataset: string) {
  const controller = new AbortController();
  let printed = '';
  const io: CliIO = {
    out: (text) => (printed += `${text}\n`),
    err: () => undefined,
    isTTY: false,
    signal: controller.signal,
  };
  const running = runCli(['serve', '--dataset', dataset], io);
  await expect.poll(() => /open (\S+)/.exec(printed)?.[1], { timeout: 30_000 }).toBeTruthy();
  const url = new URL(/open (\S+)/.exec(printed)![1]);
  return {
    url,
    stop: async () => {
      controller.abort();
      expect(await running).toBe(0);
    },
  };
}

async function ask(url: URL, name: string, args: object): Promise<unknown> {
  const { WebSocket } = await import('ws');
  const ws = new WebSocket(`ws://${url.host}/ws?token=${url.searchParams.get('token')}`);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const reply = new Promise((resolve) =>
    ws.once('message', (data) => resolve(JSON.parse(String(data)))),
  );
  ws.send(JSON.stringify({ id: 1, name, args }));
  const answer = ((await reply) as { reply: unknown }).reply;
  ws.close();
  return answer;
}

describe.skipIf(!built)('serve, restarted', () => {
  const previous = process.env.MER_DATA_DIR;
  let dataset: string;

  beforeAll(async () => {
    const base = mkdtempSync(path.join(os.tmpdir(), 'mer-serve-restart-'));
    process.env.MER_DATA_DIR = path.join(base, 'data');
    dataset = path.join(base, 'demo');
    await generateDemoDataset(dataset, {
      subjects: 1,
      clipsPerSubject: 1,
      framesPerClip: 20,
      width: 128,
      height: 96,
    });
  });

  afterAll(() => {
    if (previous === undefined) delete process.env.MER_DATA_DIR;
    else process.env.MER_DATA_DIR = previous;
  });

  it('comes back on the same port with the coder chosen before', async () => {
    const first = await serve(dataset);
    expect(await ask(first.url, 'annotations.setCoder', { coder: 'Ana María' })).toMatchObject({
      ok: true,
    });
    await first.stop();
    const second = await serve(dataset);
    expect(second.url.href).toBe(first.url.href); // same port and token: open windows reconnect
    expect(await ask(second.url, 'annotations.coders', {})).toMatchObject({
      ok: true,
      result: { current: 'Ana María' },
    });
    await second.stop();
    // Its port taken meanwhile: another port, and a new token (old windows may knock at the old one).
    const squatter = net.createServer().listen(Number(first.url.port), '127.0.0.1');
    await new Promise((resolve) => squatter.once('listening', resolve));
    const third = await serve(dataset);
    expect(third.url.port).not.toBe(first.url.port);
    expect(third.url.searchParams.get('token')).not.toBe(first.url.searchParams.get('token'));
    await third.stop();
    squatter.close();
    const kept = statSync(path.join(process.env.MER_DATA_DIR!, 'remembered.json'));
    if (process.platform !== 'win32') expect(kept.mode & 0o777).toBe(0o600); // it holds the token
  }, 90_000);
});
