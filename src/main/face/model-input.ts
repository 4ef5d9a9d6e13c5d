import sharp from 'sharp';
import type { RawFrame } from '../media/pam';
import { computeFlow, computeStrain, type FlowField } from '../flow';

/**
 * From a clip's onset and apex frames to the 3×28×28 map AHMSA-Net reads (u, v, strain).
 * FIRST WALK ONLY: the face is taken as the centred square of the frame; landmarks and
 * alignment replace this in the face pipeline.
 */
export interface ModelInput {
  /** [3, 28, 28] float32: u, v in face-crop pixels, then optical strain. */
  maps: Float32Array;
  flow: FlowField;
  timings: Record<string, number>;
}

const CROP_SIZE = 224;
export const MAP_SIZE = 28;

export async function buildModelInput(
  onset: RawFrame,
  apex: RawFrame,
  signal?: AbortSignal,
): Promise<ModelInput> {
  const started = performance.now();
  const [a, b] = await Promise.all([centredGreyCrop(onset), centredGreyCrop(apex)]);
  const cropped = performance.now();
  const flow = await computeFlow(
    { width: CROP_SIZE, height: CROP_SIZE, data: a },
    { width: CROP_SIZE, height: CROP_SIZE, data: b },
    { signal },
  );
  const flowed = performance.now();
  const strain = computeStrain(flow);
  const maps = new Float32Array(3 * MAP_SIZE * MAP_SIZE);
  maps.set(areaResize(flow.u, CROP_SIZE, MAP_SIZE), 0);
  maps.set(areaResize(flow.v, CROP_SIZE, MAP_SIZE), MAP_SIZE * MAP_SIZE);
  maps.set(areaResize(strain, CROP_SIZE, MAP_SIZE), 2 * MAP_SIZE * MAP_SIZE);
  return {
    maps,
    flow,
    timings: {
      crop: cropped - started,
      flow: flowed - cropped,
      maps: performance.now() - flowed,
    },
  };
}

async function centredGreyCrop(frame: RawFrame): Promise<Uint8Array> {
  const side = Math.min(frame.width, frame.height);
  const { data } = await sharp(frame.data, {
    raw: { width: frame.width, height: frame.height, channels: frame.channels },
  })
    .extract({
      left: Math.floor((frame.width - side) / 2),
      top: Math.floor((frame.height - side) / 2),
      width: side,
      height: side,
    })
    .greyscale()
    .resize(CROP_SIZE, CROP_SIZE, { kernel: 'cubic' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return new Uint8Array(data.buffer, data.byteOffset, CROP_SIZE * CROP_SIZE);
}

/** Box-filter downsampling of a square map (side divisible or not). */
function areaResize(source: Float32Array, from: number, to: number): Float32Array {
  const out = new Float32Array(to * to);
  const scale = from / to;
  for (let y = 0; y < to; y++) {
    for (let x = 0; x < to; x++) {
      let sum = 0;
      let count = 0;
      for (let sy = Math.floor(y * scale); sy < Math.floor((y + 1) * scale); sy++) {
        for (let sx = Math.floor(x * scale); sx < Math.floor((x + 1) * scale); sx++) {
          sum += source[sy * from + sx];
          count++;
        }
      }
      out[y * to + x] = sum / Math.max(count, 1);
    }
  }
  return out;
}
