import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIO } from '../../src/main/cli/command';
import { ExitCode, UserError } from '../../src/main/cli/command';
import { importCommand, parseMapping } from '../../src/main/cli/commands/import';
import type { ImportReport } from '../../src/shared/contract/annotations';
import { makeCasme2 } from '../fixtures/datasets';
import { hasSharedData, noteIfSharedMissing, sharedPath } from '../support/shared-data';

let base: string;
let dataset: string;
let previousDataDir: string | undefined;

beforeAll(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'mer-import-cli-'));
  dataset = path.join(base, 'CASME2_RAW_selected');
  await makeCasme2(dataset, { subjects: 1, clipsPerSubject: 2, frames: 5, firstFrame: 10 });
  previousDataDir = process.env.MER_DATA_DIR;
  process.env.MER_DATA_DIR = path.join(base, 'app-data');
});

afterAll(async () => {
  if (previousDataDir === undefined) delete process.env.MER_DATA_DIR;
  else process.env.MER_DATA_DIR = previousDataDir;
  await rm(base, { recursive: true, force: true });
});

async function run(argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const io: CliIO = {
    out: (text) => (out += `${text}\n`),
    err: () => undefined,
    isTTY: false,
    signal: new AbortController().signal,
  };
  return { code: await importCommand.run(argv, io), out };
}

describe('mer-studio import', () => {
  it('counts a mapped CSV against a dataset, saves it with --save and says what it replaced', async () => {
    const file = path.join(base, 'mine.csv');
    await writeFile(
      file,
      'who,video,a,b,c,feel\n01,EP02_01f,10,12,14,surprise\n01,EP03_02f,9,10,11,fear\n',
    );
    const argv = [
      file,
      '--dataset',
      dataset,
      '--map',
      'subject=who,clip=video,onset=a,apex=b,offset=c,emotion=feel',
    ];
    const first = await run([...argv, '--save', '--json']);
    expect(first.code).toBe(ExitCode.ok);
    const report = JSON.parse(first.out) as ImportReport;
    expect(report).toMatchObject({ rowsRead: 2, rowsMatched: 1, format: 'mapped' });
    expect(report.rejected[0].reason).toMatch(
      /^frame not in clip: onset frame 9 is not a frame of sub01\/EP03_02f/,
    );
    expect(report.counts.all.threeClass).toEqual({ negative: 1, positive: 0, surprise: 1 });
    expect(report.saved?.replaced).toBeNull();
    await stat(path.join(dataset, '.mer-studio', 'imported', 'mine.csv.json'));
    const second = await run([...argv, '--save']);
    expect(second.out).toMatch(
      /rows read: 2 {3}accepted: 2 {3}matched: 1 \(1 clips\) {3}rejected: 1/,
    );
    expect(second.out).toMatch(
      /replaced the import of .* \(2 rows\); coders' annotations untouched/,
    );
  });

  it('rejects a malformed --map and a missing file as the user’s input', async () => {
    expect(() => parseMapping('subject=Subject,when=Time')).toThrow(
      /'when=Time' is not field=Header/,
    );
    expect(parseMapping('clip=Filename, emotion=Estimated Emotion')).toEqual({
      clip: 'Filename',
      emotion: 'Estimated Emotion',
    });
    await expect(run([path.join(base, 'nope.xlsx')])).rejects.toThrow(UserError);
    await expect(run([path.join(base, 'nope.xlsx'), '--save'])).rejects.toThrow(
      /--save needs --dataset/,
    );
  });

  noteIfSharedMissing('mer-studio import on the real CASME II and SAMM sheets');
  it.skipIf(!hasSharedData)('prints the CASME II sheet’s counts without a dataset', async () => {
    const sheet = sharedPath('annotations', 'casme2', 'CASME2-coding-20140508.xlsx');
    const composite = sharedPath('annotations', 'megc2019', 'combined_3class_gt.csv');
    const { code, out } = await run([sheet, '--composite', composite]);
    expect(code).toBe(ExitCode.ok);
    expect(out).toMatch(
      /rows read: 255 {3}accepted: 254 {3}matched: — \(no --dataset\) {3}rejected: 1/,
    );
    expect(out).toMatch(
      /row \d+ \(04 EP12_01f\): not a frame number: apex '\/' is not a frame number/,
    );
    expect(out).toMatch(/3-class, all rows read: negative 99 \/ positive 32 \/ surprise 25/);
    expect(out).toMatch(
      /3-class, rows in the composite: negative 88 \/ positive 32 \/ surprise 25/,
    );
    expect(out).toMatch(/native labels, all rows read: others 99, disgust 63, happiness 32/);
  });

  it.skipIf(!hasSharedData)(
    'writes the SAMM sheet’s action units per clip for the trainer (--units-csv)',
    async () => {
      const sheet = sharedPath('annotations', 'samm', 'SAMM_Micro_FACS_Codes_v2.xlsx');
      const units = path.join(base, 'samm-units.csv');
      const { code } = await run([sheet, '--units-csv', units]);
      expect(code).toBe(ExitCode.ok);
      const lines = (await readFile(units, 'utf8')).trim().split('\r\n');
      expect(lines[0]).toBe('dataset,subject,clip,aus');
      expect(lines).toContain('samm,006,006_1_2,4+7');
      expect(lines.length - 1).toBe(159); // every accepted row of MICRO_ONLY
      expect(
        lines.every((line) => /^samm,\d{3},[\w-]+,(\d+(\+\d+)*)?$/.test(line) || line === lines[0]),
      ).toBe(true);
    },
  );
});
