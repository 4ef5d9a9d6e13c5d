import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIO } from '../../src/main/cli/command';
import { runCli } from '../../src/main/cli/index';
import { generateDemoDataset } from '../../src/main/dataset/demo/generate';
import { projectFile } from '../../src/main/app/paths';
import { cardPathFor, mapDigest } from '../../src/main/model/card';
import { shippedModelPath } from '../../src/main/model/session';
import { parseCsv } from '../../src/main/report/csv';
import { hasTorch } from '../support/python';
import { hasSharedData, noteIfSharedMissing, sharedPath } from '../support/shared-data';

interface Captured {
  code: number;
  out: string;
  err: string;
}

async function cli(...argv: string[]): Promise<Captured> {
  let out = '';
  let err = '';
  const io: CliIO = {
    out: (text) => (out += `${text}\n`),
    err: (text) => (err += text.endsWith('\n') ? text : `${text}\n`),
    isTTY: false,
    signal: new AbortController().signal,
  };
  const code = await runCli(argv, io);
  return { code, out, err };
}

let work: string;
let previousDataDir: string | undefined;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'mer-classify-cli-'));
  previousDataDir = process.env.MER_DATA_DIR;
  process.env.MER_DATA_DIR = path.join(work, 'app-data');
});

afterAll(async () => {
  if (previousDataDir === undefined) delete process.env.MER_DATA_DIR;
  else process.env.MER_DATA_DIR = previousDataDir;
  await rm(work, { recursive: true, force: true });
});

describe('mer-studio classify <dataset>', () => {
  let dataset: string;

  beforeAll(async () => {
    dataset = path.join(work, 'demo');
    await generateDemoDataset(dataset, { subjects: 2, clipsPerSubject: 3, framesPerClip: 30 });
  });

  it('refuses a coder with no annotations here, naming the coders there are', async () => {
    const folder = path.join(dataset, '.mer-studio', 'annotations');
    await mkdir(folder, { recursive: true });
    const file = { schemaVersion: 1, coder: 'Zoë', dataset: 'demo', annotations: {} };
    await writeFile(path.join(folder, `${encodeURIComponent('Zoë')}.json`), JSON.stringify(file));
    const result = await cli('classify', dataset, '--provider', 'cpu', '--coder', 'Zoe');
    expect(result.code).toBe(3);
    expect(result.err).toContain(`--coder Zoe: no annotations of this coder in ${dataset}`);
    expect(result.err).toContain('coders found here: Zoë');
    await rm(folder, { recursive: true });
  });

  it('refuses an output path that cannot be written before any work', async () => {
    const result = await cli(
      'classify',
      dataset,
      '--provider',
      'cpu',
      '--out',
      path.join(work, 'missing-folder', 'r.csv'),
    );
    expect(result.code).toBe(3);
    expect(result.err).toContain(path.join(work, 'missing-folder'));
    expect(result.err).toMatch(/does not exist/);
    const folder = await cli('classify', dataset, '--provider', 'cpu', '--metrics-out', work);
    expect(folder.code).toBe(3);
    expect(folder.err).toMatch(/is a folder/);
    expect(existsSync(path.join(dataset, '.mer-studio', 'results'))).toBe(false);
    const labels = path.join(work, 'labels.csv');
    await writeFile(labels, 'sub,filename_o,label\n');
    const onInput = await cli('classify', '--flow-maps', work, '--labels', labels, '--out', labels);
    expect(onInput.code).toBe(3);
    expect(onInput.err).toContain(`--out ${labels} is the --labels file: it would be overwritten`);
    expect(await readFile(labels, 'utf8')).toBe('sub,filename_o,label\n');
    const twice = path.join(work, 'r.csv');
    const same = await cli('classify', dataset, '--out', twice, '--metrics-out', twice);
    expect(same.code).toBe(3);
    expect(same.err).toContain(`--metrics-out ${twice} is also --out`);
  });

  it('refuses an annotation file made for another dataset', async () => {
    const other = path.join(work, 'other.csv');
    await writeFile(
      other,
      'Subject,Filename,OnsetFrame,ApexFrame,OffsetFrame,Estimated Emotion\n' +
        '01,EP02_01f,46,59,86,happiness\n01,EP03_02,131,139,161,others\n',
    );
    const result = await cli('classify', dataset, '--provider', 'cpu', '--annotations', other);
    expect(result.code).toBe(3);
    expect(result.err).toContain(other);
    expect(result.err).toMatch(/another dataset/);
    expect(existsSync(path.join(dataset, '.mer-studio', 'results'))).toBe(false);
  });

  it('refuses a model whose card does not match its graph', async () => {
    const models = path.join(work, 'models');
    await mkdir(models, { recursive: true });
    await copyFile(projectFile('models/ahmsa-net.onnx'), path.join(models, 'edited.onnx'));
    const card = JSON.parse(await readFile(projectFile('models/ahmsa-net.card.json'), 'utf8'));
    card.input.name = 'maps';
    await writeFile(path.join(models, 'edited.card.json'), JSON.stringify(card));
    const result = await cli(
      'classify',
      dataset,
      '--provider',
      'cpu',
      '--model',
      path.join(models, 'edited.onnx'),
    );
    expect(result.code).toBe(3);
    expect(result.err).toMatch(
      /edited\.onnx: model does not match its card: input "maps" not in graph/,
    );
  });

  it.skipIf(!hasTorch('wrong-shape model test'))(
    'refuses a model with the wrong input shape (made with torch)',
    async () => {
      const model = path.join(work, 'models', 'wrong-shape.onnx');
      execFileSync('/usr/bin/python3', ['-c', WRONG_SHAPE_MODEL, model], { stdio: 'pipe' });
      const card = JSON.parse(await readFile(projectFile('models/ahmsa-net.card.json'), 'utf8'));
      delete card.sha256; // the card's own model is not this one: the shape check must say why
      await writeFile(model.replace(/\.onnx$/, '.card.json'), JSON.stringify(card));
      const result = await cli('classify', dataset, '--provider', 'cpu', '--model', model);
      expect(result.code).toBe(3);
      expect(result.err).toMatch(/graph input shape is \[.*32, 32\], expected \[N, 3, 28, 28\]/);
    },
  );

  it('stops on Ctrl-C with a progress bar on a TTY, writes no report, and says how to resume', async () => {
    const controller = new AbortController();
    let err = '';
    let out = '';
    const io: CliIO = {
      out: (text) => (out += `${text}\n`),
      err: (text) => {
        err += text;
        if (/\] [1-9]\d*\/6 /.test(text)) controller.abort();
      },
      isTTY: true,
      signal: controller.signal,
    };
    const report = path.join(work, 'cancelled.csv');
    const code = await runCli(['classify', dataset, '--provider', 'cpu', '--out', report], io);
    expect(code).toBe(1);
    expect(err).toMatch(/\[#*\.*\] \d\/6 +\d+\.\d clips\/s/);
    expect(err).toMatch(/cancelled after \d of 6 clips: no report written; run again to resume/);
    expect(existsSync(report)).toBe(false);
    if (/UF1/.test(out)) expect(out).toMatch(/^partial \(\d of 6 clips\): UF1 /m);
  });

  it('classifies the dataset, writes every report and prints UF1/UAR', async () => {
    const out = (name: string) => path.join(work, name);
    const result = await cli(
      'classify',
      dataset,
      '--provider',
      'cpu',
      '--json',
      '--bom',
      '--out',
      out('clips.csv'),
      '--metrics-out',
      out('metrics.csv'),
      '--megc-out',
      out('megc.csv'),
      '--matrix-png',
      out('matrix.png'),
    );
    expect(result.err).not.toMatch(/failed/);
    expect(result.code).toBe(0);
    // No terminal (a log file): plain progress lines, no redrawn bar.
    expect(result.err).toMatch(/^progress \d\/6 {2}\d+\.\d clips\/s/m);
    expect(result.err).not.toContain('\r');
    const summary = JSON.parse(result.out) as {
      state: string;
      complete: boolean;
      counts: { planned: number; computed: number; cached: number; failed: number };
      metrics: { overall: { count: number; uf1: number | null; uar: number | null } };
      written: Array<{ kind: string }>;
    };
    expect(summary.state).toBe('done');
    expect(summary.complete).toBe(true);
    expect(summary.counts.planned).toBe(6);
    expect(summary.counts.failed).toBe(0);
    // the cancelled run before kept its finished clips
    expect(summary.counts.cached).toBeGreaterThan(0);
    expect(summary.counts.computed + summary.counts.cached).toBe(6);
    expect(summary.metrics.overall.count).toBe(6);
    expect(summary.metrics.overall.uf1).not.toBeNull();
    expect(summary.written.map((file) => file.kind)).toEqual([
      'clips',
      'metrics',
      'megc',
      'matrix',
    ]);

    const clipsText = await readFile(out('clips.csv'), 'utf8');
    expect(clipsText.startsWith('\uFEFF')).toBe(true);
    const rows = parseCsv(clipsText);
    expect(rows).toHaveLength(7);
    const header = rows[0];
    for (const row of rows.slice(1)) {
      const p = ['p_negative', 'p_positive', 'p_surprise'].map((name) =>
        Number(row[header.indexOf(name)]),
      );
      expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 2);
      expect(row[header.indexOf('status')]).not.toBe('failed');
    }
    const megc = parseCsv(await readFile(out('megc.csv'), 'utf8'));
    expect(megc).toHaveLength(6);
    expect(megc.every((row) => row.length === 4 && ['0', '1', '2'].includes(row[3]))).toBe(true);
    expect((await sharp(out('matrix.png')).metadata()).format).toBe('png');

    const again = await cli('classify', dataset, '--provider', 'cpu', '--json');
    const second = JSON.parse(again.out) as { counts: { computed: number; cached: number } };
    expect(second.counts).toMatchObject({ computed: 0, cached: 6 });
  });

  it('prints dataset-wide problems, such as a demo made by an older generator', async () => {
    const manifestPath = path.join(dataset, 'mer-demo.json');
    const manifest = await readFile(manifestPath, 'utf8');
    await writeFile(manifestPath, JSON.stringify({ ...JSON.parse(manifest), version: 1 }));
    try {
      const result = await cli('classify', dataset, '--provider', 'cpu', '--json');
      expect(result.code).toBe(0);
      expect(result.err).toContain(
        'warning: mer-demo.json: written by an older demo generator (version 1',
      );
    } finally {
      await writeFile(manifestPath, manifest);
    }
  });

  it("says why a clip has no annotation when the file's row for it was rejected", async () => {
    const sheet = path.join(work, 'bad-apex.csv');
    await writeFile(
      sheet,
      'Subject,Filename,OnsetFrame,ApexFrame,OffsetFrame\nsub01,EP01,2,99,120\nsub01,EP02,2,10,20\n',
    );
    const plain = path.join(work, 'plain'); // the demo's frames without its truth
    await cp(path.join(dataset, 'sub01'), path.join(plain, 'sub01'), { recursive: true });
    const result = await cli('classify', plain, '--annotations', sheet, '--provider', 'cpu');
    expect(result.code).toBe(0);
    expect(result.err).toMatch(
      /skipped sub01\/EP01: row 2 of bad-apex\.csv rejected: frame not in clip: apex frame 99 is not a frame of sub01\/EP01/,
    );
  });

  it('exits 3 and says so when every clip fails', async () => {
    const broken = path.join(work, 'broken');
    await generateDemoDataset(broken, { subjects: 1, clipsPerSubject: 2, framesPerClip: 20 });
    for (const entry of await readdir(broken, { recursive: true })) {
      if (entry.endsWith('.jpg')) await writeFile(path.join(broken, entry), '');
    }
    const result = await cli('classify', broken, '--provider', 'cpu');
    expect(result.code).toBe(3);
    expect(result.out).toContain('no clip was classified: no UF1/UAR');
    expect(result.err).toContain('every clip failed: nothing was classified');
  });
});

describe('mer-studio classify --flow-maps', () => {
  let maps: string;

  beforeAll(async () => {
    maps = path.join(work, 'maps');
    await mkdir(maps, { recursive: true });
    const noise = (width: number, channels: 1 | 3) =>
      sharp(
        Buffer.from(Array.from({ length: width * width * channels }, (_, i) => (i * 37) % 256)),
        {
          raw: { width, height: width, channels },
        },
      )
        .toColourspace(channels === 1 ? 'b-w' : 'srgb')
        .png();
    for (const name of ['s1_clipA', 's1_clipB', 's2_clipC'])
      await noise(28, 3).toFile(path.join(maps, `${name}.png`));
    await noise(32, 3).toFile(path.join(maps, 's2_big.png'));
    await noise(28, 1).toFile(path.join(maps, 's2_grey.png'));
    const floats = Buffer.alloc(3 * 28 * 28 * 4);
    for (let i = 0; i < 3 * 28 * 28; i++) floats.writeFloatLE(Math.sin(i), i * 4);
    await writeFile(path.join(maps, 's3_clipD.f32'), floats);
    await writeFile(
      path.join(maps, 'labels.csv'),
      'dataset,sub,filename_o,label\nsamm,s1,clipA,0\nsamm,s1,clipB,1\nsmic,s2,clipC,2\nsmic,s3,clipD,2\nsmic,s9,nowhere,1\n',
    );
  });

  it('names the files of the wrong size or channels and the labels of unknown maps, classifies the rest', async () => {
    const result = await cli(
      'classify',
      '--flow-maps',
      maps,
      '--labels',
      path.join(maps, 'labels.csv'),
      '--provider',
      'cpu',
      '--json',
    );
    expect(result.code).toBe(0);
    expect(result.err).toMatch(/s2_big\.png: 32×32 pixels; maps must be 28×28/);
    expect(result.err).toMatch(/s2_grey\.png: 1 channel; maps must be RGB/);
    expect(result.err).toMatch(/line 6: no map s9_nowhere\.png/);
    const summary = JSON.parse(result.out) as {
      counts: { maps: number; rejected: number; labelled: number; labelProblems: number };
      metrics: { overall: { count: number }; bySource: Array<{ group: string }> };
    };
    expect(summary.counts).toEqual({
      maps: 4,
      rejected: 2,
      labelled: 4,
      unlabelled: 0,
      labelProblems: 1,
      inTraining: 0,
    });
    expect(summary.metrics.overall.count).toBe(4);
    expect(summary.metrics.bySource.map((group) => group.group)).toEqual(['samm', 'smic']);
    expect(result.err).not.toMatch(/trained on/);
  });

  it('says which maps the model was trained on, and scores the others apart', async () => {
    // The three PNG maps hold the same pixels, so listing one lists all three.
    const model = path.join(work, 'listed', 'model.onnx');
    await mkdir(path.dirname(model), { recursive: true });
    await copyFile(shippedModelPath(), model);
    const card = JSON.parse(await readFile(cardPathFor(shippedModelPath()), 'utf8')) as {
      training: Record<string, unknown>;
    };
    const pixels = (await sharp(path.join(maps, 's1_clipA.png')).raw().toBuffer()).values();
    const planar = new Float32Array(3 * 28 * 28);
    [...pixels].forEach((value, i) => (planar[(i % 3) * 28 * 28 + Math.floor(i / 3)] = value));
    card.training = { ...card.training, mapDigests: [mapDigest(planar)] };
    await writeFile(cardPathFor(model), JSON.stringify(card));
    // and a copy of that map saved at another scale, floats in [0, 1]: the same input to the model
    const listedMaps = path.join(work, 'listed', 'maps');
    await cp(maps, listedMaps, { recursive: true });
    const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 28, 28), }".padEnd(117);
    const scaled = Float32Array.from(planar, (value) => value / 255);
    await writeFile(
      path.join(listedMaps, 's1_scaled.npy'),
      Buffer.concat([
        Buffer.from([0x93, ...Buffer.from('NUMPY'), 1, 0, 118, 0]),
        Buffer.from(`${header}\n`),
        Buffer.from(scaled.buffer),
      ]),
    );
    const result = await cli(
      'classify',
      '--flow-maps',
      listedMaps,
      '--labels',
      path.join(listedMaps, 'labels.csv'),
      '--model',
      model,
      '--out',
      path.join(work, 'listed', 'maps.csv'),
      '--json',
    );
    expect(result.code).toBe(0);
    const csv = parseCsv(await readFile(path.join(work, 'listed', 'maps.csv'), 'utf8'));
    expect(csv.map((row) => [row[0], row.at(-1)])).toEqual([
      ['file', 'in_training'],
      ['s1_clipA.png', 'yes'],
      ['s1_clipB.png', 'yes'],
      ['s1_scaled.npy', 'yes'],
      ['s2_clipC.png', 'yes'],
      ['s3_clipD.f32', 'no'],
    ]);
    expect(result.err).toMatch(/warning: 4 of 5 maps are maps model \S+ was trained on/);
    expect(result.err).toMatch(/on the 1 labelled map it was not trained on: UF1 /);
    const summary = JSON.parse(result.out) as {
      counts: { inTraining: number };
      metricsOnUnseenMaps: { overall: { count: number } };
      rows: Array<{ file: string; inTraining: boolean }>;
    };
    expect(summary.counts.inTraining).toBe(4);
    expect(summary.metricsOnUnseenMaps.overall.count).toBe(1);
    expect(summary.rows.filter((row) => !row.inTraining).map((row) => row.file)).toEqual([
      's3_clipD.f32',
    ]);
  });

  it('stops with exit 3 when the model answers something other than its card promises', async () => {
    const model = path.resolve('test/fixtures/models/scaled.onnx');
    const result = await cli('classify', '--flow-maps', maps, '--model', model, '--json');
    expect(result.code).toBe(3);
    expect(result.err).toMatch(
      /scaled\.onnx: the card says the output is probabilities, but a row/,
    );
    expect(result.err).not.toMatch(/\n\s+at /); // no stack trace
    expect(JSON.parse(result.out)).toEqual({
      error: expect.stringMatching(/the card says the output is probabilities/),
      exitCode: 3,
    });
  });

  it('refuses metrics output without labels, before work', async () => {
    const result = await cli(
      'classify',
      '--flow-maps',
      maps,
      '--metrics-out',
      path.join(work, 'm.csv'),
    );
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/need ground truth: give --labels/);
  });

  describe.skipIf(noteIfSharedMissing('classify --flow-maps on 3db'))(
    'on the composite 3db maps',
    () => {
      it('classifies all 442 maps and reports per source dataset', async () => {
        const result = await cli(
          'classify',
          '--flow-maps',
          sharedPath('3db', 'flow'),
          '--labels',
          sharedPath('3db', 'labels.csv'),
          '--provider',
          'cpu',
          '--json',
        );
        expect(result.code).toBe(0);
        const summary = JSON.parse(result.out) as {
          counts: { maps: number; labelled: number; rejected: number };
          metrics: {
            overall: { count: number; uf1: number };
            bySource: Array<{ group: string; count: number }>;
          };
        };
        expect(summary.counts).toMatchObject({
          maps: 442,
          labelled: 442,
          rejected: 0,
          inTraining: 442,
        });
        expect(result.err).toMatch(/warning: 442 of 442 maps are maps model \S+ was trained on/);
        expect(result.err).toMatch(/honest estimate is the card's LOSO figure, UF1 0\.\d{4}/);
        expect(summary.metrics.bySource.map((group) => [group.group, group.count])).toEqual([
          ['casme2', 145],
          ['samm', 133],
          ['smic', 164],
        ]);
      });

      it("scores the same with MEGC2019's headerless ground truth (SAMM subjects unpadded)", async () => {
        const run = async (labels: string) => {
          const result = await cli(
            'classify',
            '--flow-maps',
            sharedPath('3db', 'flow'),
            '--labels',
            labels,
            '--provider',
            'cpu',
            '--json',
          );
          expect(result.code).toBe(0);
          return JSON.parse(result.out) as {
            counts: { labelled: number; labelProblems: number };
            metrics: { overall: { uf1: number; uar: number; matrix: number[][] } };
          };
        };
        const megc = await run(sharedPath('annotations', 'megc2019', 'combined_3class_gt.csv'));
        const layout3db = await run(sharedPath('3db', 'labels.csv'));
        expect(megc.counts).toMatchObject({ labelled: 442, labelProblems: 0 });
        expect(megc.metrics.overall).toEqual(layout3db.metrics.overall);
      });
    },
  );
  void hasSharedData;
});

/** A tiny network whose input is [N, 3, 32, 32], exported with the card's input/output names. */
const WRONG_SHAPE_MODEL = `
import sys, torch
class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(3 * 32 * 32, 3)
    def forward(self, x):
        return torch.softmax(self.fc(x.flatten(1)), dim=1)
torch.onnx.export(Net(), torch.zeros(1, 3, 32, 32), sys.argv[1], input_names=['flow'],
                  output_names=['probabilities'], dynamic_axes={'flow': {0: 'n'}, 'probabilities': {0: 'n'}},
                  opset_version=17)
`;
