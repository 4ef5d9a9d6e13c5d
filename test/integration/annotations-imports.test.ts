import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppContext } from '../../src/main/app/context';
import { makeCasme2 } from '../fixtures/datasets';
import { call } from '../support/dispatch';
import { MAP, type SaveOutcome } from './annotations-imports-child';

const child = fileURLToPath(new URL('./annotations-imports-child.ts', import.meta.url));
const TURNS = 40;

/** A child process (see the child script's modes); resolves with its stdout once it exits 0. */
function runChild(args: string[], env: NodeJS.ProcessEnv, onReady?: () => void) {
  const proc = spawn(process.execPath, ['--import', 'tsx', child, ...args], {
    env: { ...process.env, ...env },
    stdio: 'pipe',
  });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (onReady && stdout.startsWith('ready\n')) onReady();
  });
  proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<string>((resolve, reject) => {
    proc.on('error', reject);
    proc.on('exit', (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`${args[0]} exited with ${code}: ${stderr}`)),
    );
  });
  return { done, go: () => proc.stdin.end('go\n') };
}

/** A saving process: ready once it has read the sheet; `go` starts its saves. */
function startSaver(root: string, sheet: string, name: string) {
  let markReady = (): void => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const saver = runChild(['save', root, sheet, name, String(TURNS)], {}, () => markReady());
  const outcomes = saver.done.then((stdout) =>
    stdout
      .split('\n')
      .slice(1, -1)
      .map((line) => JSON.parse(line) as SaveOutcome),
  );
  outcomes.catch(() => markReady()); // a child that dies before ready fails the test, not hangs it
  return { ready, go: saver.go, outcomes };
}

describe('imports saved by another process', () => {
  let base: string;
  let root: string;
  let appData: string;

  beforeAll(async () => {
    base = await mkdtemp(path.join(os.tmpdir(), 'mer-imports-'));
    root = path.join(base, 'CASME2_RAW_selected');
    appData = path.join(base, 'app-data');
    await makeCasme2(root, { subjects: 1, clipsPerSubject: 2, frames: 5, firstFrame: 10 });
  });
  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  async function writeSheet(name: string, onset: number): Promise<string> {
    const sheet = path.join(base, name);
    await writeFile(sheet, `who,video,a,b,c,feel\n01,EP02_01f,${onset},12,14,surprise\n`);
    return sheet;
  }

  it('a running app lists and reads what `mer-studio import --save` saved, without a restart', async () => {
    const ctx = new AppContext('cli', appData);
    await call(ctx, 'dataset.open', { path: root });
    const clipId = 'sub01/EP02_01f';
    expect(await call(ctx, 'annotations.imports', {})).toEqual([]);
    expect((await call(ctx, 'annotations.get', { clipId })).importedAll).toEqual([]);

    const importWithCli = async (sheet: string) => {
      const argv = ['import', sheet, '--dataset', root, '--map', MAP, '--save', '--json'];
      await runChild(['cli', ...argv], { MER_DATA_DIR: appData }).done;
    };
    const sheet = await writeSheet('sheet.csv', 10);
    await importWithCli(sheet);
    expect(await call(ctx, 'annotations.imports', {})).toMatchObject([
      { id: 'sheet.csv', clipIds: [clipId] },
    ]);
    const got = await call(ctx, 'annotations.get', { clipId });
    expect(got.imported).toMatchObject({ onset: 0, apex: 2, offset: 4, emotion: 'surprise' });
    const statuses = await call(ctx, 'coding.clipStatus', {});
    expect(statuses.find((status) => status.clipId === clipId)?.statuses).toContain('imported');

    // Imported again with another onset: the app reads the new version.
    await importWithCli(await writeSheet('sheet.csv', 11));
    expect((await call(ctx, 'annotations.get', { clipId })).imported).toMatchObject({ onset: 1 });

    // Removed outside the app: gone from its list too.
    await rm(path.join(root, '.mer-studio', 'imported', 'sheet.csv.json'));
    expect(await call(ctx, 'annotations.imports', {})).toEqual([]);
  });

  it('a report made next reads what another process imported meanwhile', async () => {
    const ctx = new AppContext('cli', appData);
    await call(ctx, 'dataset.open', { path: root });
    const argv = ['import', await writeSheet('report.csv', 10), '--dataset', root, '--map', MAP];
    await runChild(['cli', ...argv, '--save', '--json'], { MER_DATA_DIR: appData }).done;
    const report = await call(ctx, 'report.exportCsv', {});
    const row = report.csv.split('\n').find((line) => line.includes('EP02_01f'));
    expect(row).toContain('surprise');
    await rm(path.join(root, '.mer-studio', 'imported', 'report.csv.json'));
  });

  it('two processes saving the same import at once: each save reports the one it replaced', async () => {
    const sheet = await writeSheet('race.csv', 10);
    const savers = ['serve-a', 'serve-b'].map((name) => startSaver(root, sheet, name));
    await Promise.all(savers.map((saver) => saver.ready));
    for (const saver of savers) saver.go();
    const outcomes = (await Promise.all(savers.map((saver) => saver.outcomes))).flat();
    expect(outcomes).toHaveLength(2 * TURNS);

    // One line of saves: each replaced the one before it, so none was replaced unreported.
    const file = path.join(root, '.mer-studio', 'imported', 'race.csv.json');
    const last = (JSON.parse(await readFile(file, 'utf8')) as { importedAt: string }).importedAt;
    const replaced = outcomes.map((outcome) => outcome.replaced);
    expect(replaced.filter((earlier) => earlier === null)).toHaveLength(1);
    const duplicates = replaced.filter((earlier, i) => replaced.indexOf(earlier) !== i);
    expect(duplicates).toEqual([]);
    expect([...replaced.filter((earlier) => earlier !== null), last].sort()).toEqual(
      outcomes.map((outcome) => outcome.importedAt).sort(),
    );
  });
});
