import { describe, expect, it } from 'vitest';
import { keyPointsFromMesh, MESH_POINTS } from './keypoints';

describe('keyPointsFromMesh', () => {
  it('names points by image side even for a mirrored mesh', () => {
    const mesh = new Float32Array(2 * MESH_POINTS);
    const set = (i: number, x: number, y: number) => ([mesh[2 * i], mesh[2 * i + 1]] = [x, y]);
    // Mirrored: MediaPipe's "right" features on the image's right.
    for (const i of [33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246]) {
      set(i, 300, 100);
    }
    for (const i of [
      263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466,
    ]) {
      set(i, 200, 104);
    }
    set(1, 250, 150);
    set(61, 290, 200);
    set(291, 210, 198);
    const p = keyPointsFromMesh(mesh);
    expect(p.leftEye).toEqual({ x: 200, y: 104 });
    expect(p.rightEye).toEqual({ x: 300, y: 100 });
    expect(p.nose).toEqual({ x: 250, y: 150 });
    expect(p.leftMouth).toEqual({ x: 210, y: 198 });
    expect(p.rightMouth).toEqual({ x: 290, y: 200 });
  });

  it('names sides across the face, turned upright, for a face on its side or upside down', () => {
    const mesh = new Float32Array(2 * MESH_POINTS);
    const set = (i: number, x: number, y: number) => ([mesh[2 * i], mesh[2 * i + 1]] = [x, y]);
    const place = (turn: (x: number, y: number) => [number, number]) => {
      // An upright face: its right eye (MediaPipe's "right") on the image's left.
      for (const i of [33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246])
        set(i, ...turn(200, 100));
      for (const i of [
        263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466,
      ])
        set(i, ...turn(300, 100));
      set(1, ...turn(250, 150));
      set(61, ...turn(210, 200));
      set(291, ...turn(290, 200));
      return keyPointsFromMesh(mesh);
    };
    const upright = place((x, y) => [x, y]);
    for (const turn of [
      (x: number, y: number): [number, number] => [-x, -y], // upside down
      (x: number, y: number): [number, number] => [-y, x], // on its side, turned clockwise
      (x: number, y: number): [number, number] => [y, -x], // turned anticlockwise
    ]) {
      const turned = place(turn);
      const turnPoint = ({ x, y }: { x: number; y: number }) => {
        const [tx, ty] = turn(x, y);
        return { x: tx, y: ty };
      };
      expect(turned.leftEye).toEqual(turnPoint(upright.leftEye));
      expect(turned.rightMouth).toEqual(turnPoint(upright.rightMouth));
    }
  });

  it('rejects a mesh without the 468 points', () => {
    expect(() => keyPointsFromMesh(new Float32Array(10))).toThrow(/468/);
  });
});
