import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { demoKeysDir, talksToDemoServer } from '../dev/demo-keys';
import { SshKeyFileError, signStatement } from '../lib/ssh-keys';
import { type DecisionKind, normaliseId, type SignedDecision, Statement, statementText } from '../kit/trust';
import type { CliContext } from './context';
import { CliError, usageError } from './errors';
import { claimedRosterId, cliRosterIds, nameProblem, visibleName } from './identity';

/** How long a statement the CLI signs stays valid: enough to submit it, short enough to be useless later. */
export const STATEMENT_LIFETIME_MS = 5 * 60_000;

/** Flags of every command that signs a decision. */
export const signingOptions = {
  key: { type: 'string' },
  'print-statement': { type: 'boolean' },
  statement: { type: 'string' },
  signature: { type: 'string' },
} as const;

/** What a statement is about: the run as its status names it, or a start (no run ID yet). */
export interface StatementSubject {
  namespace: string;
  workflowId: string;
  runId: string;
  inputDigest: string;
}

/** Builds the statement a person signs; `lifetimeMs` is longer only for a drill schedule's authorisation. */
export function newStatement(
  kind: DecisionKind,
  subject: StatementSubject,
  by: string,
  body: Statement['body'],
  lifetimeMs = STATEMENT_LIFETIME_MS,
): Statement {
  const now = Date.now();
  return Statement.parse({
    lifeboat: 'decision/v1',
    kind,
    ...subject,
    by,
    body: Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined)),
    issuedAt: new Date(now).toISOString(),
    expiresAt: new Date(now + lifetimeMs).toISOString(),
    nonce: randomBytes(18).toString('base64url'),
  });
}

/**
 * Signs a statement as `by`, or takes a signature made elsewhere. The key is, in order: `--key FILE`,
 * LIFEBOAT_SIGNING_KEY, `$LIFEBOAT_KEYS_DIR/<by>`, the demo key of `by` (only against the demo's dev server,
 * wherever it listens), then the first key ssh-agent holds. A `by` the roster the CLI can read does not list is
 * refused first (exit 2). A `.pub` file signs through ssh-agent. With `--statement FILE --signature FILE` nothing is signed here: the
 * statement printed by `--print-statement` and signed with `ssh-keygen -Y sign -n lifeboat` is sent as it is.
 */
export async function signed(ctx: CliContext, statement: Statement, values: Record<string, unknown>): Promise<SignedDecision> {
  const presigned = presignedFrom(values);
  if (presigned) return presigned;
  // A signer the roster does not list would be refused by the run after it started; say so before anything starts.
  claimedRosterId(statement.by, 'the name to sign as', () => cliRosterIds(ctx.env, () => ctx.settings()));
  const text = statementText(statement);
  return { statement: text, signature: await signTextAs(ctx, statement.by, text, values) };
}

/** An SSH signature (namespace `lifeboat`) over `text` with `by`'s key, found as {@link signed} finds it. */
export async function signTextAs(ctx: CliContext, by: string, text: string, values: Record<string, unknown>): Promise<string> {
  const keyFile = signingKeyFor(ctx, by, values.key as string | undefined);
  try {
    if (keyFile) return await signStatement(text, keyFile, { interactive: Boolean(process.stdin.isTTY) });
    return await signWithAgent(ctx, text);
  } catch (err) {
    if (err instanceof CliError) throw err;
    const suggestion = err instanceof SshKeyFileError ? (err as SshKeyFileError & { suggestion?: string }).suggestion : undefined;
    throw new CliError(`cannot sign as ${by}: ${(err as Error).message}`, {
      code: 'cannot-sign',
      suggestion: suggestion ?? 'pass --key ~/.ssh/id_ed25519, set LIFEBOAT_SIGNING_KEY, or load your key into ssh-agent',
    });
  }
}

/** With `--print-statement`, the statement to sign by hand and how to submit it; undefined otherwise. */
export function printStatementIfAsked(ctx: CliContext, statement: Statement, values: Record<string, unknown>, submit: string): boolean {
  if (!values['print-statement']) return false;
  const text = statementText(statement);
  if (ctx.json) ctx.printJson({ statement: text });
  else {
    ctx.io.stdout(text);
    ctx.io.stderr(
      [
        `# save the line above as statement.json, then sign it within ${Math.round(STATEMENT_LIFETIME_MS / 60_000)} minutes:`,
        '#   ssh-keygen -Y sign -n lifeboat -f ~/.ssh/id_ed25519 statement.json',
        `# and submit it: ${submit} --statement statement.json --signature statement.json.sig`,
        '# or with the stock CLI: temporal workflow signal ... --input "$(jq -n --rawfile statement statement.json --rawfile signature statement.json.sig \'{$statement,$signature}\')"',
        '',
      ].join('\n'),
    );
  }
  return true;
}

function presignedFrom(values: Record<string, unknown>): SignedDecision | undefined {
  const statementFile = values.statement as string | undefined;
  const signatureFile = values.signature as string | undefined;
  if (!statementFile && !signatureFile) return undefined;
  if (!statementFile || !signatureFile)
    throw usageError('--statement and --signature go together', 'pass the statement file and the .sig file ssh-keygen wrote');
  const read = (flag: string, file: string) => {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw usageError(`cannot read --${flag} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  return { statement: read('statement', statementFile), signature: read('signature', signatureFile) };
}

/** The key file to sign with, or undefined to ask ssh-agent. */
function signingKeyFor(ctx: CliContext, by: string, flag: string | undefined): string | undefined {
  const explicit = flag ?? ctx.env.LIFEBOAT_SIGNING_KEY;
  if (explicit) {
    if (!existsSync(explicit)) throw usageError(`no key file ${explicit}`, 'give the path of your private key, or of its .pub while ssh-agent holds it');
    return explicit;
  }
  // A folder of keys named by roster id: an operator console that several people share, or a test harness.
  const fromDir = ctx.env.LIFEBOAT_KEYS_DIR ? join(ctx.env.LIFEBOAT_KEYS_DIR, by) : undefined;
  if (fromDir && existsSync(fromDir)) return fromDir;
  const demo = join(demoKeysDir(ctx.env), by);
  if (existsSync(demo) && talksToDemoServer(ctx.settings(), ctx.env)) return demo;
  if (!ctx.env.SSH_AUTH_SOCK) {
    throw new CliError(`no key to sign as ${by}`, {
      code: 'no-key',
      suggestion: 'pass --key ~/.ssh/id_ed25519, set LIFEBOAT_SIGNING_KEY, or load your key into ssh-agent (SSH_AUTH_SOCK)',
    });
  }
  return undefined;
}

/** Signs with the first key ssh-agent offers, through `ssh-keygen -Y sign` given that key's public half. */
async function signWithAgent(ctx: CliContext, text: string): Promise<string> {
  let keys: string;
  try {
    keys = execFileSync('ssh-add', ['-L'], { env: { PATH: ctx.env.PATH ?? '/usr/bin:/bin', SSH_AUTH_SOCK: ctx.env.SSH_AUTH_SOCK ?? '' }, encoding: 'utf8' });
  } catch {
    throw new CliError('ssh-agent holds no key', { code: 'no-key', suggestion: 'ssh-add ~/.ssh/id_ed25519, or pass --key' });
  }
  const first = keys
    .split('\n')
    .find((line) => /^(ssh-ed25519|sk-ssh-ed25519@openssh.com|ecdsa-sha2-nistp256|sk-ecdsa-sha2-nistp256@openssh.com|ssh-rsa) /.test(line));
  if (!first) throw new CliError('ssh-agent holds no key Lifeboat can use', { code: 'no-key', suggestion: 'add an ed25519 key: ssh-add ~/.ssh/id_ed25519' });
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-agent-'));
  try {
    const pub = join(dir, 'key.pub');
    writeFileSync(pub, `${first}\n`);
    return await signStatement(text, pub, { interactive: Boolean(process.stdin.isTTY) });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A name given with `--as` (or `--for`) in a zod schema of options: a roster id, as {@link nameProblem} checks it, then
 * normalised the way the workflow compares it with roster ids.
 */
export const ClaimedName = z
  .string()
  .superRefine((name, ctx) => {
    const problem = nameProblem(name);
    if (problem) ctx.addIssue({ code: 'custom', message: `"${visibleName(name)}" is not a roster id such as "bob": ${problem}` });
  })
  .transform((name) => normaliseId(name));
