import type { ThreeClass } from '../../../shared/domain';

/**
 * AU-like local motions for the demo dataset, placed on the committed face photo
 * (assets/astronaut.png cropped to the face, see face-crop.ts). Coordinates are in pixels of a
 * 640×480 frame and scale with the frame size; directions are unit-ish vectors.
 */
export interface Bump {
  x: number;
  y: number;
  radius: number;
  dx: number;
  dy: number;
}

export interface DemoMotion {
  name: string;
  aus: string;
  emotion: string;
  threeClass: ThreeClass;
  bumps: Bump[];
}

const LEFT_BROW = { x: 250, y: 222 };
const RIGHT_BROW = { x: 365, y: 228 };
const LEFT_MOUTH = { x: 250, y: 343 };
const RIGHT_MOUTH = { x: 360, y: 348 };

export const DEMO_MOTIONS: DemoMotion[] = [
  {
    name: 'lip-corner-pull',
    aus: 'AU6+AU12',
    emotion: 'happiness',
    threeClass: 'positive',
    bumps: [
      { ...LEFT_MOUTH, radius: 32, dx: -0.7, dy: -0.7 },
      { ...RIGHT_MOUTH, radius: 32, dx: 0.7, dy: -0.7 },
      { x: 240, y: 300, radius: 36, dx: 0, dy: -0.4 },
      { x: 370, y: 300, radius: 36, dx: 0, dy: -0.4 },
    ],
  },
  {
    name: 'brow-raise',
    aus: 'AU1+AU2+AU26',
    emotion: 'surprise',
    threeClass: 'surprise',
    bumps: [
      { ...LEFT_BROW, radius: 45, dx: 0, dy: -1 },
      { ...RIGHT_BROW, radius: 45, dx: 0, dy: -1 },
      { x: 305, y: 380, radius: 45, dx: 0, dy: 0.6 },
    ],
  },
  {
    name: 'brow-lower',
    aus: 'AU4',
    emotion: 'disgust',
    threeClass: 'negative',
    bumps: [
      { ...LEFT_BROW, radius: 40, dx: 0.5, dy: 0.85 },
      { ...RIGHT_BROW, radius: 40, dx: -0.5, dy: 0.85 },
    ],
  },
];
