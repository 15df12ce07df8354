/**
 * The error a Lifeboat command explains to a person: the `lifeboat` CLI, and the worker and scripts it shares this
 * runtime with. It lives in lib/ so that runtime code can refuse with a code, a fix and an exit code without
 * reaching up into cli/; cli/errors.ts re-exports it and prints it.
 */

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
