import { z } from 'zod';
import { CliError, ExitCode } from '../lib/command-error';
import { terminalSafeJson, visibleText } from '../lib/terminal-text';

export { CliError, ExitCode } from '../lib/command-error';

/** Bad usage: unknown flag, missing argument. Exit 2. */
export function usageError(message: string, suggestion?: string): CliError {
  return new CliError(message, { code: 'usage', exitCode: ExitCode.usage, ...(suggestion ? { suggestion } : {}) });
}

/** A zod failure on user input, printed field by field. Exit 2. */
export function inputError(what: string, error: z.ZodError, suggestion?: string): CliError {
  return new CliError(`${what}:\n${z.prettifyError(error)}`, { code: 'invalid-input', exitCode: ExitCode.usage, ...(suggestion ? { suggestion } : {}) });
}

/** Writes any error to stderr, as text or as JSON under --json, and returns the exit code. */
export function handleError(err: unknown, io: { stderr: (text: string) => void; json: boolean }): ExitCode {
  const cli = err instanceof CliError ? err : new CliError(err instanceof Error ? err.message : String(err), { code: 'failed', exitCode: ExitCode.refused });
  if (io.json) {
    io.stderr(terminalSafeJson({ error: { code: cli.code, message: cli.message, ...(cli.suggestion ? { suggestion: cli.suggestion } : {}) } }) + '\n');
  } else {
    // A refusal quotes names and reasons people typed; they are shown, never obeyed by the terminal.
    io.stderr(`error: ${visibleText(cli.message)}\n${cli.suggestion ? `  fix: ${visibleText(cli.suggestion)}\n` : ''}`);
  }
  return cli.exitCode;
}
