import { afterAll, describe, expect, it } from 'vitest';
import { LandmarkDetector, closeSharedLandmarkDetector, sharedLandmarkDetector } from './landmarks';
import { greyFrame, loadAstronaut } from './synthetic';

afterAll(() => closeSharedLandmarkDetector());

describe('LandmarkDetector (FaceMesh in a worker thread)', () => {
  it('loads the model on the wasm backend and finds the 468-point mesh, RGB or grey', async () => {
    const detector = new LandmarkDetector();
    try {
      expect(await detector.whenReady()).toBe('wasm');
      const photo = await loadAstronaut();
      for (const frame of [photo, greyFrame(photo)]) {
        const { faces } = await detector.detect(frame);
        expect(faces).toHaveLength(1);
        expect(faces[0].mesh).toHaveLength(2 * 468);
        const [x, y, w, h] = faces[0].box;
        expect(x).toBeGreaterThan(120);
        expect(x + w).toBeLessThan(320);
        expect(y).toBeGreaterThan(20);
        expect(y + h).toBeLessThan(220);
      }
      // The caller's pixels are copied, not transferred away.
      expect(photo.data.length).toBe(512 * 512 * 3);
    } finally {
      await detector.close();
    }
  });

  it('answers concurrent requests in order and rejects after close', async () => {
    const detector = new LandmarkDetector();
    const photo = await loadAstronaut();
    const results = await Promise.all([detector.detect(photo), detector.detect(greyFrame(photo))]);
    expect(results.map((r) => r.faces.length)).toEqual([1, 1]);
    await detector.close();
    expect(detector.alive).toBe(false);
    await expect(detector.detect(photo)).rejects.toThrow(/closed/);
  });

  it('replaces the shared detector once it is closed', async () => {
    const first = sharedLandmarkDetector();
    expect(sharedLandmarkDetector()).toBe(first);
    await closeSharedLandmarkDetector();
    const second = sharedLandmarkDetector();
    expect(second).not.toBe(first);
    expect(await second.whenReady()).toBe('wasm');
  });
});
