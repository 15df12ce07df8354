import { z } from 'zod';
import { terminalSafeJson, visibleText } from '../lib/terminal-text';

/** Exit codes scripts rely on: 0 success, 1 refused or failed, 2 bad usage or bad input. */
export const ExitCode = { ok: 0, refused: 1, usage: 2 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error the CLI explains to a person: what went wrong, and how to fix it. */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly code: string;
  readonly suggestion: string | undefined;
  readonly exitCode: ExitCode;
  constructor(message: string, options: { code: string; suggestion?: string; exitCode?: ExitCode }) {
    super(message);
    this.code = options.code;
    this.suggestion = options.suggestion;
    this.exitCode = options.exitCode ?? ExitCode.refused;
  }
}

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
