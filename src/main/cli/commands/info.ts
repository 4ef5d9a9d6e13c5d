import type { CliCommand } from '../command';
import { ExitCode, UserError } from '../command';
import { parseCommandArgs, printJson } from '../options';
import { openDataset } from '../../dataset';
import { summarise } from '../../dataset/handlers';

const usage = 'mer-studio info <dataset-dir> [--json]';

export const infoCommand: CliCommand = {
  name: 'info',
  summary: 'detect a dataset folder and list its subjects, clips, frames, fps and problems',
  help: `${usage}

Detects the dataset's layout and prints subjects, clips, frame counts, fps and any problems
(missing frames, unreadable files). --json prints the whole index for machines.`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, {}, usage);
    if (positionals.length !== 1) throw new UserError(`usage: ${usage}`, ExitCode.usage);
    const dataset = await openDataset(positionals[0]).catch((error: Error) => {
      throw new UserError(error.message);
    });
    const summary = summarise(dataset);
    if (values.json) {
      printJson(io, summary);
      return ExitCode.ok;
    }
    const frames = summary.clips.reduce((sum, clip) => sum + clip.frameCount, 0);
    io.out(`${summary.root}`);
    io.out(`layout: ${summary.kind}   fps: ${summary.fps}`);
    io.out(`subjects: ${summary.subjects.length}   clips: ${summary.clips.length}   frames: ${frames}`);
    for (const problem of summary.problems.slice(0, 50)) {
      io.out(`${problem.severity}: ${problem.clipId ?? problem.path ?? ''} ${problem.message}`);
    }
    if (summary.problems.length > 50) io.out(`… ${summary.problems.length - 50} more problems (see --json)`);
    return ExitCode.ok;
  },
};
