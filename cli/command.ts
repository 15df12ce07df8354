import type { ParseArgsConfig } from 'node:util';
import type { CliContext } from './context';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** One `lifeboat` command: its flags, its help, and what it does. Returns the exit code. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  options: OptionSpec;
  run(ctx: CliContext, args: { positionals: string[]; values: Record<string, unknown> }): Promise<number>;
}

/** Flags every command accepts. */
export const commonOptions = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} satisfies OptionSpec;
