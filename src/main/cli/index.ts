import type { CliCommand, CliIO } from './command';
import { ExitCode, UserError } from './command';
import { appVersion } from '../app/app-handlers';
import { demoCommand } from './commands/demo';
import { classifyCommand } from './commands/classify';
import { importCommand } from './commands/import';
import { infoCommand } from './commands/info';
import { inputCommand } from './commands/input';
import { serveCommand } from './commands/serve';
import { flowCommand } from './commands/flow';
import { trainCommand } from './commands/train';

/** Every `mer-studio <command>`; each lives in its own file under commands/. */
const commands: CliCommand[] = [
  serveCommand,
  demoCommand,
  infoCommand,
  importCommand,
  flowCommand,
  inputCommand,
  classifyCommand,
  trainCommand,
];

export async function runCli(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-v') {
    io.out(appVersion());
    return ExitCode.ok;
  }
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(overview());
    return name === undefined ? ExitCode.usage : ExitCode.ok;
  }
  const command = commands.find((candidate) => candidate.name === name);
  if (!command) {
    io.err(`unknown command ${JSON.stringify(name)}\n\n${overview()}`);
    return ExitCode.usage;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(command.help);
    return ExitCode.ok;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    const { exitCode, message, detail } = describeFailure(error, io.signal.aborted);
    io.err(`mer-studio ${name}: ${detail}`);
    // A script reading --json output gets the failure as JSON too, not an empty stdout.
    if (rest.includes('--json')) io.out(JSON.stringify({ error: message, exitCode }, null, 2));
    return exitCode;
  }
}

function describeFailure(
  error: unknown,
  cancelled: boolean,
): { exitCode: number; message: string; detail: string } {
  if (error instanceof UserError) {
    return { exitCode: error.exitCode, message: error.message, detail: error.message };
  }
  if (cancelled) return { exitCode: ExitCode.failure, message: 'cancelled', detail: 'cancelled' };
  const message = (error as Error).message ?? String(error);
  // File-system errors (EACCES, ENOTDIR, ENOSPC, …) are the user's to fix: no stack trace.
  const isSystemError = typeof (error as NodeJS.ErrnoException).code === 'string';
  const detail = isSystemError ? message : ((error as Error).stack ?? String(error));
  return { exitCode: ExitCode.failure, message, detail };
}

function overview(): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  return [
    'usage: mer-studio <command> [options]   (mer-studio <command> --help for details)',
    '',
    ...commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    'Every command takes --json for machine-readable output. Exit codes: 0 ok, 1 failure,',
    '2 usage error, 3 bad input.',
  ].join('\n');
}

/** The process entry (out/main/cli.js, run by bin/mer-studio.js). */
export async function main(): Promise<void> {
  const controller = new AbortController();
  let interrupts = 0;
  process.on('SIGINT', () => {
    if (++interrupts > 1) process.exit(130);
    controller.abort();
  });
  process.on('SIGTERM', () => controller.abort());
  // A reader that stops early (`| head`) closes the pipe: stop quietly, as other tools do.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    controller.abort();
    process.exit(process.exitCode ?? 0);
  });
  const io: CliIO = {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) =>
      process.stderr.write(text.endsWith('\n') || text.startsWith('\r') ? text : `${text}\n`),
    isTTY: Boolean(process.stderr.isTTY),
    signal: controller.signal,
  };
  process.exitCode = await runCli(process.argv.slice(2), io);
}
