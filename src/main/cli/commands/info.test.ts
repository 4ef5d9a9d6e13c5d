import { mkdtemp, rm, stat, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSamm, tinyJpeg } from '../../../../test/fixtures/datasets';
import type { CliIO } from '../command';
import { infoCommand } from './info';

let base: string;

beforeAll(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'mer-info-'));
  await makeSamm(path.join(base, 'SAMM'), {
    subjects: 2,
    clipsPerSubject: 2,
    frames: 6,
    firstFrame: 5562,
  });
  const cut = path.join(base, 'SAMM', '007', '007_2_3', '007_05565.jpg');
  await truncate(cut, (await stat(cut)).size - 20);
  await writeFile(
    path.join(base, 'SAMM', '006', '006_2_3', '006_05563.jpg'),
    await tinyJpeg(3, 20, 10, 1),
  );
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

async function run(argv: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const io: CliIO = {
    out: (text) => lines.push(text),
    err: () => undefined,
    isTTY: false,
    signal: new AbortController().signal,
  };
  const code = await infoCommand.run(argv, io);
  return { code, out: lines.join('\n') };
}

describe('mer-studio info', () => {
  it('prints layout, subjects, clips, frame counts, fps and frame numbers as JSON', async () => {
    const { code, out } = await run([path.join(base, 'SAMM'), '--json']);
    expect(code).toBe(0);
    const info = JSON.parse(out);
    expect(info).toMatchObject({
      kind: 'samm',
      layout: 'SAMM',
      fps: 200,
      subjects: ['006', '007'],
    });
    expect(info.totals).toEqual({ subjects: 2, clips: 4, frames: 24, problems: 0 });
    expect(info.clips[0]).toMatchObject({
      id: '006/006_1_2',
      frameCount: 6,
      fps: 200,
      durationMs: 30,
      firstFrameNumber: 5562,
      lastFrameNumber: 5567,
    });
  });

  it('--check finds the truncated frame; --fps overrides the rate', async () => {
    const { out } = await run([base, '--check', '--fps', '100', '--clips']);
    expect(out).toMatch(/layout: SAMM \(samm\)\s+fps: 100/);
    expect(out).toMatch(
      /007\/007_2_3: 1 unreadable frame file\(s\): 007_05565\.jpg \(truncated JPEG\)/,
    );
    expect(out).toMatch(
      /006\/006_2_3: frames differ in size: most are 16×12, but 1 are 20×10 \(006_05563\.jpg\)/,
    );
    expect(out).toMatch(/006\/006_1_2 {2}6 frames #5562–5567 {2}100 fps/);
  });

  it('rejects a bad --fps and a folder without clips with clear messages', async () => {
    await expect(run([base, '--fps', 'fast'])).rejects.toThrow(/--fps must be a number above 0/);
    await expect(run([path.join(base, 'nope')])).rejects.toThrow(/not a folder/);
  });
});
