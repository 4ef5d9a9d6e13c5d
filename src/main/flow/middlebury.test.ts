import { describe, expect, it } from 'vitest';

import { hasSharedData, noteIfSharedMissing, sharedPath } from '../../../test/support/shared-data';
import { readFlo } from './flo';
import { readGreyImage } from './image-io';
import { endpointErrorStats } from './metrics';
import { computeStrain } from './strain';
import { computeFlow } from './tvl1';

describe.skipIf(noteIfSharedMissing('TV-L1 on Middlebury RubberWhale'))(
  'Middlebury ground truth',
  () => {
    it('matches the IPOL reference accuracy on RubberWhale', async () => {
      const dir = sharedPath('middlebury', 'RubberWhale');
      const [frame0, frame1, truth] = await Promise.all([
        readGreyImage(`${dir}/frame10.png`),
        readGreyImage(`${dir}/frame11.png`),
        readFlo(`${dir}/flow10.flo`),
      ]);
      expect(truth.width).toBe(frame0.width);
      const flow = await computeFlow(frame0, frame1);
      const error = endpointErrorStats(flow, truth);
      expect(error.count).toBeLessThan(frame0.width * frame0.height); // has unknown pixels
      expect(error.mean).toBeLessThan(0.25); // IPOL C: 0.216, OpenCV defaults: 0.156
      const strain = computeStrain(flow);
      expect(strain.every(Number.isFinite)).toBe(true);
    });

    it.skipIf(!hasSharedData)('reads the ground-truth .flo with its unknown markers', async () => {
      const truth = await readFlo(sharedPath('middlebury', 'Grove2', 'flow10.flo'));
      expect([truth.width, truth.height]).toEqual([640, 480]);
    });
  },
);
