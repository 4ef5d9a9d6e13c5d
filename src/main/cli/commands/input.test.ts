import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectFile } from '../../app/paths';
import { closeSharedLandmarkDetector } from '../../face/landmarks';
import { applyBumps, loadAstronaut } from '../../face/synthetic';
import type { CliIO } from '../command';
import { encodeBmp } from '../../../../test/fixtures/datasets';
import { inputCommand } from './input';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mer-input-'));
  const photo = await loadAstronaut();
  // Lip-corner pull at the astronaut's mouth corners (≈ (201, 138) and (245, 140)).
  const apex = applyBumps(photo, [
    { x: 201, y: 138, radius: 14, dx: -1, dy: -1 },
    { x: 245, y: 140, radius: 14, dx: 1, dy: -1 },
  ]);
  await sharp(apex.data, { raw: { width: apex.width, height: apex.height, channels: 3 } })
    .png()
    .toFile(path.join(dir, 'apex.png'));
}, 60_000);

afterAll(async () => {
  await closeSharedLandmarkDetector();
  await rm(dir, { recursive: true, force: true });
});

function capture(): { io: CliIO; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const io = {
    out: (t: string) => out.push(t),
    err: (t: string) => err.push(t),
    isTTY: false,
    signal: new AbortController().signal,
  };
  return { io, out, err };
}

describe('mer-studio input', () => {
  it('prints points, region motion, timings and writes the maps', async () => {
    const { io, out } = capture();
    const outDir = path.join(dir, 'out');
    const code = await inputCommand.run(
      [
        projectFile('assets/astronaut.png'),
        path.join(dir, 'apex.png'),
        '--out-dir',
        outDir,
        '--json',
      ],
      io,
    );
    expect(code).toBe(0);
    const report = JSON.parse(out.join('\n'));
    expect(report.status).toBe('ok');
    expect(Object.keys(report.points)).toEqual([
      'leftEye',
      'rightEye',
      'nose',
      'leftMouth',
      'rightMouth',
    ]);
    expect(report.points.nose.x).toBeGreaterThan(170);
    expect(report.points.nose.x).toBeLessThan(290);
    const motion = report.regionMotion;
    expect(Math.min(motion.leftMouth, motion.rightMouth)).toBeGreaterThan(
      Math.max(motion.leftEye, motion.rightEye),
    );
    for (const stage of ['decode', 'landmarks', 'align', 'flow', 'maps']) {
      expect(report.timings[stage]).toBeGreaterThanOrEqual(0);
    }
    const tensor = await readFile(report.files['model-input.f32']);
    expect(tensor.length).toBe(3 * 28 * 28 * 4);
    const header = JSON.parse(await readFile(report.files['model-input.json'], 'utf8'));
    expect(header).toMatchObject({
      dtype: 'float32',
      byteOrder: 'little-endian',
      shape: [1, 3, 28, 28],
    });
    const preview = await sharp(report.files['model-input.png']).metadata();
    expect([preview.width, preview.height, preview.channels]).toEqual([28, 28, 3]); // as the composite's
    expect((await stat(report.files['flow.png'])).size).toBeGreaterThan(100);
  });

  it('reads photos as they are shown: upright after their EXIF orientation', async () => {
    // stored upside down, with the tag (orientation 3) that tells every viewer to turn it
    const stored = async (file: string, name: string) => {
      const target = path.join(dir, name);
      await sharp(file).rotate(180).withMetadata({ orientation: 3 }).jpeg().toFile(target);
      return target;
    };
    const upright = [projectFile('assets/astronaut.png'), path.join(dir, 'apex.png')];
    const turned = [
      await stored(upright[0], 'onset-exif.jpg'),
      await stored(upright[1], 'apex-exif.jpg'),
    ];
    const pointsOf = async (files: string[]) => {
      const { io, out } = capture();
      expect(await inputCommand.run([...files, '--json'], io)).toBe(0);
      return JSON.parse(out.join('\n')).points as Record<string, { x: number; y: number }>;
    };
    const expected = await pointsOf(upright);
    const found = await pointsOf(turned);
    for (const [name, point] of Object.entries(expected)) {
      expect(Math.hypot(found[name].x - point.x, found[name].y - point.y), name).toBeLessThan(4);
    }
  });

  it('reports an unusable pair with exit code 3 and a reason', async () => {
    const { io, out } = capture();
    const photo = projectFile('assets/astronaut.png');
    const outDir = path.join(dir, 'failed');
    const code = await inputCommand.run([photo, photo, '--json', '--out-dir', outDir], io);
    expect(code).toBe(3);
    const report = JSON.parse(out.join('\n'));
    expect(report.status).toBe('failed');
    expect(report.reasons[0]).toMatch(/identical/);
    expect(Object.keys(report.files).filter((name) => name.endsWith('.f32'))).toEqual([]);
    const plain = capture();
    await inputCommand.run([photo, photo, '--out-dir', outDir], plain.io);
    expect(plain.out.join('\n')).toContain('no files written: the pair gives no model input');
  });

  it('names an unreadable file', async () => {
    const { io } = capture();
    const missing = path.join(dir, 'missing.png');
    await expect(inputCommand.run([missing, missing], io)).rejects.toThrow(
      /missing\.png: frame file is missing/,
    );
    const text = path.join(dir, 'notes.png');
    await writeFile(text, 'not an image');
    await expect(inputCommand.run([text, text], io)).rejects.toThrow(
      /notes\.png: not an image format MER Studio reads/,
    );
  });

  it('reads BMP photos (SMIC ships its frames as BMP)', async () => {
    const asBmp = async (file: string, name: string) => {
      const { data, info } = await sharp(file)
        .removeAlpha()
        .raw()
        .toBuffer({ resolveWithObject: true });
      const target = path.join(dir, name);
      await writeFile(target, encodeBmp(data, info.width, info.height, 24));
      return target;
    };
    const { io, out } = capture();
    const files = [
      await asBmp(projectFile('assets/astronaut.png'), 'onset.bmp'),
      await asBmp(path.join(dir, 'apex.png'), 'apex.bmp'),
    ];
    expect(await inputCommand.run([...files, '--json'], io)).toBe(0);
    const motion = JSON.parse(out.join('\n')).regionMotion as Record<string, number>;
    expect(Math.min(motion.leftMouth, motion.rightMouth)).toBeGreaterThan(
      Math.max(motion.leftEye, motion.rightEye),
    );
  });
});
