import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';

import { ExitCode, UserError, type CliIO } from '../cli/command';
import { flowCommand } from '../cli/commands/flow';
import { readFlo } from './flo';
import { writeFlo } from './flo';
import { syntheticPair } from './synthetic';
import type { GreyImage } from './types';

const dirPromise = mkdtemp(path.join(tmpdir(), 'mer-flow-cli-'));
afterAll(async () => rm(await dirPromise, { recursive: true, force: true }));

function captureIO(): CliIO & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout,
    stderr,
    out: (text) => stdout.push(text),
    err: (text) => stderr.push(text),
    isTTY: false,
    signal: new AbortController().signal,
  };
}

async function writeGreyPng(file: string, image: GreyImage): Promise<void> {
  const bytes = Uint8Array.from(image.data, (value) => Math.round(value));
  await sharp(Buffer.from(bytes), {
    raw: { width: image.width, height: image.height, channels: 1 },
  })
    .png()
    .toFile(file);
}

async function pairOnDisk() {
  const dir = await dirPromise;
  const pair = syntheticPair(96, 72, 1.5, 23);
  const file0 = path.join(dir, 'f0.png');
  const file1 = path.join(dir, 'f1.png');
  const gt = path.join(dir, 'gt.flo');
  await writeGreyPng(file0, pair.frame0);
  await writeGreyPng(file1, pair.frame1);
  await writeFlo(gt, pair.flow);
  return { dir, file0, file1, gt };
}

describe('mer-studio flow', () => {
  it('computes, writes .flo and reports AEE as JSON', async () => {
    const { dir, file0, file1, gt } = await pairOnDisk();
    const out = path.join(dir, 'out.flo');
    const io = captureIO();
    const code = await flowCommand.run(
      [file0, file1, '--out', out, '--gt', gt, '--threads', '2', '--json'],
      io,
    );
    expect(code).toBe(ExitCode.ok);
    const report = JSON.parse(io.stdout.join('')) as Record<string, number | string>;
    expect(report).toMatchObject({ width: 96, height: 72, threads: 2, preset: 'ipol', out });
    expect(report.aee).toBeLessThan(0.15); // 8-bit rounding of the frames costs some accuracy
    expect(report.maxMagnitude).toBeGreaterThan(0.5);
    const written = await readFlo(out);
    expect(written.width).toBe(96);
  });

  it('prints a human-readable summary', async () => {
    const { file0, file1, gt } = await pairOnDisk();
    const io = captureIO();
    await flowCommand.run([file0, file1, '--gt', gt, '--preset', 'fast'], io);
    const text = io.stdout.join('\n');
    expect(text).toMatch(/size\s+96x72/);
    expect(text).toMatch(/magnitude\s+mean [\d.]+ px, max [\d.]+ px/);
    expect(text).toMatch(/AEE\s+[\d.]+ px over 6912 pixels/);
  });

  it('prints its help', async () => {
    const io = captureIO();
    expect(await flowCommand.run(['--help'], io)).toBe(ExitCode.ok);
    expect(io.stdout.join('\n')).toMatch(/Usage: mer-studio flow <frame0> <frame1>/);
    expect(flowCommand.help).toMatch(/--gt <file.flo>/);
  });

  it('rejects bad usage with UserError', async () => {
    const { dir, file0, file1 } = await pairOnDisk();
    const io = captureIO();
    const attempts: [string[], RegExp][] = [
      [[file0], /expected two frames/],
      [[file0, file1, '--threads', 'many'], /--threads must be/],
      [[file0, file1, '--threads', '0'], /--threads must be/],
      [[file0, file1, '--preset', 'turbo'], /--preset must be one of/],
      [[file0, file1, '--bogus'], /Unknown option/],
      [[file0, path.join(dir, 'missing.png')], /missing\.png: frame file is missing/],
      [[file0, dir], /frame path is a folder/],
    ];
    for (const [argv, message] of attempts) {
      const failure = flowCommand.run(argv, io);
      await expect(failure).rejects.toBeInstanceOf(UserError);
      await expect(failure).rejects.toThrow(message);
    }
  });

  it('rejects frames of different sizes and mismatched ground truth', async () => {
    const { dir, file0, file1 } = await pairOnDisk();
    const small = path.join(dir, 'small.png');
    await writeGreyPng(small, syntheticPair(20, 10, 0, 1).frame1);
    const io = captureIO();
    await expect(flowCommand.run([file0, small], io)).rejects.toThrow(/frames differ in size/);
    const badGt = path.join(dir, 'bad-gt.flo');
    await writeFile(badGt, 'not a flo file at all');
    await expect(flowCommand.run([file0, file1, '--gt', badGt], io)).rejects.toThrow(
      /cannot read ground truth/,
    );
  });
});
