import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  mapMatcher,
  matchLabelsToMaps,
  readFlowMaps,
  readMapLabels,
  type MapLabel,
} from './flow-maps';

function labelsFile(text: string | Buffer): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'mer-labels-')), 'labels.csv');
  writeFileSync(file, text);
  return file;
}

const label = (subject: string, clip: string): MapLabel => ({
  dataset: 'x',
  subject,
  clip,
  label: 'negative',
  line: 1,
});

describe('map labels', () => {
  it("reads MEGC2019's headerless ground truth (db,subject,clip,label) from its first line", async () => {
    const { labels, problems } = await readMapLabels(
      labelsFile('casme2,sub01,EP02_01f,1\nsamm,6,006_1_2,0\nsmic,s01,s01_ne_01,7\n'),
    );
    expect(labels).toEqual([
      { dataset: 'casme2', subject: 'sub01', clip: 'EP02_01f', label: 'positive', line: 1 },
      { dataset: 'samm', subject: '6', clip: '006_1_2', label: 'negative', line: 2 },
    ]);
    expect(problems.map((problem) => problem.message)).toEqual([
      'line 3: label "7" is not 0, 1, 2 or a class name',
    ]);
  });

  it('reads what Excel saves: UTF-16 text, semicolons, a file column naming the map', async () => {
    const text = 'subject;file;label\r\nsub01;sub01_EP02_01f.png;positive\r\n';
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const { labels, problems } = await readMapLabels(labelsFile(utf16));
    expect(problems).toEqual([]);
    expect(labels).toEqual([
      { dataset: 'all', subject: 'sub01', clip: 'sub01_EP02_01f', label: 'positive', line: 2 },
    ]);
    expect(mapMatcher(['sub01_EP02_01f'])(labels[0])).toBe('sub01_EP02_01f');
  });

  it('reads a header without a dataset column, and names the columns it lacks', async () => {
    const { labels } = await readMapLabels(labelsFile('subject,clip,label\ns1,a,surprise\n'));
    expect(labels).toEqual([
      { dataset: 'all', subject: 's1', clip: 'a', label: 'surprise', line: 2 },
    ]);
    await expect(readMapLabels(labelsFile('sub,emotion\ns1,happy\n'))).rejects.toThrow(
      /no clip, label column.*headerless db,subject,clip,label/,
    );
  });

  it('finds the map as <subject>_<clip>, <clip>, or the one map ending in _<clip>', () => {
    const names = ['sub01_EP02_01f', 'EP03_02', '006_006_1_2', 'a_c_x_1', 'b_c_x_1'];
    const mapFor = mapMatcher([...names, 'casme2_sub09_EP07_01']);
    expect(mapFor(label('sub01', 'EP02_01f'))).toBe('sub01_EP02_01f');
    expect(mapFor(label('sub02', 'EP03_02'))).toBe('EP03_02');
    expect(mapFor(label('6', '006_1_2'))).toBe('006_006_1_2');
    expect(mapFor(label('9', 'EP07_01'))).toBe('casme2_sub09_EP07_01');
    expect(mapFor(label('c', 'x_1'))).toBeUndefined(); // two maps end in c_x_1: not guessed
    // CASME II clip names repeat across subjects: sub09's label never takes sub01's map
    expect(mapFor(label('sub09', 'EP02_01f'))).toBeUndefined();
    expect(mapFor(label('7', '006_1_2'))).toBeUndefined();
    expect(mapFor(label('s1', 'missing'))).toBeUndefined();
  });
});

/** A .npy file as NumPy writes one (format 1.0, header padded to 64 bytes). */
function npy(descr: string, shape: number[], data: Buffer, fortran = false): Buffer {
  const order = fortran ? 'True' : 'False';
  let header = `{'descr': '${descr}', 'fortran_order': ${order}, 'shape': (${shape.join(', ')}), }`;
  header = header.padEnd(64 - 10 - 1) + '\n';
  const prefix = Buffer.from([0x93, ...Buffer.from('NUMPY'), 1, 0, header.length, 0]);
  return Buffer.concat([prefix, Buffer.from(header, 'latin1'), data]);
}

describe('reading maps', () => {
  it('reads .npy maps channels-first or channels-last, as .f32 holds them, and names the rest', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mer-maps-'));
    const values = Float32Array.from({ length: 3 * 28 * 28 }, (_, i) => Math.sin(i));
    writeFileSync(path.join(dir, 'a.f32'), Buffer.from(values.buffer));
    writeFileSync(path.join(dir, 'b.npy'), npy('<f4', [3, 28, 28], Buffer.from(values.buffer)));
    const last = new Float64Array(values.length);
    values.forEach((value, i) => (last[(i % 784) * 3 + Math.floor(i / 784)] = value));
    writeFileSync(path.join(dir, 'c.npy'), npy('<f8', [28, 28, 3], Buffer.from(last.buffer)));
    writeFileSync(path.join(dir, 'd.npy'), npy('<f4', [28, 28], Buffer.alloc(28 * 28 * 4)));
    writeFileSync(path.join(dir, 'e.jpg'), 'not read');
    writeFileSync(path.join(dir, 'f.npz'), 'not read');
    mkdirSync(path.join(dir, 'more'));
    writeFileSync(
      path.join(dir, 'flat.f32'),
      Buffer.from(new Float32Array(3 * 28 * 28).fill(7).buffer),
    );
    symlinkSync(path.join(dir, 'a.f32'), path.join(dir, 'linked.f32')); // maps shared by links
    const { maps, problems } = await readFlowMaps(dir);
    expect(maps.map((map) => map.name)).toEqual(['a', 'b', 'c', 'linked']);
    expect(maps[3].maps).toEqual(maps[0].maps);
    expect(maps[1].maps).toEqual(maps[0].maps);
    expect(maps[2].maps).toEqual(maps[0].maps);
    expect(problems.map((p) => [path.basename(p.file), p.message])).toEqual([
      ['e.jpg', expect.stringMatching(/not read: maps are PNG \(lossless\), \.npy or \.f32/)],
      ['f.npz', 'not read: an archive of arrays; save each map as its own .npy (or PNG)'],
      ['d.npy', '.npy of shape (28, 28); maps are (3, 28, 28) or (28, 28, 3)'],
      ['flat.f32', 'every channel is constant: the map holds no motion to classify'],
    ]);
  });
});

describe('maps of other pipelines', () => {
  const png = (pixels: (i: number) => number) =>
    sharp(Buffer.from(Array.from({ length: 28 * 28 * 3 }, (_, i) => pixels(i))), {
      raw: { width: 28, height: 28, channels: 3 },
    });

  it('reads per-subject subfolders, one file per name, and refuses flat or lossy PNGs', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mer-maps-'));
    mkdirSync(path.join(dir, 'sub01'));
    await png((i) => (i * 7) % 256)
      .png()
      .toFile(path.join(dir, 'sub01', 'EP01.png'));
    const values = Float32Array.from({ length: 3 * 28 * 28 }, (_, i) => Math.cos(i));
    writeFileSync(
      path.join(dir, 'sub01', 'EP01.npy'),
      npy('<f4', [3, 28, 28], Buffer.from(values.buffer)),
    );
    await png(() => 128)
      .png()
      .toFile(path.join(dir, 'flat.png'));
    await png((i) => (i * 5) % 256)
      .jpeg()
      .toFile(path.join(dir, 'lossy.png'));
    const { maps, problems } = await readFlowMaps(dir);
    expect(maps.map((map) => [map.name, path.basename(map.file)])).toEqual([
      ['sub01/EP01', 'EP01.png'],
    ]);
    expect(problems.map((p) => [path.relative(dir, p.file), p.message])).toEqual([
      ['flat.png', 'every channel is constant: the map holds no motion to classify'],
      ['lossy.png', expect.stringMatching(/holds jpeg data/)],
      ['sub01/EP01.npy', 'not read: EP01.png has the same name and is read instead'],
    ]);
    const matched = matchLabelsToMaps([label('sub01', 'EP01')], ['sub01/EP01'], dir);
    expect(matched.labelOf.get('sub01/EP01')).toBeDefined();
  });

  it('reads path columns and labels as pandas writes them, and says how to write an emotion', async () => {
    const file = labelsFile('path,subject,label\nsub01/EP01.png,sub01,1.0\nEP02,sub01,happiness\n');
    const { labels, problems } = await readMapLabels(file);
    expect(labels.map((l) => [l.clip, l.label])).toEqual([['sub01/EP01', 'positive']]);
    expect(problems.map((p) => p.message)).toEqual([
      expect.stringMatching(/line 3: .*the composite's 3-class label for happiness is positive/),
    ]);
  });
});

describe('maps with a header naming their layout (mer-studio input writes them)', () => {
  it("reads the model's layout and names the others", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mer-layout-'));
    const values = Float32Array.from({ length: 3 * 28 * 28 }, (_, i) => Math.sin(i));
    for (const name of ['model-input', 'mosaic', 'plain']) {
      writeFileSync(path.join(dir, `${name}.f32`), Buffer.from(values.buffer));
    }
    writeFileSync(path.join(dir, 'model-input.json'), JSON.stringify({ layout: 'whole-face' }));
    writeFileSync(path.join(dir, 'mosaic.json'), JSON.stringify({ layout: 'mosaic [a | b]' }));
    writeFileSync(path.join(dir, 'plain.json'), '{ not a header');
    const forFace = await readFlowMaps(dir);
    expect(forFace.maps.map((map) => map.name)).toEqual(['model-input', 'plain']);
    expect(forFace.problems.map((p) => [path.basename(p.file), p.message])).toEqual([
      [
        'mosaic.f32',
        'mosaic.json says its layout is "mosaic [a | b]"; the model reads whole-face maps',
      ],
    ]);
    const forMosaic = await readFlowMaps(dir, 'mosaic [a | b]');
    expect(forMosaic.maps.map((map) => map.name)).toEqual(['mosaic', 'plain']);
  });
});

describe('.npy maps as NumPy may save them', () => {
  it('reads float16, big-endian and Fortran-order arrays as the trainer does', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mer-npy-'));
    const values = Float32Array.from({ length: 3 * 28 * 28 }, (_, i) => (i % 50) - 25); // exact in float16
    const half = Buffer.alloc(values.length * 2);
    values.forEach((value, i) => half.writeUInt16LE(toFloat16(value), i * 2));
    writeFileSync(path.join(dir, 'half.npy'), npy('<f2', [3, 28, 28], half));
    const big = Buffer.alloc(values.length * 4);
    values.forEach((value, i) => big.writeFloatBE(value, i * 4));
    writeFileSync(path.join(dir, 'big.npy'), npy('>f4', [3, 28, 28], big));
    const columnMajor = Buffer.alloc(values.length * 4);
    values.forEach((value, i) => {
      const [c, y, x] = [Math.floor(i / 784), Math.floor(i / 28) % 28, i % 28];
      columnMajor.writeFloatLE(value, (c + 3 * (y + 28 * x)) * 4);
    });
    writeFileSync(path.join(dir, 'fortran.npy'), npy('<f4', [3, 28, 28], columnMajor, true));
    writeFileSync(path.join(dir, 'complex.npy'), npy('<c8', [3, 28, 28], Buffer.alloc(6272 * 2)));
    const { maps, problems } = await readFlowMaps(dir);
    expect(maps.map((map) => map.name)).toEqual(['big', 'fortran', 'half']);
    for (const map of maps) expect(map.maps, map.name).toEqual(values);
    expect(problems.map((p) => p.message)).toEqual([
      '.npy of type <c8; maps are float or integer numbers',
    ]);
  });
});

/** A float16's bits, for the small integers the test writes. */
function toFloat16(value: number): number {
  if (value === 0) return 0;
  const sign = value < 0 ? 0x8000 : 0;
  const magnitude = Math.abs(value);
  const exponent = Math.floor(Math.log2(magnitude));
  const fraction = Math.round((magnitude / 2 ** exponent - 1) * 1024);
  return sign | ((exponent + 15) << 10) | fraction;
}

describe('labels matched to maps', () => {
  it('leaves a map labelled two different ways unscored and names both lines', () => {
    const at = (line: number, value: MapLabel['label']): MapLabel => ({
      ...label('s1', 'a'),
      label: value,
      line,
    });
    const { labelOf, problems } = matchLabelsToMaps(
      [at(2, 'negative'), at(3, 'negative'), at(4, 'positive'), { ...label('s1', 'b'), line: 5 }],
      ['s1_a', 's1_b'],
      '/maps',
    );
    expect([...labelOf.keys()]).toEqual(['s1_b']);
    expect(problems).toEqual([
      'line 4: labels map s1_a positive, line 2 negative; the map is left unscored',
    ]);
  });
});
