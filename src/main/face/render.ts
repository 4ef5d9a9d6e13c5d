import sharp from 'sharp';
import { flowToColor, heatmap, type RgbaImage } from '../flow';
import { MAP_SIZE, minMaxPerChannel } from './maps';
import type { ModelInput } from './model-input';

/** Nearest-neighbour enlargement of the 28×28 previews. */
const MAP_ZOOM = 8;

export async function pngOfGrey(values: Float32Array, size: number): Promise<Buffer> {
  const bytes = Uint8Array.from(values, (v) => Math.min(255, Math.max(0, Math.round(v))));
  return sharp(bytes, { raw: { width: size, height: size, channels: 1 } })
    .png()
    .toBuffer();
}

export async function pngOfRgba(image: RgbaImage, zoom = 1): Promise<Buffer> {
  const png = sharp(image.data, { raw: { width: image.width, height: image.height, channels: 4 } });
  if (zoom > 1) png.resize(image.width * zoom, image.height * zoom, { kernel: 'nearest' });
  return png.png().toBuffer();
}

/** A [3, 28, 28] map as a PNG in the composite's own format: RGB, no alpha (see mapToRgba). */
export async function pngOfMap(maps: Float32Array): Promise<Buffer> {
  const { data, width, height } = mapToRgba(maps);
  return sharp(data, { raw: { width, height, channels: 4 } })
    .removeAlpha()
    .png()
    .toBuffer();
}

/**
 * A [3, 28, 28] map as the composite stores its maps: R = u, G = v, B = strain, each channel
 * min-max stretched to 0..255 (the same stretch the model applies to its input).
 */
export function mapToRgba(maps: Float32Array): RgbaImage {
  const stretched = minMaxPerChannel(maps);
  const plane = MAP_SIZE * MAP_SIZE;
  const data = new Uint8ClampedArray(plane * 4);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) data[4 * i + c] = Math.round(255 * stretched[c * plane + i]);
    data[4 * i + 3] = 255;
  }
  return { width: MAP_SIZE, height: MAP_SIZE, data };
}

export function mapChannelHeatmap(maps: Float32Array, channel: number): RgbaImage {
  const plane = MAP_SIZE * MAP_SIZE;
  const stretched = minMaxPerChannel(maps).subarray(channel * plane, (channel + 1) * plane);
  return heatmap(stretched, MAP_SIZE, MAP_SIZE, { min: 0, max: 1 });
}

export interface RenderedStages {
  onsetCrop: Buffer;
  apexCrop: Buffer;
  flowColor: Buffer;
  strain: Buffer;
  whole: Buffer;
  mosaic: Buffer;
  u: Buffer;
  v: Buffer;
  strainMap: Buffer;
}

/** PNGs of every stage of a successful pipeline run; null when the run produced no flow. */
export async function renderStages(input: ModelInput): Promise<RenderedStages | null> {
  if (!input.crops || !input.flow || !input.strain) return null;
  const size = input.cropSize;
  const [onsetCrop, apexCrop, flowColor, strain, whole, mosaic, u, v, strainMap] =
    await Promise.all([
      pngOfGrey(input.crops.onset, size),
      pngOfGrey(input.crops.apex, size),
      pngOfRgba(flowToColor(input.flow)),
      pngOfRgba(heatmap(input.strain, size, size)),
      pngOfRgba(mapToRgba(input.maps), MAP_ZOOM),
      pngOfRgba(mapToRgba(input.mosaic), MAP_ZOOM),
      pngOfRgba(mapChannelHeatmap(input.maps, 0), MAP_ZOOM),
      pngOfRgba(mapChannelHeatmap(input.maps, 1), MAP_ZOOM),
      pngOfRgba(mapChannelHeatmap(input.maps, 2), MAP_ZOOM),
    ]);
  return { onsetCrop, apexCrop, flowColor, strain, whole, mosaic, u, v, strainMap };
}

export function dataUrl(png: Buffer): string {
  return `data:image/png;base64,${png.toString('base64')}`;
}
