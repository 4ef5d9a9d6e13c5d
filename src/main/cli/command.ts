/** One `mer-studio <name>` sub-command. Each lives in its own file under cli/commands/. */
export interface CliCommand {
  name: string;
  /** One line for `mer-studio --help`. */
  summary: string;
  /** Full text for `mer-studio <name> --help`: usage line and options. */
  help: string;
  /** Returns the process exit code (see ExitCode). */
  run(argv: string[], io: CliIO): Promise<number>;
}

export interface CliIO {
  /** Standard output: results (JSON when --json). */
  out(text: string): void;
  /** Standard error: progress, warnings, errors for humans. */
  err(text: string): void;
  /** Whether standard error is a terminal (draw progress bars only then). */
  isTTY: boolean;
  /** Aborted on Ctrl-C: long work must stop and clean up. */
  signal: AbortSignal;
}

export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  badInput: 3,
} as const;

/** Thrown by a command for a problem the user can fix; printed without a stack trace. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.badInput,
  ) {
    super(message);
    this.name = 'UserError';
  }
}
