import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { beforeEach, describe, expect, it } from 'vitest';
import type { AgreementReport } from '../../shared/agreement';
import type { ArgsOf } from '../../shared/contract';
import type { CoderAnnotations, ClipStatus, WorkspaceSettings } from '../../shared/contract/coding';
import type { ThreeClass } from '../../shared/domain';
import { AppContext } from '../app/context';
import { dispatch } from '../app/handlers';

async function makeDataset(root: string, clips: number): Promise<void> {
  for (let c = 0; c < clips; c++) {
    const dir = path.join(root, 'sub01', `clip${c}`);
    await mkdir(dir, { recursive: true });
    for (let i = 0; i < 12; i++) {
      await sharp(Buffer.alloc(16 * 16, 10 * i), { raw: { width: 16, height: 16, channels: 1 } })
        .jpeg()
        .toFile(path.join(dir, `img${String(i + 1).padStart(2, '0')}.jpg`));
    }
  }
}

async function call<T>(ctx: AppContext, name: string, args: unknown): Promise<T> {
  const reply = await dispatch(ctx, name, args);
  if (!reply.ok) throw new Error(reply.error.message);
  return reply.result as T;
}

function fields(
  threeClass: ThreeClass,
  onset: number,
  offset: number,
): ArgsOf<'annotations.save'>['fields'] {
  return {
    onset,
    apex: onset + 2,
    offset,
    emotion: null,
    threeClass,
    aus: [{ au: 4, raw: '4' }],
    ausRaw: '4',
    flags: { blink: false, occlusion: false, badFrames: false },
    notes: '',
  };
}

describe('coding handlers', () => {
  let root: string;
  let ctx: AppContext;

  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'mer-coding-'));
    await makeDataset(path.join(root, 'data'), 4);
    ctx = new AppContext('cli', path.join(root, 'app'));
    await call(ctx, 'dataset.open', { path: path.join(root, 'data') });
  });

  async function codeAs(coder: string, labels: ThreeClass[], onsets: number[]): Promise<void> {
    await call(ctx, 'annotations.setCoder', { coder });
    for (let i = 0; i < labels.length; i++) {
      await call(ctx, 'annotations.save', {
        clipId: `sub01/clip${i}`,
        fields: fields(labels[i], onsets[i], 10),
      });
    }
  }

  it('lists coders, computes their agreement, and hides others in blind mode', async () => {
    await codeAs('ana', ['negative', 'negative', 'positive', 'surprise'], [1, 1, 1, 1]);
    await codeAs('ben', ['negative', 'positive', 'positive', 'surprise'], [1, 2, 3, 5]);
    const state = await call<{ coder: string; coders: string[] }>(ctx, 'coding.state', {});
    expect(state.coder).toBe('ben');
    expect(state.coders).toEqual(expect.arrayContaining(['ana', 'ben']));
    const report = await call<AgreementReport>(ctx, 'coding.agreement', {
      coderA: 'ana',
      coderB: 'ben',
      toleranceFrames: 2,
    });
    expect(report.clipsCompared).toBe(4);
    expect(report.threeClass.kappa).toBeCloseTo(7 / 11, 10);
    expect(report.marks.onset.withinTolerance).toBe(3);

    await call(ctx, 'settings.save', { blind: true });
    const hidden = await call<CoderAnnotations>(ctx, 'coding.annotationsOf', { coder: 'ana' });
    expect(hidden).toEqual({ coder: 'ana', hidden: true, annotations: [] });
    const own = await call<CoderAnnotations>(ctx, 'coding.annotationsOf', { coder: 'ben' });
    expect(own.annotations).toHaveLength(4);
    const refused = await dispatch(ctx, 'coding.agreement', {
      coderA: 'ana',
      coderB: 'ben',
      toleranceFrames: 2,
    });
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.error.message).toContain('blind mode');
  });

  it('writes adjudicated clips into the consensus coder file', async () => {
    await codeAs('ana', ['negative'], [1]);
    const saved = await call<{ file: string; coder: string }>(ctx, 'coding.adjudicate', {
      clipId: 'sub01/clip0',
      fields: fields('positive', 2, 9),
      from: 'ana (marks), ben (label)',
    });
    expect(saved.coder).toBe('consensus');
    expect(path.basename(saved.file)).toBe('consensus.json');
    const file = JSON.parse(await readFile(saved.file, 'utf8')) as {
      annotations: Record<string, { threeClass: string; notes: string }>;
    };
    expect(file.annotations['sub01/clip0'].threeClass).toBe('positive');
    expect(file.annotations['sub01/clip0'].notes).toContain('adjudicated from ana');
    const consensus = await call<CoderAnnotations>(ctx, 'coding.annotationsOf', {
      coder: 'consensus',
    });
    expect(consensus.annotations).toHaveLength(1);
  });

  it("keeps each window's coder: a save names its coder, whoever another window switched to", async () => {
    await codeAs('ana', ['negative'], [1]);
    await call(ctx, 'annotations.setCoder', { coder: 'ben' }); // another window switches
    await call(ctx, 'annotations.save', {
      clipId: 'sub01/clip0',
      fields: fields('surprise', 3, 10),
      coder: 'ana',
    });
    const folder = path.join(root, 'data', '.mer-studio', 'annotations');
    const ana = JSON.parse(await readFile(path.join(folder, 'ana.json'), 'utf8')) as {
      annotations: Record<string, { threeClass: string; coder: string }>;
    };
    expect(ana.annotations['sub01/clip0']).toMatchObject({ threeClass: 'surprise', coder: 'ana' });
    const ben = await call<{ own: unknown }>(ctx, 'annotations.get', { clipId: 'sub01/clip0' });
    expect(ben.own).toBeNull();
    const statuses = await call<ClipStatus[]>(ctx, 'coding.clipStatus', { coder: 'ana' });
    expect(statuses.find((s) => s.clipId === 'sub01/clip0')?.threeClass).toBe('surprise');
  });

  it('shows an adjudication at once to a window coding as consensus, which cannot then undo it', async () => {
    await codeAs('consensus', ['negative'], [1]);
    await call(ctx, 'annotations.setCoder', { coder: 'ana' });
    await call(ctx, 'coding.adjudicate', {
      clipId: 'sub01/clip0',
      fields: fields('positive', 4, 9),
      from: `onset: ${'Maria Fernández-López'}, `.repeat(8),
    });
    type Got = { own: { threeClass: string; onset: number; flags: { blink: boolean } } };
    const seen = await call<Got>(ctx, 'annotations.get', {
      clipId: 'sub01/clip0',
      coder: 'consensus',
    });
    expect(seen.own).toMatchObject({ threeClass: 'positive', onset: 4 });
    // The consensus window edits what it was shown: the adjudicated marks stay.
    const edited = { ...fields('positive', 4, 9), flags: { ...seen.own.flags, blink: true } };
    await call(ctx, 'annotations.save', {
      clipId: 'sub01/clip0',
      fields: edited,
      coder: 'consensus',
    });
    const file = JSON.parse(
      await readFile(
        path.join(root, 'data', '.mer-studio', 'annotations', 'consensus.json'),
        'utf8',
      ),
    ) as { annotations: Record<string, { threeClass: string; onset: number }> };
    expect(file.annotations['sub01/clip0']).toMatchObject({ threeClass: 'positive', onset: 4 });
  });

  it('keeps coder names as one file name each: composed, trimmed, not blank, not too long', async () => {
    const decomposed = 'Zoe\u0301';
    const chosen = await call<{ coder: string }>(ctx, 'annotations.setCoder', {
      coder: ` ${decomposed} `,
    });
    expect(chosen.coder).toBe('Zoé');
    for (const coder of [' ', 'é'.repeat(40), '中'.repeat(20)]) {
      const refused = await dispatch(ctx, 'annotations.setCoder', { coder });
      expect(refused.ok, coder).toBe(false);
    }
    const accepted = await dispatch(ctx, 'annotations.setCoder', { coder: 'é'.repeat(26) });
    expect(accepted.ok).toBe(true);
    await call(ctx, 'annotations.save', {
      clipId: 'sub01/clip0',
      fields: fields('negative', 1, 9),
    });
  });

  it('refuses an adjudication made on a consensus changed since the view showed it', async () => {
    const clipId = 'sub01/clip0';
    const adjudicate = (threeClass: ThreeClass, basedOn: { revision: number; window: string }) =>
      dispatch(ctx, 'coding.adjudicate', {
        clipId,
        fields: fields(threeClass, 2, 9),
        from: 'ana',
        basedOn,
      });
    const view = 'adjudication-view';
    const first = await adjudicate('negative', { revision: 0, window: view });
    if (!first.ok) throw new Error(first.error.message);
    const shown = (first.result as { revision: number }).revision;
    // Meanwhile another window, coding as consensus, edits the clip.
    const theirs = await call<{ revision: number }>(ctx, 'annotations.save', {
      clipId,
      fields: fields('surprise', 3, 10),
      coder: 'consensus',
      basedOn: { revision: shown, window: 'consensus-tab' },
    });

    const refused = await adjudicate('positive', { revision: shown, window: view });
    expect(refused).toMatchObject({
      ok: false,
      error: { code: 'conflict', conflict: { clipId, expression: 1, revision: theirs.revision } },
    });
    const kept = await call<CoderAnnotations>(ctx, 'coding.annotationsOf', {
      coder: 'consensus',
      clipId,
    });
    expect(kept.annotations[0]).toMatchObject({ threeClass: 'surprise', onset: 3 });

    // Saved over it once the view names the version it now knows of ("keep mine").
    const mine = await adjudicate('positive', { revision: theirs.revision, window: view });
    expect(mine).toMatchObject({ ok: true, result: { revision: theirs.revision + 1 } });
    const now = await call<CoderAnnotations>(ctx, 'coding.annotationsOf', {
      coder: 'consensus',
      clipId,
    });
    expect(now.annotations[0]).toMatchObject({ threeClass: 'positive', onset: 2 });
  });

  it('adjudicates the expressions of a clip in order', async () => {
    const adjudicate = (expression: number) =>
      dispatch(ctx, 'coding.adjudicate', {
        clipId: 'sub01/clip0',
        expression,
        fields: fields('negative', expression, 10),
        from: 'ana',
      });
    const early = await adjudicate(2);
    expect(early.ok).toBe(false);
    if (!early.ok) expect(early.error.message).toContain('adjudicate expression 1 first');
    expect((await adjudicate(1)).ok).toBe(true);
    expect((await adjudicate(2)).ok).toBe(true);
    const consensus = await call<CoderAnnotations>(ctx, 'coding.annotationsOf', {
      coder: 'consensus',
    });
    expect(consensus.annotations.map((a) => [a.expression ?? 1, a.onset])).toEqual([
      [1, 1],
      [2, 2],
    ]);
  });

  it('reports a coder file from a newer schema in place, the rest keeps working', async () => {
    await codeAs('ana', ['negative'], [1]);
    const folder = path.join(root, 'data', '.mer-studio', 'annotations');
    await writeFile(
      path.join(folder, 'future.json'),
      JSON.stringify({ schemaVersion: 99, annotations: {} }),
    );
    const future = await call<CoderAnnotations>(ctx, 'coding.annotationsOf', { coder: 'future' });
    expect(future.error).toContain('newer MER Studio');
    const statuses = await call<ClipStatus[]>(ctx, 'coding.clipStatus', {});
    expect(statuses.find((s) => s.clipId === 'sub01/clip0')?.statuses).toContain('annotated');
  });

  it('persists settings in the app data folder and merges key bindings', async () => {
    const saved = await call<{ settings: WorkspaceSettings; file: string }>(ctx, 'settings.save', {
      bigStep: 25,
      keys: { stepForward: ['l'] },
    });
    expect(saved.file).toBe(path.join(root, 'app', 'settings.json'));
    const fresh = new AppContext('cli', path.join(root, 'app'));
    const loaded = await call<{ settings: WorkspaceSettings }>(fresh, 'settings.get', {});
    expect(loaded.settings.bigStep).toBe(25);
    expect(loaded.settings.keys.stepForward).toEqual(['l']);
    expect(loaded.settings.keys.stepBack).toEqual(['ArrowLeft']);
    const bad = await dispatch(ctx, 'settings.save', { playbackRate: 3 });
    expect(bad.ok).toBe(false);
  });
});
