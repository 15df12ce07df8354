import { spawn } from 'node:child_process';
import type { z } from 'zod';
import { childEnv } from '../../lib/child-env';
import { providerFailure, ProviderErrorType } from '../contracts/errors';
import { activityCancellation } from '../shared/activity-context';
import { checkAnswer, type Expected } from './answers';
import type { CommandSettings } from './settings';

/** Exit status a command uses for "try again later" (sysexits' EX_TEMPFAIL): the activity retries. */
export const EXIT_RETRY = 75;

/** The most a command may print on stdout; a longer answer is refused rather than put into workflow history. */
const MAX_OUTPUT_BYTES = 256 * 1024;

/**
 * Runs the user's program for one operation: `<command…> <capability> <operation>`, with the arguments as one JSON
 * object on stdin and `LIFEBOAT_CAPABILITY`/`LIFEBOAT_OPERATION` in its environment. It answers with one JSON value on
 * stdout, which must match `expected` (a wrong answer is a refusal naming the field). Exit 0 is success; exit 75 is a
 * failure worth retrying; any other exit is a refusal, whose message is the last lines of stderr. A program still
 * running at `timeoutSeconds` is killed with every process it started, and retried; so is one killed by anyone else.
 * An activity cancelled while the program runs (the worker shutting down, say) kills the group too, and rejects with
 * the cancellation. The program sees only the allow-listed environment plus `passEnv`.
 */
export async function runCommand<S extends z.ZodType>(
  settings: CommandSettings,
  capability: string,
  operation: string,
  args: unknown,
  expected: Expected<S>,
): Promise<z.output<S>> {
  const [program, ...fixed] = settings.command as [string, ...string[]];
  const passed = Object.fromEntries(settings.passEnv.map((name) => [name, process.env[name]]));
  const env = childEnv({ ...passed, LIFEBOAT_CAPABILITY: capability, LIFEBOAT_OPERATION: operation });
  const label = `${program} ${capability} ${operation}`;
  return new Promise((resolve, reject) => {
    // Its own process group, so a timeout kills what the program started too: an `ssh` or `aws` call left running
    // could otherwise still be switching traffic while the retry runs.
    const child = spawn(program, [...fixed, capability, operation], { env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const killAll = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const out: Buffer[] = [];
    let outBytes = 0;
    let err = '';
    let tooLong = false;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killAll();
    }, settings.timeoutSeconds * 1000);
    const cancellation = activityCancellation();
    let cancelled = false;
    const onCancel = () => {
      cancelled = true;
      killAll();
    };
    cancellation?.addEventListener('abort', onCancel, { once: true });
    if (cancellation?.aborted) onCancel();
    const settled = () => {
      clearTimeout(timer);
      cancellation?.removeEventListener('abort', onCancel);
    };
    child.stdout.on('data', (d: Buffer) => {
      outBytes += d.length;
      if (outBytes > MAX_OUTPUT_BYTES) {
        tooLong = true;
        killAll();
      } else out.push(d);
    });
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString('utf8')).slice(-4000)));
    child.stdin.on('error', () => undefined);
    child.on('error', (e) => {
      settled();
      reject(providerFailure(ProviderErrorType.InvalidInput, `${label}: cannot run: ${e.message}; check "command" in the targets file`));
    });
    // A timeout is reported when the program dies, not when its pipes close: a child it started may still hold them.
    child.on('exit', (_code, signal) => {
      if ((!timedOut && !cancelled) || signal !== 'SIGKILL') return;
      settled();
      child.stdout.destroy();
      child.stderr.destroy();
      const reason: unknown = cancellation?.reason;
      if (cancelled) return reject(reason instanceof Error ? reason : new Error(`${label}: cancelled with its activity`));
      const limit = settings.timeoutSeconds;
      reject(new Error(`${label}: timed out after ${limit} s and was killed; raise "timeoutSeconds" (now ${limit}) in the targets file if it needs longer`));
    });
    child.on('close', (code, signal) => {
      settled();
      const stderr = err.trim().split('\n').slice(-5).join(' | ');
      if (tooLong)
        return reject(providerFailure(ProviderErrorType.Refused, `${label}: printed more than ${MAX_OUTPUT_BYTES} bytes; answer with a small JSON value`));
      if ((timedOut || cancelled) && signal === 'SIGKILL') return;
      if (signal) return reject(new Error(`${label}: killed by ${signal}${stderr ? `: ${stderr}` : ''}`));
      if (code === EXIT_RETRY) return reject(new Error(`${label}: asked to retry: ${stderr || 'no message'}`));
      if (code !== 0) return reject(providerFailure(ProviderErrorType.Refused, `${label}: exit ${code}: ${stderr || 'no message'}`));
      const text = Buffer.concat(out).toString('utf8').trim();
      let answer: unknown;
      try {
        answer = text === '' ? null : JSON.parse(text);
      } catch {
        return reject(providerFailure(ProviderErrorType.Refused, `${label}: stdout is not JSON: ${text.slice(0, 200)}`));
      }
      try {
        resolve(checkAnswer(expected, answer, label));
      } catch (e) {
        reject(e as Error);
      }
    });
    child.stdin.end(JSON.stringify(args ?? {}));
  });
}
