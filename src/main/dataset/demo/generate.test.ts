import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { envelope, generateDemoDataset } from './generate';
import { DEMO_MOTIONS } from './motions';

const small = { subjects: 2, clipsPerSubject: 3, framesPerClip: 30, width: 320, height: 240 };

async function grey(file: string): Promise<Uint8Array> {
  return new Uint8Array(await sharp(file).greyscale().raw().toBuffer());
}

describe('demo dataset', () => {
  it('ramps smoothly from onset to apex and back to offset', () => {
    const truth = { onset: 10, apex: 20, offset: 40 };
    expect(envelope(5, truth)).toBe(0);
    expect(envelope(10, truth)).toBe(0);
    expect(envelope(20, truth)).toBe(1);
    expect(envelope(15, truth)).toBeCloseTo(0.5, 5);
    expect(envelope(40, truth)).toBe(0);
    for (let t = 11; t <= 20; t++)
      expect(envelope(t, truth)).toBeGreaterThan(envelope(t - 1, truth));
  });

  it('is the same on every run and writes the manifest with known timing and labels', async () => {
    const a = await generateDemoDataset(mkdtempSync(path.join(os.tmpdir(), 'mer-demo-')), small);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mer-demo-'));
    const b = await generateDemoDataset(dir, small);
    expect(b).toEqual(a);
    expect(b.clips).toHaveLength(6);
    expect(new Set(b.clips.map((clip) => clip.threeClass))).toEqual(
      new Set(['negative', 'positive', 'surprise']),
    );
    for (const clip of b.clips) {
      expect(0 < clip.onset && clip.onset < clip.apex && clip.apex < clip.offset).toBe(true);
      expect(clip.offset).toBeLessThan(small.framesPerClip);
    }
    expect(JSON.parse(readFileSync(path.join(dir, 'mer-demo.json'), 'utf8'))).toEqual(b);
  });

  it('puts the motion where its AU acts: lip-corner pull moves the mouth, not the brows', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mer-demo-'));
    const manifest = await generateDemoDataset(dir, { ...small, subjects: 1, clipsPerSubject: 1 });
    const clip = manifest.clips[0];
    expect(clip.aus).toBe(DEMO_MOTIONS[0].aus);
    const frame = (index: number) => path.join(dir, clip.subject, clip.clip, `img${index + 1}.jpg`);
    const [onset, apex] = await Promise.all([grey(frame(clip.onset)), grey(frame(clip.apex))]);
    const energy = (cx: number, cy: number) => {
      let sum = 0;
      const [x0, y0] = [
        Math.round((cx * small.width) / 640),
        Math.round((cy * small.height) / 480),
      ];
      for (let y = y0 - 10; y < y0 + 10; y++) {
        for (let x = x0 - 10; x < x0 + 10; x++) {
          sum += Math.abs(apex[y * small.width + x] - onset[y * small.width + x]);
        }
      }
      return sum / 400;
    };
    const mouth = (energy(258, 352) + energy(352, 352)) / 2;
    const brows = (energy(250, 222) + energy(365, 228)) / 2;
    const background = energy(60, 60);
    expect(mouth).toBeGreaterThan(2 * brows);
    expect(mouth).toBeGreaterThan(2 * background);
  });

  it('refuses sizes it cannot make', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mer-demo-'));
    await expect(generateDemoDataset(dir, { width: 10 })).rejects.toThrow(/frame size/);
    await expect(generateDemoDataset(dir, { subjects: 0 })).rejects.toThrow(/subjects/);
  });
});
