import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { decodeFlo, encodeFlo, FLO_TAG, readFlo, writeFlo } from './flo';
import { endpointError, endpointErrorStats } from './metrics';
import type { FlowField } from './types';

const dirPromise = mkdtemp(path.join(tmpdir(), 'mer-flo-'));
afterAll(async () => rm(await dirPromise, { recursive: true, force: true }));

function sampleFlow(): FlowField {
  const width = 5;
  const height = 3;
  const u = Float32Array.from({ length: 15 }, (_, i) => i * 0.25 - 1);
  const v = Float32Array.from({ length: 15 }, (_, i) => -i * 0.125);
  return { width, height, u, v };
}

describe('.flo files', () => {
  it('round-trips through a file bit for bit', async () => {
    const flow = sampleFlow();
    const file = path.join(await dirPromise, 'a.flo');
    await writeFlo(file, flow);
    const bytes = await readFile(file);
    expect(bytes.length).toBe(12 + 15 * 8);
    expect(bytes.readFloatLE(0)).toBe(FLO_TAG);
    expect(bytes.toString('latin1', 0, 4)).toBe('PIEH');
    const back = await readFlo(file);
    expect(back.width).toBe(5);
    expect(back.height).toBe(3);
    expect(Array.from(back.u)).toEqual(Array.from(flow.u));
    expect(Array.from(back.v)).toEqual(Array.from(flow.v));
  });

  it('stores (u, v) interleaved in row order', () => {
    const bytes = encodeFlo(sampleFlow());
    expect(bytes.readFloatLE(12 + 8 * 6)).toBe(0.5); // u of pixel 6
    expect(bytes.readFloatLE(12 + 8 * 6 + 4)).toBe(-0.75); // v of pixel 6
  });

  it('keeps unknown markers and the error metric skips them', () => {
    const truth = sampleFlow();
    truth.u[2] = 1e10;
    truth.v[4] = 1.5e9;
    const decoded = decodeFlo(encodeFlo(truth));
    expect(decoded.u[2]).toBeGreaterThan(1e9);
    const estimate = { ...sampleFlow(), u: sampleFlow().u.map((value) => value + 0.3) };
    const stats = endpointErrorStats(estimate, decoded);
    expect(stats.count).toBe(13);
    expect(stats.mean).toBeCloseTo(0.3, 5);
    expect(endpointError(estimate, decoded)).toBeCloseTo(0.3, 5);
  });

  it('rejects malformed data with a reason', async () => {
    const good = encodeFlo(sampleFlow());
    expect(() => decodeFlo(good.subarray(0, 8))).toThrow(/too short/);
    expect(() => decodeFlo(good.subarray(0, good.length - 4))).toThrow(/bytes, expected/);
    const badTag = Buffer.from(good);
    badTag.writeFloatLE(1, 0);
    expect(() => decodeFlo(badTag)).toThrow(/not a .flo file/);
    const badSize = Buffer.from(good);
    badSize.writeInt32LE(-5, 4);
    expect(() => decodeFlo(badSize)).toThrow(/implausible size/);
    const file = path.join(await dirPromise, 'bad.flo');
    await writeFile(file, badTag);
    await expect(readFlo(file)).rejects.toThrow(/bad\.flo: not a .flo file/);
  });

  it('refuses to compare flows of different sizes', () => {
    const other = { width: 3, height: 5, u: new Float32Array(15), v: new Float32Array(15) };
    expect(() => endpointError(sampleFlow(), other)).toThrow(/sizes differ/);
  });
});
