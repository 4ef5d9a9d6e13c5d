import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { CliIO } from '../../src/main/cli/command';
import { runCli } from '../../src/main/cli/index';
import { hasTorch } from '../support/python';

/** 4 subjects × 3 classes × 2 maps of random motion. */
async function writeMaps(dir: string): Promise<string> {
  const rows = ['file,subject,label'];
  for (let subject = 1; subject <= 4; subject++) {
    for (let i = 0; i < 6; i++) {
      const name = `s${subject}_m${i}.png`;
      const pixels = Buffer.from(
        Array.from({ length: 28 * 28 * 3 }, () => Math.floor(Math.random() * 256)),
      );
      await sharp(pixels, { raw: { width: 28, height: 28, channels: 3 } })
        .png()
        .toFile(path.join(dir, name));
      rows.push(`${name},s${subject},${i % 3}`);
    }
  }
  const labels = path.join(dir, 'labels.csv');
  writeFileSync(labels, `${rows.join('\n')}\n`);
  return labels;
}

/** Live processes whose parent is `parent` (Linux /proc; zombies count as gone). */
function childrenOf(parent: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(ppid) === parent && state !== 'Z') children.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return children;
}

function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** The trainer process whose command line names `marker`. */
function trainerPid(marker: string): number | undefined {
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (command.includes('models.ahmsa.train') && command.includes(marker)) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

describe.skipIf(process.platform !== 'linux' || !hasTorch('train CLI tests'))(
  'mer-studio train',
  () => {
    it('a cancel stops the trainer and its fold workers, and says what is kept', async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'mer-train-cancel-'));
      const labels = await writeMaps(dir);
      const out = path.join(dir, 'run');
      const controller = new AbortController();
      const err: string[] = [];
      const io: CliIO = {
        out: () => undefined,
        err: (text) => err.push(text),
        isTTY: false,
        signal: controller.signal,
      };
      const args = ['train', '--flow-maps', dir, '--labels', labels, '--out', out, '--loso'];
      args.push('--preset', 'tiny', '--epochs', '5000', '--workers', '2', '--threads', '2');
      const running = runCli(args, io);
      let trainer: number | undefined;
      let workers: number[] = [];
      await expect
        .poll(
          () => {
            trainer ??= trainerPid(out);
            workers = trainer === undefined ? [] : childrenOf(trainer);
            return workers.length;
          },
          { timeout: 60_000, interval: 200 },
        )
        .toBeGreaterThanOrEqual(2); // two fold workers (and perhaps a resource tracker)
      controller.abort();
      const code = await running;
      expect(code).not.toBe(0);
      expect(err.join('\n')).toMatch(/cancelled.*kept/);
      expect(err.join('\n')).not.toMatch(/Traceback/);
      const processes = [trainer!, ...workers];
      await expect
        .poll(() => processes.filter(isAlive), { timeout: 20_000, interval: 200 })
        .toEqual([]);
    }, 120_000);
  },
);
