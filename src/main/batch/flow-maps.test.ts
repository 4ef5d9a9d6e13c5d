import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mapMatcher, readMapLabels, type MapLabel } from './flow-maps';

function labelsFile(text: string): string {
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
    const mapFor = mapMatcher(['sub01_EP02_01f', 'EP03_02', '006_006_1_2', 'a_x_1', 'b_x_1']);
    expect(mapFor(label('sub01', 'EP02_01f'))).toBe('sub01_EP02_01f');
    expect(mapFor(label('sub02', 'EP03_02'))).toBe('EP03_02');
    expect(mapFor(label('6', '006_1_2'))).toBe('006_006_1_2');
    expect(mapFor(label('c', 'x_1'))).toBeUndefined(); // two maps end in _x_1: not guessed
    expect(mapFor(label('s1', 'missing'))).toBeUndefined();
  });
});
