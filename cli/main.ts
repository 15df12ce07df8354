import { parseArgs } from 'node:util';
import { ExitCode } from '../lib/command-error';
import type { Command } from './command';
import { commands } from './commands';

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'lifeboat: disaster-recovery runbooks on Temporal',
    '',
    'Usage: lifeboat <command> [options]',
    '',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Every command takes --json. Identity: --as USER, then LIFEBOAT_USER, then the OS user.',
    'Temporal: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_PROFILE; default localhost:7233.',
    'Exit codes: 0 success, 1 refused or failed, 2 bad usage or bad input.',
  ].join('\n');
}

function parse(command: Command, argv: string[], usageError: (message: string, suggestion?: string) => Error) {
  try {
    return parseArgs({ args: argv, options: command.options, allowPositionals: true, strict: true });
  } catch (err) {
    throw usageError(`${(err as Error).message.replace(/\. To specify a positional.*$/s, '')}`, `usage: ${command.usage}`);
  }
}

/** Runs one command line and returns the exit code; never calls process.exit. */
export async function main(
  argv: string[],
  io = { stdout: (t: string) => void process.stdout.write(t), stderr: (t: string) => void process.stderr.write(t) },
  env = process.env,
): Promise<number> {
  const [name, ...rest] = argv;
  const json = rest.includes('--json');
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(`${help()}\n`);
    return name ? ExitCode.ok : ExitCode.usage;
  }
  // Past the help, and only now: the error printer, the context (with its Temporal client) and the one command named.
  const [{ handleError, usageError }, { CliContext }] = await Promise.all([import('./errors'), import('./context')]);
  const entry = commands.find((c) => c.name === name);
  const ctx = new CliContext(io, env, json);
  try {
    if (!entry) throw usageError(`unknown command "${name}"`, `one of: ${commands.map((c) => c.name).join(', ')}`);
    const command = await entry.load();
    const { values, positionals } = parse(command, rest, usageError);
    if (values.help) {
      io.stdout(`${command.summary}\n\nUsage: ${command.usage}\n`);
      return ExitCode.ok;
    }
    return await command.run(ctx, { values: values as Record<string, unknown>, positionals });
  } catch (err) {
    return handleError(err, { stderr: io.stderr, json });
  } finally {
    await ctx.close();
  }
}
