import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ExitCode, UserError } from './command';

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs with every command's shared flags and a usage error users can read. */
export function parseCommandArgs<O extends Options>(argv: string[], options: O, usage: string) {
  try {
    return parseArgs({
      args: argv,
      options: { ...options, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    // Node's message goes on about `--` for positionals (with an unbalanced quote): its first sentence says it all.
    const message = (error as Error).message.replace(
      /\. To specify a positional argument[\s\S]*$/,
      '',
    );
    throw new UserError(`${message}\nusage: ${usage}`, ExitCode.usage);
  }
}

export function positiveInteger(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number <= 0) {
    throw new UserError(
      `${name} must be a positive whole number, got ${JSON.stringify(value)}`,
      ExitCode.usage,
    );
  }
  return number;
}

export function printJson(io: { out(text: string): void }, value: unknown): void {
  io.out(JSON.stringify(value, null, 2));
}
