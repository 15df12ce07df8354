import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { concat, decodeBase64, encodeBase64, equalBytes, signSshSignatureEd25519, SshFormatError, SshReader, sshString } from '../kit/trust';
import { nodeEd25519 } from './node-ed25519';

/**
 * Node-side SSH key handling for the people who sign decisions: read an unencrypted ed25519 key to sign
 * in-process, and hand everything else (passphrases, ssh-agent, FIDO keys) to `ssh-keygen`, which
 * already knows how to ask for them.
 */

/** The SSHSIG namespace Lifeboat signs and verifies (`ssh-keygen -Y sign -n lifeboat`). */
export const lifeboatNamespace = 'lifeboat';

/** How long `ssh-keygen` may take: a person may have to type a passphrase or touch a security key. */
const defaultSignTimeoutMs = 120_000;

/**
 * Thrown when a key file cannot be read or used for signing. `code` tells callers which case it is
 * (`encrypted-key` and `unsupported-key` mean "sign through ssh-keygen instead"). The message says
 * what went wrong and what to do; `problem` and `suggestion` are its two halves, for the CLI's
 * "error:" and "fix:" lines.
 */
export class SshKeyFileError extends Error {
  override readonly name = 'SshKeyFileError';
  constructor(
    readonly problem: string,
    readonly code: 'encrypted-key' | 'unsupported-key' | 'bad-key-file' | 'sign-failed',
    readonly suggestion: string,
  ) {
    super(`${problem}; ${suggestion}`);
  }
}

const privateKeyBegin = '-----BEGIN OPENSSH PRIVATE KEY-----';
const privateKeyEnd = '-----END OPENSSH PRIVATE KEY-----';
const keyV1Magic = new TextEncoder().encode('openssh-key-v1\0');
const useTheTool = 'use ssh-agent or ssh-keygen for this key';

/**
 * Reads an unencrypted `openssh-key-v1` ed25519 private key, the format `ssh-keygen -t ed25519 -N ''`
 * writes, so tests and the demo can sign without spawning a process. Encrypted keys and other types
 * throw {@link SshKeyFileError} (`encrypted-key`, `unsupported-key`): those go through ssh-keygen.
 */
export function readOpenSshEd25519PrivateKey(text: string): { seed: Uint8Array; publicKeyLine: string } {
  const start = text.indexOf(privateKeyBegin);
  const end = text.indexOf(privateKeyEnd);
  if (start < 0 || end < start) {
    const kind = /-----BEGIN ([A-Z ]*PRIVATE KEY)-----/.exec(text)?.[1];
    const problem = kind ? `this is a "${kind}" file, not an OpenSSH private key` : 'this is not an OpenSSH private key';
    throw new SshKeyFileError(problem, 'unsupported-key', useTheTool);
  }
  try {
    return readKeyV1(decodeBase64(text.slice(start + privateKeyBegin.length, end)));
  } catch (err) {
    if (err instanceof SshKeyFileError) throw err;
    throw new SshKeyFileError(`the private key is damaged (${(err as Error).message})`, 'bad-key-file', 'make a new key with ssh-keygen');
  }
}

function readKeyV1(blob: Uint8Array): { seed: Uint8Array; publicKeyLine: string } {
  const reader = new SshReader(blob, 'private key');
  if (!equalBytes(reader.take(keyV1Magic.length, 'magic'), keyV1Magic)) throw new SshFormatError('not in openssh-key-v1 format');
  const cipher = reader.text('cipher name');
  reader.text('kdf name');
  reader.string('kdf options');
  if (cipher !== 'none') {
    throw new SshKeyFileError(`the private key is encrypted (${cipher})`, 'encrypted-key', `${useTheTool} (ssh-add it, then sign with the .pub)`);
  }
  const count = reader.uint32('key count');
  if (count !== 1) throw new SshKeyFileError(`the file holds ${count} keys, expected one`, 'unsupported-key', useTheTool);
  const publicBlob = reader.string('public key');
  const secrets = new SshReader(reader.string('private section'), 'private key');
  reader.end();

  if (secrets.uint32('check') !== secrets.uint32('check')) throw new SshFormatError('its two check numbers differ');
  const type = secrets.text('key type');
  if (type !== 'ssh-ed25519') throw new SshKeyFileError(`this is a ${type} key; only ed25519 keys are signed in-process`, 'unsupported-key', useTheTool);
  const point = secrets.string('public key');
  const secret = secrets.string('secret key');
  const comment = secrets.text('comment');
  for (let pad = 1; secrets.remaining > 0; pad++) if (secrets.byte('padding') !== pad) throw new SshFormatError('its padding is wrong');

  const seed = secret.slice(0, 32);
  const expectedBlob = concat(sshString('ssh-ed25519'), sshString(point));
  if (point.length !== 32 || secret.length !== 64 || !equalBytes(secret.subarray(32), point) || !equalBytes(publicBlob, expectedBlob)) {
    throw new SshFormatError('its public and private halves disagree');
  }
  if (!equalBytes(nodeEd25519.publicKey(seed), point)) throw new SshFormatError('its seed does not give its public key');
  return { seed, publicKeyLine: `ssh-ed25519 ${encodeBase64(publicBlob)}${comment ? ` ${comment}` : ''}` };
}

/**
 * Signs with `ssh-keygen -Y sign -n lifeboat -f <keyFile>`, the message on stdin and the armoured
 * signature read from stdout. This covers every key a person may hold: passphrase-protected keys,
 * FIDO keys (touch), and ssh-agent: when `keyFile` is a `.pub` file (or a private key the agent
 * also holds) and SSH_AUTH_SOCK points at an agent holding that key, the agent signs and no private
 * key file is needed. The child sees only PATH, HOME and SSH_AUTH_SOCK.
 *
 * `interactive: true` (the CLI at a terminal) lets ssh-keygen ask for a passphrase on the terminal and
 * shows its messages, such as the prompt to touch a security key. Otherwise (the default, for tests,
 * benchmarks and scripts) it runs without a terminal, so it can never stop to wait for one: a key
 * that needs a passphrase fails at once and the error says to load it into ssh-agent.
 */
export async function signWithSshKeygen(message: string, opts: { keyFile: string; interactive?: boolean; timeoutMs?: number }): Promise<string> {
  const { keyFile } = opts;
  const env: NodeJS.ProcessEnv = {};
  for (const name of ['PATH', 'HOME', 'SSH_AUTH_SOCK'] as const) if (process.env[name] !== undefined) env[name] = process.env[name];
  const { code, stdout, stderr } = await run('ssh-keygen', ['-Y', 'sign', '-n', lifeboatNamespace, '-f', keyFile], message, env, {
    timeoutMs: opts.timeoutMs ?? defaultSignTimeoutMs,
    interactive: opts.interactive ?? false,
  });
  if (code === 0 && stdout.includes('-----BEGIN SSH SIGNATURE-----')) return stdout;
  const problem = `ssh-keygen could not sign with ${keyFile}: ${lastLine(stderr) || `exit code ${code}`}`;
  throw new SshKeyFileError(problem, 'sign-failed', signAdvice(stderr, keyFile));
}

function signAdvice(stderr: string, keyFile: string): string {
  if (/passphrase/i.test(stderr)) {
    return `load the key into ssh-agent (ssh-add ${keyFile.replace(/\.pub$/, '')}) and keep SSH_AUTH_SOCK set, or sign from a terminal`;
  }
  if (/No such file/i.test(stderr)) return 'check the path; give the private key file, or its .pub while ssh-agent holds the key';
  if (/agent/i.test(stderr)) return 'check that ssh-agent is running (SSH_AUTH_SOCK) and holds the key (ssh-add -l)';
  if (/timed out/i.test(stderr)) return 'ssh-keygen waited too long; touch the security key or enter the passphrase when asked';
  return 'run the same ssh-keygen command by hand to see the problem';
}

/**
 * Makes `<dir>/<id>` with `ssh-keygen -t ed25519 -N ''` unless it exists already, so the demo can
 * give each roster person a key and running it twice keeps the first keys.
 */
export async function generateEd25519KeyPair(dir: string, id: string): Promise<{ privateKeyPath: string; publicKeyLine: string }> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(id)) throw new Error(`"${id}" cannot name a key file; use letters, digits, ".", "_" and "-"`);
  const privateKeyPath = join(dir, id);
  if (!existsSync(privateKeyPath)) {
    await mkdir(dir, { recursive: true });
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? dir };
    const made = await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${id}@lifeboat-demo`, '-f', privateKeyPath], '', env, {
      timeoutMs: 30_000,
      interactive: false,
    });
    // A concurrent call may have made the key first; its key is as good as ours.
    if (made.code !== 0 && !existsSync(privateKeyPath)) throw new Error(`ssh-keygen could not make ${privateKeyPath}: ${lastLine(made.stderr)}`);
  }
  const text = await readFile(privateKeyPath, 'utf8');
  try {
    return { privateKeyPath, publicKeyLine: readOpenSshEd25519PrivateKey(text).publicKeyLine };
  } catch (err) {
    // A key someone protected with a passphrase since is still theirs; its .pub names it.
    if (!(err instanceof SshKeyFileError) || !existsSync(`${privateKeyPath}.pub`)) throw err;
    return { privateKeyPath, publicKeyLine: (await readFile(`${privateKeyPath}.pub`, 'utf8')).trim() };
  }
}

/**
 * Signs a statement for Lifeboat with whatever key file a person names: in-process when it is an
 * unencrypted ed25519 key (fast, no process), otherwise through {@link signWithSshKeygen}.
 */
export async function signStatement(message: string, keyFile: string, opts: { interactive?: boolean } = {}): Promise<string> {
  const text = await readFile(keyFile, 'utf8').catch(() => undefined);
  if (text?.includes(privateKeyBegin)) {
    try {
      const { seed } = readOpenSshEd25519PrivateKey(text);
      return signSshSignatureEd25519(seed, message, lifeboatNamespace, nodeEd25519);
    } catch (err) {
      if (!(err instanceof SshKeyFileError)) throw err;
    }
  }
  return signWithSshKeygen(message, { keyFile, ...opts });
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop()?.trim() ?? '';
}

/** Runs a command with `input` on stdin. Without `interactive` it gets its own session, hence no terminal to prompt on. */
function run(
  command: string,
  args: string[],
  input: string,
  env: NodeJS.ProcessEnv,
  opts: { timeoutMs: number; interactive: boolean },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'], detached: !opts.interactive });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      stderr += `\n${command} timed out after ${Math.round(opts.timeoutMs / 1000)} s`;
      child.kill('SIGTERM');
    }, opts.timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      if (opts.interactive) process.stderr.write(chunk);
    });
    child.stdin.on('error', () => undefined);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`could not run ${command} (${err.message}); install OpenSSH's client tools`));
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolveRun({ code, stdout, stderr });
    });
    child.stdin.end(input);
  });
}
