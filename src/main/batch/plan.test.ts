import { describe, expect, it } from 'vitest';
import type { Clip, ClipAnnotation, DatasetIndex } from '../../shared/domain';
import { planBatch, sourceDatasets } from './plan';

function clip(id: string, dir = id, frameCount = 60): Clip {
  const [subject, name] = id.split('/');
  return {
    id,
    subject,
    name,
    fps: 200,
    frameCount,
    source: { kind: 'images', dir, files: [] },
    problems: [],
  };
}

function annotation(
  clipId: string,
  frames: [number | null, number | null],
  threeClass: ClipAnnotation['threeClass'] = 'negative',
): ClipAnnotation {
  return {
    clipId,
    onset: frames[0],
    apex: frames[1],
    offset: null,
    emotion: null,
    threeClass,
    aus: [],
    ausRaw: '',
    flags: { blink: false, occlusion: false, badFrames: false },
    notes: '',
    coder: 'x',
    updatedAt: '',
  };
}

const dataset: DatasetIndex = {
  root: '/d',
  kind: 'demo',
  name: 'demo',
  fps: 200,
  subjects: ['s1'],
  clips: ['s1/a', 's1/b', 's1/c', 's1/d', 's1/e'].map((id) => clip(id)),
  problems: [],
  official: {
    's1/a': annotation('s1/a', [5, 20], 'positive'),
    's1/b': annotation('s1/b', [5, 20], 'positive'),
    's1/c': annotation('s1/c', [5, 20], 'positive'),
    's1/e': annotation('s1/e', [30, 20]),
  },
};

const own = new Map([
  ['s1/a', annotation('s1/a', [7, 25], 'surprise')],
  ['s1/b', annotation('s1/b', [null, null], 'negative')],
  ['s1/c', annotation('s1/c', [8, null], 'surprise')],
]);

describe('planBatch', () => {
  it("takes the coder's frames and label, falling back to the official ones field by field", () => {
    const plan = planBatch(dataset, { source: 'own', own, useSuggestedApex: false });
    const byId = new Map(plan.items.map((item) => [item.clip.id, item]));
    expect(byId.get('s1/a')).toMatchObject({
      onset: 7,
      apex: 25,
      annotation: 'own',
      truth: 'surprise',
    });
    expect(byId.get('s1/b')).toMatchObject({
      onset: 5,
      apex: 20,
      annotation: 'official',
      truth: 'negative',
    });
    expect(plan.skipped).toEqual([
      {
        clipId: 's1/c',
        reason: 'no apex (in your annotation); allow the suggested apex to classify it',
      },
      {
        clipId: 's1/d',
        reason: 'no onset or apex (no annotation); allow the suggested apex to classify it',
      },
      {
        clipId: 's1/e',
        reason: 'apex 20 does not come after onset 30 (in the official annotation)',
      },
    ]);
  });

  it('leaves the apex to the suggestion when allowed, from onset 0 when there is none', () => {
    const plan = planBatch(dataset, { source: 'own', own, useSuggestedApex: true });
    const byId = new Map(plan.items.map((item) => [item.clip.id, item]));
    expect(byId.get('s1/c')).toMatchObject({ onset: 8, apex: null, annotation: 'own' });
    expect(byId.get('s1/d')).toMatchObject({
      onset: 0,
      apex: null,
      annotation: 'none',
      truth: null,
    });
  });

  it('ignores the coder with source official, and names unknown clips', () => {
    const plan = planBatch(dataset, {
      source: 'official',
      own,
      useSuggestedApex: false,
      clipIds: ['s1/a', 'nope/x'],
    });
    expect(plan.items.map((item) => [item.clip.id, item.onset, item.truth])).toEqual([
      ['s1/a', 5, 'positive'],
    ]);
    expect(plan.skipped).toEqual([
      { clipId: 'nope/x', reason: 'no such clip in the open dataset' },
    ]);
  });

  it('plans each official expression of a clip holding several, unless the coder marked frames', () => {
    const expressions = new Map([
      [
        's1/b',
        [
          annotation('s1/b', [5, 20], 'positive'),
          annotation('s1/b', [30, 29]),
          annotation('s1/b', [40, 50], 'surprise'),
        ],
      ],
      ['s1/a', [annotation('s1/a', [1, 2]), annotation('s1/a', [3, 4])]],
    ]);
    const plan = planBatch(dataset, {
      source: 'own',
      own,
      useSuggestedApex: false,
      clipIds: ['s1/a', 's1/b'],
      expressionsOf: (clipId) => expressions.get(clipId) ?? [],
    });
    expect(
      plan.items.map((item) => [item.clip.id, item.expression, item.onset, item.truth]),
    ).toEqual([
      ['s1/a', null, 7, 'surprise'],
      ['s1/b', 1, 5, 'positive'],
      ['s1/b', 3, 40, 'surprise'],
    ]);
    expect(plan.skipped).toEqual([
      {
        clipId: 's1/b',
        reason: 'expression 2: apex 29 does not come after onset 30 (in the official annotation)',
      },
    ]);
  });

  it("names the coder's wrong marks and the official ones, without falling back to them", () => {
    const wrong = new Map([['s1/a', annotation('s1/a', [25, 25], 'surprise')]]);
    const plan = planBatch(dataset, {
      source: 'own',
      own: wrong,
      useSuggestedApex: true,
      clipIds: ['s1/a'],
    });
    expect(plan.items).toEqual([]);
    expect(plan.skipped).toEqual([
      {
        clipId: 's1/a',
        reason:
          'apex 25 does not come after onset 25 (in your annotation); the official annotation ' +
          'has onset 5, apex 20: correct your marks or classify with the official annotation',
      },
    ]);
  });

  it('refuses frames beyond the clip', () => {
    const short: DatasetIndex = { ...dataset, clips: [clip('s1/a', 's1/a', 20)] };
    const plan = planBatch(short, { source: 'official', own, useSuggestedApex: false });
    expect(plan.skipped[0].reason).toBe(
      'apex 20 is beyond the last frame 19 (in the official annotation)',
    );
  });
});

describe('sourceDatasets', () => {
  it('names the source dataset of each clip of a composite folder', () => {
    const composite: DatasetIndex = {
      ...dataset,
      kind: 'generic',
      clips: [
        clip('sub01/EP02_01f', 'CASME2_RAW_selected/sub01/EP02_01f'),
        clip('006/006_1_2', 'SAMM/006/006_1_2'),
        clip('s1/s1_ne_01', 'HS/s1/micro/negative/s1_ne_01'),
      ],
    };
    expect([...sourceDatasets(composite).values()]).toEqual(['CASME II', 'SAMM', 'SMIC']);
  });

  it("uses the dataset's name for a single dataset", () => {
    expect(new Set(sourceDatasets(dataset).values())).toEqual(new Set(['demo']));
  });
});
