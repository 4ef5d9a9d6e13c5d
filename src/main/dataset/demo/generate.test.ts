import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { envelope, generateDemoDataset, type DemoClipTruth } from './generate';

const small = { subjects: 2, clipsPerSubject: 3, framesPerClip: 30, width: 320, height: 240 };

async function grey(file: string): Promise<Uint8Array> {
  return new Uint8Array(await sharp(file).greyscale().raw().toBuffer());
}

const { width: W, height: H } = small;

function onsetAndApex(dir: string, clip: DemoClipTruth): Promise<[Uint8Array, Uint8Array]> {
  const frame = (index: number) =>
    grey(path.join(dir, clip.subject, clip.clip, `img${index + 1}.jpg`));
  return Promise.all([frame(clip.onset), frame(clip.apex)]);
}

/** Horizontal gradient magnitude: compares faces whatever each subject's brightness and gain. */
function edges(image: Uint8Array): Float32Array {
  return Float32Array.from(image, (value, i) =>
    i % W === W - 1 ? 0 : Math.abs(image[i + 1] - value),
  );
}

/** Where a frame difference is, as the centroid of its values above the noise. */
function centroid(motion: Uint8Array): { x: number; y: number } {
  let [sum, sx, sy] = [0, 0, 0];
  motion.forEach((value, i) => {
    const weight = Math.max(0, value - NOISE_LEVEL);
    sum += weight;
    sx += weight * (i % W);
    sy += weight * Math.floor(i / W);
  });
  return { x: sx / sum, y: sy / sum };
}

const SEARCH = 32;
/** Grey levels of frame difference left by sensor grain and JPEG alone. */
const NOISE_LEVEL = 6;

/** The integer shift (±SEARCH px) that best moves `a` onto `b` (least squares over the centre). */
function bestShift(a: Uint8Array, b: Uint8Array): { x: number; y: number } {
  const [pa, pb] = [edges(a), edges(b)];
  let best = { x: 0, y: 0, cost: Infinity };
  for (let sy = -SEARCH; sy <= SEARCH; sy++)
    for (let sx = -SEARCH; sx <= SEARCH; sx++) {
      let cost = 0;
      for (let y = SEARCH; y < H - SEARCH; y += 2)
        for (let x = SEARCH; x < W - SEARCH; x += 2) {
          const d = pa[y * W + x] - pb[(y + sy) * W + x + sx];
          cost += d * d;
        }
      if (cost < best.cost) best = { x: sx, y: sy, cost };
    }
  return { x: best.x, y: best.y };
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

  it('puts the motion where its AU acts: lip-corner pull at the mouth, brow lowering at the brows', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mer-demo-'));
    const manifest = await generateDemoDataset(dir, { ...small, subjects: 1 });
    const energyOf = async (threeClass: string) => {
      const clip = manifest.clips.find((c) => c.threeClass === threeClass)!;
      const [onset, apex] = await onsetAndApex(dir, clip);
      // Mean frame difference in a box wide enough for any subject's shift of the face.
      return (cx: number, cy: number) => {
        const [x0, y0] = [Math.round((cx * W) / 640), Math.round((cy * H) / 480)];
        let sum = 0;
        for (let y = y0 - 16; y < y0 + 16; y++)
          for (let x = x0 - 16; x < x0 + 16; x++)
            sum += Math.abs(apex[y * W + x] - onset[y * W + x]);
        return sum / (32 * 32);
      };
    };
    const [positive, negative] = await Promise.all([energyOf('positive'), energyOf('negative')]);
    const mouth = (energy: typeof positive) => (energy(250, 343) + energy(360, 348)) / 2;
    const brows = (energy: typeof positive) => (energy(250, 222) + energy(365, 228)) / 2;
    expect(mouth(positive)).toBeGreaterThan(2 * mouth(negative));
    expect(brows(negative)).toBeGreaterThan(2 * brows(positive));
    expect(mouth(positive)).toBeGreaterThan(2 * positive(60, 60));
  });

  it("moves each subject's own face: the motion follows the face where the subject's look put it", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mer-demo-'));
    const manifest = await generateDemoDataset(dir, { ...small, subjects: 4 });
    const positive = manifest.clips.filter((clip) => clip.threeClass === 'positive');
    const frames = await Promise.all(
      positive.map(async (clip) => {
        const [onset, apex] = await onsetAndApex(dir, clip);
        return { onset, motion: onset.map((value, i) => Math.abs(apex[i] - value)) };
      }),
    );
    const [first, ...others] = frames;
    let largestFaceShift = 0;
    for (const other of others) {
      const face = bestShift(first.onset, other.onset);
      const [a, b] = [centroid(first.motion), centroid(other.motion)];
      const motion = { x: b.x - a.x, y: b.y - a.y };
      largestFaceShift = Math.max(largestFaceShift, Math.hypot(face.x, face.y));
      expect(Math.hypot(motion.x - face.x, motion.y - face.y)).toBeLessThanOrEqual(3);
    }
    expect(largestFaceShift).toBeGreaterThan(4); // the subjects' faces do sit apart
  });

  it('refuses sizes it cannot make', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mer-demo-'));
    await expect(generateDemoDataset(dir, { width: 10 })).rejects.toThrow(/frame size/);
    await expect(generateDemoDataset(dir, { subjects: 0 })).rejects.toThrow(/subjects/);
  });
});
