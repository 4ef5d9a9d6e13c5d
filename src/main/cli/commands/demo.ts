import path from 'node:path';
import type { CliCommand } from '../command';
import { ExitCode, UserError } from '../command';
import { parseCommandArgs, positiveInteger, printJson } from '../options';
import { DEFAULT_DEMO, generateDemoDataset } from '../../dataset/demo/generate';

const usage =
  'mer-studio demo <dir> [--subjects N] [--clips-per-subject M] [--size WxH] [--frames N] [--json]';

export const demoCommand: CliCommand = {
  name: 'demo',
  summary: 'write the built-in demo dataset (200 fps clips with known onset/apex/label)',
  help: `${usage}

Writes a demo dataset made by warping a public-domain face photo with smooth AU-like motions
(lip-corner pull → positive, brow raise → surprise, brow lower → negative). Each clip's onset,
apex, offset and label are in <dir>/mer-demo.json.

  --subjects N            subjects (default ${DEFAULT_DEMO.subjects})
  --clips-per-subject M   clips per subject (default ${DEFAULT_DEMO.clipsPerSubject})
  --size WxH              frame size (default ${DEFAULT_DEMO.width}x${DEFAULT_DEMO.height})
  --frames N              frames per clip (default ${DEFAULT_DEMO.framesPerClip})
  --json                  print the manifest as JSON`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      argv,
      {
        subjects: { type: 'string' },
        'clips-per-subject': { type: 'string' },
        size: { type: 'string' },
        frames: { type: 'string' },
      },
      usage,
    );
    if (positionals.length !== 1) throw new UserError(`usage: ${usage}`, ExitCode.usage);
    const [width, height] = parseSize(values.size);
    const dir = path.resolve(positionals[0]);
    const started = Date.now();
    let manifest;
    try {
      manifest = await generateDemoDataset(
        dir,
        {
          subjects: positiveInteger(values.subjects, '--subjects', DEFAULT_DEMO.subjects),
          clipsPerSubject: positiveInteger(
            values['clips-per-subject'],
            '--clips-per-subject',
            DEFAULT_DEMO.clipsPerSubject,
          ),
          framesPerClip: positiveInteger(values.frames, '--frames', DEFAULT_DEMO.framesPerClip),
          width,
          height,
        },
        (done, total) => {
          if (io.isTTY) io.err(`\rwriting clips ${done}/${total}`);
        },
      );
    } catch (error) {
      if (error instanceof RangeError) throw new UserError(error.message, ExitCode.usage);
      throw error;
    }
    if (io.isTTY) io.err('\n');
    if (values.json) printJson(io, { dir, ...manifest });
    else {
      io.out(
        `wrote ${manifest.clips.length} clips (${manifest.width}×${manifest.height}, ${manifest.fps} fps) ` +
          `to ${dir} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
    }
    return ExitCode.ok;
  },
};

function parseSize(text: string | undefined): [number, number] {
  if (text === undefined) return [DEFAULT_DEMO.width, DEFAULT_DEMO.height];
  const match = /^(\d+)x(\d+)$/i.exec(text);
  if (!match)
    throw new UserError(
      `--size must look like 640x480, got ${JSON.stringify(text)}`,
      ExitCode.usage,
    );
  return [Number(match[1]), Number(match[2])];
}
