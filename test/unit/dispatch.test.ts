import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AppContext } from '../../src/main/app/context';
import { dispatch } from '../../src/main/app/handlers';
import { requests } from '../../src/shared/contract';

function context(): AppContext {
  return new AppContext('cli', mkdtempSync(path.join(os.tmpdir(), 'mer-dispatch-')));
}

describe('dispatch: the renderer is untrusted', () => {
  it('refuses unknown request names, including prototype keys', async () => {
    for (const name of ['nope', 'constructor', '__proto__', 'toString', 42, null]) {
      const reply = await dispatch(context(), name, {});
      expect(reply).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    }
  });

  it('validates arguments against the contract before any handler runs', async () => {
    const ctx = context();
    const cases: Array<[string, unknown]> = [
      ['dataset.open', { path: 42 }],
      ['dataset.open', {}],
      ['flow.compute', { clipId: 'a', onset: -1, apex: 3 }],
      ['flow.compute', { clipId: 'a', onset: 5, apex: 3 }],
      ['model.classifyClip', { clipId: '', onset: 0, apex: 1 }],
      ['annotations.get', 'not an object'],
    ];
    for (const [name, args] of cases) {
      const reply = await dispatch(ctx, name, args);
      expect(reply.ok, `${name} ${JSON.stringify(args)}`).toBe(false);
      if (!reply.ok) expect(reply.error.code).toBe('bad-request');
    }
  });

  it('names the request and field that failed validation', async () => {
    for (const name of ['flow.compute', 'face.inspect'] as const) {
      const reply = await dispatch(context(), name, { clipId: 'x', onset: 4, apex: 2 });
      expect(reply.ok).toBe(false);
      if (!reply.ok) expect(reply.error.message).toMatch(/: .*onset must come before apex/);
    }
  });

  it('answers requests that need a dataset with not-found before one is open', async () => {
    const reply = await dispatch(context(), 'dataset.clip', { clipId: 'sub01/EP01' });
    expect(reply).toMatchObject({ ok: false, error: { code: 'not-found' } });
  });

  it('reports a folder that is no dataset clearly and keeps working', async () => {
    const ctx = context();
    const empty = mkdtempSync(path.join(os.tmpdir(), 'mer-empty-'));
    const reply = await dispatch(ctx, 'dataset.open', { path: empty });
    expect(reply.ok).toBe(false);
    if (!reply.ok) expect(reply.error.message).toContain(empty);
    expect((await dispatch(ctx, 'app.info', {})).ok).toBe(true);
  });

  it('has a schema for every request', () => {
    for (const [name, definition] of Object.entries(requests)) {
      expect(typeof definition.args.safeParse, name).toBe('function');
    }
  });
});
