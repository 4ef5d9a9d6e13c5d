import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { BatchRow } from '../../shared/contract/batch';
import type { Clip, DatasetIndex } from '../../shared/domain';
import { metricsFromMatrix, metricsReport } from '../../shared/metrics';
import { CLIP_REPORT_HEADER, clipReportRows } from './clip-rows';
import { parseCsv, toCsv } from './csv';
import { confusionMatrixPng } from './matrix-image';
import { megcRows } from './megc';
import { metricsSummaryHeader, metricsSummaryRows } from './metrics-csv';
import { blankAnnotation, THREE_CLASSES } from '../../shared/domain';

function clip(subject: string, name: string): Clip {
  return {
    id: `${subject}/${name}`,
    subject,
    name,
    fps: 200,
    frameCount: 60,
    source: { kind: 'images', dir: `${subject}/${name}`, files: [] },
    problems: [],
  };
}

const dataset: DatasetIndex = {
  root: '/data/x',
  kind: 'generic',
  name: 'x',
  fps: 200,
  subjects: ['s1'],
  clips: [clip('s1', '=HYPERLINK("http://evil")'), clip('s1', 'EP02, "quoted"')],
  problems: [],
  official: {},
};

function row(clipId: string, overrides: Partial<BatchRow> = {}): BatchRow {
  return {
    clipId,
    subject: 's1',
    clip: clipId.split('/')[1],
    expression: null,
    source: 'SAMM',
    fps: 200,
    onset: 10,
    apex: 30,
    offset: null,
    apexSource: 'annotated',
    annotation: 'official',
    truth: 'negative',
    status: 'ok',
    reasons: [],
    predicted: 'positive',
    probabilities: { negative: 0.2, positive: 0.7, surprise: 0.1 },
    fromCache: false,
    provider: 'cpu',
    timings: {},
    ...overrides,
  };
}

describe('per-clip report', () => {
  it('keeps clip names from running as formulas and round-trips through parseCsv', () => {
    const batch = new Map(dataset.clips.map((c) => [c.id, [row(c.id)]]));
    batch.set(dataset.clips[1].id, [
      row(dataset.clips[1].id, {
        status: 'failed',
        reasons: ['cannot decode: =1+1'],
        predicted: null,
        probabilities: null,
      }),
    ]);
    const rows = clipReportRows(dataset, {
      own: new Map(),
      predictions: new Map(),
      batch,
      batchModelId: 'm1',
    });
    const csv = toCsv(CLIP_REPORT_HEADER, rows, { bom: true });
    expect(csv.startsWith('\uFEFF')).toBe(true);
    const parsed = parseCsv(csv);
    const header = parsed[0];
    const cell = (r: string[], name: string) => r[header.indexOf(name)];
    expect(cell(parsed[1], 'clip')).toBe(`'=HYPERLINK("http://evil")`);
    expect(cell(parsed[1], 'prediction')).toBe('positive');
    expect(cell(parsed[1], 'p_positive')).toBe('0.7');
    expect(cell(parsed[1], 'model_id')).toBe('m1');
    expect(cell(parsed[1], 'onset_to_apex_ms')).toBe('100');
    expect(cell(parsed[2], 'clip')).toBe('EP02, "quoted"');
    expect(cell(parsed[2], 'status')).toBe('failed');
    expect(cell(parsed[2], 'prediction')).toBe('');
    expect(cell(parsed[2], 'problems')).toBe('cannot decode: =1+1');
  });

  it('gives each classified expression of a clip its own row, with that expression', () => {
    const id = dataset.clips[0].id;
    const expressions = [
      {
        ...blankAnnotation(id),
        onset: 3,
        apex: 9,
        emotion: 'happy',
        threeClass: 'positive' as const,
      },
      {
        ...blankAnnotation(id),
        onset: 40,
        apex: 50,
        emotion: 'surprise',
        threeClass: 'surprise' as const,
      },
    ];
    const rows = clipReportRows(
      dataset,
      {
        own: new Map(),
        predictions: new Map(),
        batch: new Map([
          [
            id,
            [
              row(id, { expression: 1, onset: 3, apex: 9 }),
              row(id, { expression: 2, onset: 40, apex: 50 }),
            ],
          ],
        ]),
        expressionsOf: () => expressions,
      },
      [id],
    );
    const at = (name: string) => CLIP_REPORT_HEADER.indexOf(name);
    expect(rows.map((r) => [r[at('onset')], r[at('emotion')], r[at('expression')]])).toEqual([
      [3, 'happy', 1],
      [40, 'surprise', 2],
    ]);
    // No frame numbers in this clip's file names: the numbers are the indexes.
    expect(rows[1][at('apex_frame_number')]).toBe(50);
  });

  it("gives the frames' file numbers beside their indexes (img46.jpg is index 6 of img40…)", () => {
    const numbered = {
      ...dataset.clips[0],
      frameNumbers: Array.from({ length: 60 }, (_, i) => i + 40),
    };
    const rows = clipReportRows(
      { ...dataset, clips: [numbered] },
      {
        own: new Map(),
        predictions: new Map(),
        batch: new Map([[numbered.id, [row(numbered.id, { onset: 6, apex: 19, offset: 39 })]]]),
      },
    );
    const at = (name: string) => CLIP_REPORT_HEADER.indexOf(name);
    const frames = ['onset', 'onset_frame_number', 'apex_frame_number', 'offset_frame_number'];
    expect(frames.map((name) => rows[0][at(name)])).toEqual([6, 46, 59, 79]);
    expect(rows[0][at('apex_to_offset_ms')]).toBe(100);
  });
});

describe('the truth the metrics score against', () => {
  it("is the coder's label, else the dataset's, also when the coder's marks carry no label", () => {
    const clip = dataset.clips[0];
    const official = {
      ...blankAnnotation(clip.id),
      onset: 1,
      apex: 5,
      threeClass: 'positive' as const,
    };
    const withOfficial = { ...dataset, official: { [clip.id]: official } };
    const own = new Map([[clip.id, { ...blankAnnotation(clip.id), onset: 2, apex: 6 }]]);
    const at = (name: string) => CLIP_REPORT_HEADER.indexOf(name);
    const [plain] = clipReportRows(withOfficial, { own, predictions: new Map() });
    expect([plain[at('three_class')], plain[at('truth')]]).toEqual([null, 'positive']);
    const batch = new Map([[clip.id, [row(clip.id, { annotation: 'own', truth: 'positive' })]]]);
    const [batched] = clipReportRows(withOfficial, { own, predictions: new Map(), batch });
    expect(batched[at('truth')]).toBe('positive');
  });
});

describe('a clip with a variable frame rate', () => {
  it("gives durations from the frames' own timestamps", () => {
    const base = dataset.clips[0];
    const vfr = { ...base, fps: 20, frameTimesMs: Array.from({ length: 60 }, (_, i) => i * i) };
    const rows = clipReportRows(
      { ...dataset, clips: [vfr] },
      {
        own: new Map([[vfr.id, { ...blankAnnotation(vfr.id), onset: 2, apex: 4, offset: 10 }]]),
        predictions: new Map(),
      },
    );
    const at = (name: string) => CLIP_REPORT_HEADER.indexOf(name);
    const durations = ['onset_to_apex_ms', 'apex_to_offset_ms', 'onset_to_offset_ms'];
    expect(durations.map((name) => rows[0][at(name)])).toEqual([12, 84, 96]);
  });
});

describe("the coder's flags and notes", () => {
  it('are columns of the per-clip report, empty for clips nobody coded', () => {
    const [coded, uncoded] = dataset.clips;
    const own = {
      ...blankAnnotation(coded.id),
      flags: { blink: true, occlusion: false, badFrames: true },
      notes: 'eyes closed at 40',
    };
    const rows = clipReportRows(dataset, {
      own: new Map([[coded.id, own]]),
      predictions: new Map(),
    });
    const at = (name: string) => CLIP_REPORT_HEADER.indexOf(name);
    const columns = ['blink', 'occlusion', 'bad_frames', 'notes'];
    expect(
      rows
        .find((r) => r[at('clip')] === coded.name)
        ?.filter((_, i) => columns.includes(CLIP_REPORT_HEADER[i])),
    ).toEqual(['yes', 'no', 'yes', 'eyes closed at 40']);
    expect(
      columns.map((name) => rows.find((r) => r[at('clip')] === uncoded.name)?.[at(name)]),
    ).toEqual([null, null, null, null]);
  });
});

describe('MEGC and metrics reports', () => {
  it('writes predictions as db,subject,clip,label spelled as combined_3class_gt.csv spells them', () => {
    expect(
      megcRows([
        { db: 'SAMM', subject: '006', clip: '006_1_2', predicted: 'negative' },
        { db: 'CASME II', subject: 'sub01', clip: 'EP02_01f', predicted: 'positive' },
        { db: 'SMIC', subject: 's1', clip: 's1_ne_01', predicted: 'surprise' },
        { db: 'smic', subject: 's12', clip: 's12_po_03', predicted: 'positive' },
        { db: 'mine', subject: '007', clip: 'x', predicted: 'positive' },
      ]),
    ).toEqual([
      ['samm', '6', '006_1_2', 0],
      ['casme2', 'sub01', 'EP02_01f', 1],
      ['smic', 's01', 's01_ne_01', 2],
      ['smic', 's12', 's12_po_03', 1],
      ['mine', '007', 'x', 1],
    ]);
  });

  it('summarises metrics overall, per source and per subject with the matrix cells', () => {
    const report = metricsReport([
      { source: 'samm', subject: '006', truth: 'negative', predicted: 'negative' },
      { source: 'samm', subject: '007', truth: 'positive', predicted: 'negative' },
    ]);
    const parsed = parseCsv(toCsv(metricsSummaryHeader(THREE_CLASSES), metricsSummaryRows(report)));
    const header = parsed[0];
    expect(parsed.map((r) => `${r[0]}:${r[2]}`)).toEqual([
      'scope:group',
      'overall:all',
      'source:samm',
      'subject:006',
      'subject:007',
    ]);
    const overall = parsed[1];
    expect(overall[header.indexOf('uar')]).toBe('0.5');
    expect(overall[header.indexOf('n_positive_as_negative')]).toBe('1');
    expect(overall[header.indexOf('precision_surprise')]).toBe('');
  });

  it('renders the confusion matrix to a PNG', async () => {
    const png = await confusionMatrixPng(
      metricsFromMatrix([
        [5, 2, 1],
        [1, 3, 0],
        [0, 1, 2],
      ]),
      { normalised: true },
    );
    const info = await sharp(png).metadata();
    expect(info.format).toBe('png');
    expect(info.width).toBeGreaterThan(300);
  });
});
