import type { CliCommand } from '../command';
import { ExitCode, UserError } from '../command';
import { parseCommandArgs, printJson } from '../options';
import { openDataset } from '../../dataset';
import { checkFrameFiles } from '../../dataset/check';
import type { Clip, DatasetIndex } from '../../../shared/domain';

const usage = 'mer-studio info <dataset-dir> [--json] [--clips] [--check] [--fps <n>]';

const LAYOUT_NAMES: Partial<Record<DatasetIndex['kind'], string>> = {
  casme2: 'CASME II (raw)',
  'casme2-cropped': 'CASME II (cropped)',
  samm: 'SAMM',
  'smic-hs': 'SMIC-HS',
  'casme3-a': 'CAS(ME)^3 part A',
  generic: 'generic folder',
  demo: 'MER Studio demo',
};

export const infoCommand: CliCommand = {
  name: 'info',
  summary: 'detect a dataset folder and list its subjects, clips, frames, fps and problems',
  help: `${usage}

Detects the dataset's layout (CASME II raw or cropped, SAMM, SMIC-HS, CAS(ME)^3 part A, a generic
folder of frame folders or videos, or several of these side by side) from the folder, the folder
above its subjects, or a subject folder, and prints subjects, clips, frame counts, fps and problems
(missing frame numbers, unreadable folders or videos, odd file names).

  --json      the whole index for machines (clips with frame counts, fps, sizes, frame numbers)
  --clips     list every clip (text output)
  --check     also read every frame file and report empty, truncated or non-image files
  --fps <n>   frame rate for the whole dataset (else <dataset>/.mer-studio/dataset.json, else the
              dataset's own: CASME II 200, SAMM 200, SMIC-HS 100, CAS(ME)^3 30, videos their own)`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      argv,
      { clips: { type: 'boolean' }, check: { type: 'boolean' }, fps: { type: 'string' } },
      usage,
    );
    if (positionals.length !== 1) throw new UserError(`usage: ${usage}`, ExitCode.usage);
    const fps = values.fps === undefined ? undefined : Number(values.fps);
    if (fps !== undefined && !(fps > 0 && fps <= 100_000)) {
      throw new UserError(
        `--fps must be a number above 0 and at most 100000, got ${JSON.stringify(values.fps)}`,
        ExitCode.usage,
      );
    }
    const dataset = await openDataset(positionals[0], { fps, signal: io.signal }).catch(
      (error: Error) => {
        throw new UserError(error.message);
      },
    );
    if (values.check) {
      const found = await checkFrameFiles(
        dataset,
        (done, total) => {
          if (io.isTTY) io.err(`checking frames: clip ${done}/${total}`);
        },
        io.signal,
      );
      dataset.problems.push(...found);
    }
    if (values.json) {
      printJson(io, describe(dataset, values.check === true));
      return ExitCode.ok;
    }
    printText(dataset, values.clips === true, io.out);
    return ExitCode.ok;
  },
};

/** Several datasets opened together load as one generic index whose clips differ in frame rate. */
function layoutName(dataset: DatasetIndex): string {
  const several = dataset.problems.some((p) => p.message.startsWith('several datasets found'));
  if (several) return 'several datasets side by side';
  return LAYOUT_NAMES[dataset.kind] ?? dataset.kind;
}

function describe(dataset: DatasetIndex, checked: boolean) {
  return {
    root: dataset.root,
    name: dataset.name,
    kind: dataset.kind,
    layout: layoutName(dataset),
    fps: dataset.fps,
    subjects: dataset.subjects,
    totals: {
      subjects: dataset.subjects.length,
      clips: dataset.clips.length,
      frames: dataset.clips.reduce((sum, clip) => sum + clip.frameCount, 0),
      problems: dataset.problems.length,
    },
    framesChecked: checked,
    clips: dataset.clips.map(describeClip),
    problems: dataset.problems,
  };
}

function describeClip(clip: Clip) {
  const numbers = clip.frameNumbers;
  return {
    id: clip.id,
    subject: clip.subject,
    name: clip.name,
    kind: clip.source.kind,
    path: clip.source.kind === 'images' ? clip.source.dir : clip.source.file,
    frameCount: clip.frameCount,
    fps: clip.fps,
    durationMs: Math.round((clip.frameCount / clip.fps) * 1000),
    width: clip.width,
    height: clip.height,
    ...(numbers && numbers.length > 0
      ? {
          firstFrameNumber: numbers[0],
          lastFrameNumber: numbers[numbers.length - 1],
          frameNumbers: numbers,
        }
      : {}),
    folderEmotion: clip.folderEmotion,
    problems: clip.problems,
  };
}

function printText(dataset: DatasetIndex, listClips: boolean, out: (text: string) => void): void {
  const frames = dataset.clips.reduce((sum, clip) => sum + clip.frameCount, 0);
  out(dataset.root);
  out(`layout: ${layoutName(dataset)} (${dataset.kind})   fps: ${dataset.fps}`);
  out(`subjects: ${dataset.subjects.length}   clips: ${dataset.clips.length}   frames: ${frames}`);
  out(`subjects: ${abbreviate(dataset.subjects, 20)}`);
  const rates = [...new Set(dataset.clips.map((clip) => clip.fps))];
  if (rates.length > 1) out(`clip frame rates: ${rates.join(', ')} fps`);
  const counts = dataset.clips.map((clip) => clip.frameCount);
  out(`frames per clip: ${Math.min(...counts)}–${Math.max(...counts)}`);
  if (listClips) {
    for (const clip of dataset.clips) {
      const size = clip.width ? `${clip.width}×${clip.height}` : '?';
      const numbers = clip.frameNumbers
        ? ` #${clip.frameNumbers[0]}–${clip.frameNumbers[clip.frameNumbers.length - 1]}`
        : '';
      const label = clip.folderEmotion ? `  ${clip.folderEmotion}` : '';
      out(
        `  ${clip.id}  ${clip.frameCount} frames${numbers}  ${clip.fps} fps  ${size}  ${clip.source.kind}${label}`,
      );
    }
  }
  for (const problem of dataset.problems.slice(0, 50)) {
    const where = problem.clipId ?? problem.path ?? '';
    out(`${problem.severity}: ${where ? `${where}: ` : ''}${problem.message}`);
  }
  if (dataset.problems.length > 50) {
    out(`… ${dataset.problems.length - 50} more problems (see --json)`);
  }
  if (dataset.problems.length === 0) out('no problems found');
}

function abbreviate(values: string[], limit: number): string {
  return values.length > limit
    ? `${values.slice(0, limit).join(', ')}, … (${values.length})`
    : values.join(', ');
}
