import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CliCommand } from '../command';
import { ExitCode, UserError } from '../command';
import { parseCommandArgs, positiveInteger, printJson } from '../options';
import type { RawFrame } from '../../media/pam';
import { decodeImageFile } from '../../media/image-decode';
import { buildModelInput, DEFAULT_CROP_SIZE, type ModelInput } from '../../face/model-input';
import { MAP_SIZE } from '../../face/maps';
import { pngOfMap, renderStages } from '../../face/render';

const usage =
  'mer-studio input <onset-image> <apex-image> [--out-dir <dir>] [--crop-size N] [--nose] [--json]';

export const inputCommand: CliCommand = {
  name: 'input',
  summary: 'build the model input (face landmarks, alignment, flow, 28×28 maps) from two images',
  help: `${usage}

Finds the face in the onset image (FaceMesh), aligns onset and apex on the eye centres and nose,
computes TV-L1 flow and optical strain on the aligned grey crops, and builds the 3×28×28 maps
(u, v, strain) the model reads: the whole face, and HTNet's region mosaic.

  --out-dir <dir>   write the previews (PNG) and the exact float tensors (.f32, little-endian,
                    with a .json header naming shape and layout); without it nothing is written
  --crop-size N     side of the aligned face crop in pixels (default ${DEFAULT_CROP_SIZE})
  --nose            add the nose window at the centre of the mosaic
  --json            print points (source pixels), regionMotion (mean flow magnitude per region,
                    crop pixels), timings per stage and the files written

Exit code 3 when the pair is not usable (no face, face cut by the border, identical frames…):
the status and reasons are still printed.`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      argv,
      { 'out-dir': { type: 'string' }, 'crop-size': { type: 'string' }, nose: { type: 'boolean' } },
      usage,
    );
    if (positionals.length !== 2) throw new UserError(`usage: ${usage}`, ExitCode.usage);
    const cropSize = positiveInteger(values['crop-size'], '--crop-size', DEFAULT_CROP_SIZE);
    if (cropSize < 56 || cropSize > 1024) {
      throw new UserError(`--crop-size must be 56–1024, got ${cropSize}`, ExitCode.usage);
    }
    const [onsetFile, apexFile] = positionals.map((file) => path.resolve(file));
    const started = performance.now();
    const [onset, apex] = await Promise.all([readImage(onsetFile), readImage(apexFile)]);
    const decode = performance.now() - started;
    const input = await buildModelInput(onset, apex, io.signal, {
      cropSize,
      includeNose: values.nose ?? false,
    });
    const files = values['out-dir']
      ? await writeOutputs(path.resolve(values['out-dir']), input)
      : {};
    const report = {
      onset: onsetFile,
      apex: apexFile,
      status: input.status,
      reasons: input.reasons,
      facesFound: input.facesFound,
      points: input.points,
      cropPoints: input.cropPoints,
      cropSize: input.cropSize,
      regionMotion: input.regionMotion,
      timings: { decode, ...input.timings },
      files,
    };
    if (values.json) printJson(io, report);
    else io.out(describe(report));
    return input.status === 'failed' ? ExitCode.badInput : ExitCode.ok;
  },
};

async function readImage(file: string): Promise<RawFrame> {
  // Upright after its EXIF orientation, as viewers show it; BMP too (SMIC's frames).
  return decodeImageFile(file, false, file).catch((error: Error) => {
    throw new UserError(error.message);
  });
}

/** Writes the previews and the float tensors; returns name → path. */
async function writeOutputs(dir: string, input: ModelInput): Promise<Record<string, string>> {
  await mkdir(dir, { recursive: true });
  const files: Record<string, string> = {};
  const put = async (name: string, content: Buffer | string) => {
    files[name] = path.join(dir, name);
    await writeFile(files[name], content);
  };
  const pngs = await renderStages(input);
  if (pngs) {
    await put('onset-crop.png', pngs.onsetCrop);
    await put('apex-crop.png', pngs.apexCrop);
    await put('flow.png', pngs.flowColor);
    await put('strain.png', pngs.strain);
    await put('map-u.png', pngs.u);
    await put('map-v.png', pngs.v);
    await put('map-strain.png', pngs.strainMap);
    // 28×28 RGB, stretched per channel: the same format as the composite's maps.
    await put('model-input.png', await pngOfMap(input.maps));
    await put('mosaic.png', await pngOfMap(input.mosaic));
  }
  // A failed pair has no model input: no all-zero tensor that a script could take for one.
  if (input.status === 'failed') return files;
  for (const [name, maps, layout] of [
    ['model-input', input.maps, 'whole-face'],
    ['mosaic', input.mosaic, 'mosaic [leftEye | leftMouth] over [rightEye | rightMouth]'],
  ] as const) {
    await put(`${name}.f32`, littleEndian(maps));
    await put(`${name}.json`, JSON.stringify(tensorHeader(`${name}.f32`, layout, input), null, 2));
  }
  return files;
}

function tensorHeader(file: string, layout: string, input: ModelInput) {
  return {
    file,
    dtype: 'float32',
    byteOrder: 'little-endian',
    shape: [1, 3, MAP_SIZE, MAP_SIZE],
    channels: ['u', 'v', 'strain'],
    layout,
    units:
      'u, v in face-crop pixels; strain dimensionless; not normalised (the model min-max stretches each channel)',
    cropSize: input.cropSize,
    status: input.status,
    reasons: input.reasons,
  };
}

function littleEndian(values: Float32Array): Buffer {
  const buffer = Buffer.alloc(values.length * 4);
  for (let i = 0; i < values.length; i++) buffer.writeFloatLE(values[i], i * 4);
  return buffer;
}

function describe(report: {
  status: string;
  reasons: string[];
  regionMotion: Record<string, number> | null;
  timings: Record<string, number>;
  files: Record<string, string>;
}): string {
  const lines = [`status: ${report.status}`, ...report.reasons.map((reason) => `  ${reason}`)];
  if (report.regionMotion) {
    const motion = Object.entries(report.regionMotion).map(
      ([name, value]) => `${name} ${value.toFixed(2)}`,
    );
    lines.push(`mean flow magnitude (crop px): ${motion.join(', ')}`);
  }
  const timings = Object.entries(report.timings).map(([name, ms]) => `${name} ${ms.toFixed(0)}`);
  lines.push(`milliseconds: ${timings.join(', ')}`);
  const written = Object.values(report.files);
  lines.push(
    written.length > 0
      ? `wrote ${written.length} files to ${path.dirname(written[0])}`
      : report.status === 'failed'
        ? 'no files written: the pair gives no model input'
        : 'no files written (use --out-dir)',
  );
  return lines.join('\n');
}
