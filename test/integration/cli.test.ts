import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CliIO } from '../../src/main/cli/command';
import { runCli } from '../../src/main/cli/index';

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = {
    out: (text) => out.push(text),
    err: (text) => err.push(text),
    isTTY: false,
    signal: new AbortController().signal,
  };
  const code = await runCli(argv, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('mer-studio CLI', () => {
  it('lists its commands with --help and answers --help for each', async () => {
    const help = await run('--help');
    expect(help.code).toBe(0);
    const names = [...help.out.matchAll(/^ {2}(\S+) {2}/gm)].map((match) => match[1]);
    expect(names).toEqual(expect.arrayContaining(['serve', 'demo', 'info', 'flow']));
    for (const name of names) {
      const commandHelp = await run(name, '--help');
      expect(commandHelp.code, name).toBe(0);
      expect(commandHelp.out, name).toMatch(new RegExp(`mer-studio ${name}`));
    }
  });

  it('rejects unknown commands and options with usage errors', async () => {
    expect((await run('frobnicate')).code).toBe(2);
    const badOption = await run('info', '--nope', 'x');
    expect(badOption.code).toBe(2);
    expect(badOption.err).toContain('usage: mer-studio info');
    expect(badOption.err).toMatch(/Unknown option '--nope'\n/);
    const flowOption = await run('flow', 'a.png', 'b.png', '--nope');
    expect([flowOption.code, flowOption.err]).toEqual([
      2,
      expect.stringContaining('usage: mer-studio flow'),
    ]);
    for (const port of ['', '0x50', '1e3'])
      expect((await run('serve', '--port', port)).code).toBe(2);
    const badPort = await run('serve', '--port', '70000');
    expect(badPort.code).toBe(2);
    expect(badPort.err).toContain('--port must be a whole number from 0 (a free port) to 65535');
    expect(badPort.err).not.toContain('generating the demo dataset');
    const badOut = await run('flow', 'a.png', 'b.png', '--out', '/nonexistent/dir/x.flo');
    expect(badOut.code).toBe(3);
    expect(badOut.err).toContain(
      '--out /nonexistent/dir/x.flo: the folder /nonexistent/dir does not exist',
    );
  });

  it('writes a demo dataset and reads it back with info --json', async () => {
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'mer-cli-')), 'demo');
    const demo = await run(
      'demo',
      dir,
      '--subjects',
      '2',
      '--clips-per-subject',
      '2',
      '--size',
      '160x120',
      '--frames',
      '24',
    );
    expect(demo.code).toBe(0);
    const info = await run('info', dir, '--json');
    expect(info.code).toBe(0);
    const summary = JSON.parse(info.out) as {
      kind: string;
      subjects: string[];
      clips: Array<{ frameCount: number }>;
    };
    expect(summary.kind).toBe('demo');
    expect(summary.subjects).toEqual(['sub01', 'sub02']);
    expect(summary.clips.map((clip) => clip.frameCount)).toEqual([24, 24, 24, 24]);
  });

  it('stops quietly when its reader closes the pipe early (| head)', async () => {
    // The built CLI in its own process, its output pipe closed before it writes.
    const child = spawn(process.execPath, [path.resolve('bin/mer-studio.js'), '--help'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.destroy();
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(err).not.toMatch(/EPIPE|Unhandled/);
    expect(code).toBe(0);
  });

  it('says clearly when a folder is no dataset, with exit code 3', async () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'mer-cli-empty-'));
    const result = await run('info', empty);
    expect(result.code).toBe(3);
    expect(result.err).toContain(empty);
    const missing = await run('info', path.join(empty, 'nowhere'));
    expect(missing.code).toBe(3);
  });

  it('rejects bad demo sizes and unwritable folders without a stack trace', async () => {
    expect((await run('demo', '/tmp/x', '--size', 'huge')).code).toBe(2);
    expect((await run('demo', '/tmp/x', '--subjects', '0')).code).toBe(2);
    const base = mkdtempSync(path.join(os.tmpdir(), 'mer-cli-ro-'));
    writeFileSync(path.join(base, 'a-file'), 'not a folder');
    const result = await run('demo', path.join(base, 'a-file', 'demo'));
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/ENOTDIR|not a directory/);
    expect(result.err).not.toContain('    at ');
  });
});
