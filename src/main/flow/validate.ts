import type { FlowField, GreyImage } from './types';

/** Largest accepted width or height (same as the addon's limits.maxSide). */
export const MAX_IMAGE_SIDE = 8192;
/** Largest accepted pixel count, 16 Mpx (same as the addon's limits.maxPixels). */
export const MAX_IMAGE_PIXELS = 16 * 1024 * 1024;

/** Checks that width and height are integers within the addon's documented limits. */
export function checkDimensions(width: number, height: number, what: string): void {
  const maxSide = MAX_IMAGE_SIDE;
  const maxPixels = MAX_IMAGE_PIXELS;
  for (const [name, value] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(`${what}: ${name} must be a positive integer, got ${value}`);
    }
    if (value > maxSide) {
      throw new RangeError(`${what}: ${name} ${value} exceeds the limit of ${maxSide} pixels`);
    }
  }
  if (width * height > maxPixels) {
    throw new RangeError(
      `${what}: ${width}x${height} exceeds the limit of ${maxPixels} pixels (e.g. 4096x4096)`,
    );
  }
}

export function checkGreyImage(image: GreyImage, what: string): void {
  checkDimensions(image.width, image.height, what);
  if (!(image.data instanceof Float32Array) && !(image.data instanceof Uint8Array)) {
    throw new TypeError(`${what}: data must be a Float32Array or Uint8Array`);
  }
  const expected = image.width * image.height;
  if (image.data.length !== expected) {
    throw new RangeError(
      `${what}: data has ${image.data.length} values, expected ${image.width}x${image.height} = ${expected}`,
    );
  }
}

export function checkFlowField(flow: FlowField, what: string): void {
  checkDimensions(flow.width, flow.height, what);
  const expected = flow.width * flow.height;
  for (const [name, values] of [
    ['u', flow.u],
    ['v', flow.v],
  ] as const) {
    if (!(values instanceof Float32Array)) {
      throw new TypeError(`${what}: ${name} must be a Float32Array`);
    }
    if (values.length !== expected) {
      throw new RangeError(`${what}: ${name} has ${values.length} values, expected ${expected}`);
    }
  }
}

export function checkSameSize(
  a: { width: number; height: number },
  b: { width: number; height: number },
  what: string,
): void {
  if (a.width !== b.width || a.height !== b.height) {
    throw new RangeError(
      `${what}: sizes differ (${a.width}x${a.height} vs ${b.width}x${b.height})`,
    );
  }
}
