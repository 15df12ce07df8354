/** What a `lifeboat` command printed and how it exited, when run inside the worker. */
export interface CommandOutput {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a `lifeboat` command in this process and keeps what it prints: the archive stores the report and the verify
 * result exactly as an operator running those commands would see them.
 */
export async function runLifeboatCommand(argv: string[], env: NodeJS.ProcessEnv): Promise<CommandOutput> {
  const { main } = await import('../main');
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) }, env);
  return { code, stdout, stderr };
}
