import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Client, WorkflowClientInterceptor } from '@temporalio/client';
import { runbooks } from '../../runbooks';
import { readOpenSshEd25519PrivateKey } from '../../lib/ssh-keys';
import { type RunStatus, statusQuery } from '../../kit';
import { type DecisionKind, digestOf, SIGNATURE_NAMESPACE, type SignedDecision, signSshSignatureEd25519, Statement, statementText } from '../../kit/trust';
import { kitExercise } from '../workflows/kit-exercise';
import { kitSteps } from '../workflows/kit-steps';

/**
 * Signs as the people whose unencrypted ed25519 keys lie in one folder, named by roster id: the tests' and the
 * benchmarks' stand-in for each person's own key.
 */
export class KeyFolderSigner {
  private readonly seeds = new Map<string, Uint8Array>();

  constructor(readonly keysDir: string) {}

  has(who: string): boolean {
    return this.seedOf(who) !== undefined;
  }

  /** Signs a statement with `signer`'s key (by default the person the statement names). */
  sign(statement: Statement, signer: string = statement.by): SignedDecision {
    const seed = this.seedOf(signer);
    if (!seed) throw new Error(`no key for ${signer} in ${this.keysDir}`);
    const text = statementText(statement);
    return { statement: text, signature: signSshSignatureEd25519(seed, text, SIGNATURE_NAMESPACE) };
  }

  private seedOf(who: string): Uint8Array | undefined {
    if (!this.seeds.has(who)) {
      try {
        this.seeds.set(who, readOpenSshEd25519PrivateKey(readFileSync(join(this.keysDir, who), 'utf8')).seed);
      } catch {
        return undefined;
      }
    }
    return this.seeds.get(who);
  }
}

/** A statement as the CLI would build it, valid for five minutes from `now`. */
export function statementOf(
  fields: Omit<Statement, 'lifeboat' | 'issuedAt' | 'expiresAt' | 'nonce'> & Partial<Pick<Statement, 'issuedAt' | 'expiresAt' | 'nonce'>>,
  now = Date.now(),
): Statement {
  return Statement.parse({
    lifeboat: 'decision/v1',
    issuedAt: new Date(now).toISOString(),
    expiresAt: new Date(now + 5 * 60_000).toISOString(),
    nonce: randomBytes(18).toString('base64url'),
    ...fields,
  });
}

/** The statement of a decision on a running run, naming it as its status does. */
export function decisionStatement(status: RunStatus, kind: DecisionKind, by: string, body: Statement['body'], now = Date.now()): Statement {
  const trust = status.trust;
  if (!trust) throw new Error(`${status.runId} takes no signed decisions`);
  return statementOf({ kind, namespace: trust.namespace, workflowId: status.runId, runId: trust.temporalRunId, inputDigest: trust.inputDigest, by, body }, now);
}

const workflowTypeToRunbook = new Map<string, string>([...Object.values(runbooks), kitExercise, kitSteps].map((r) => [r.workflowType, r.id]));

/** The signed start of a run, as `lifeboat run` makes it. */
export function signedStartWith(
  keys: KeyFolderSigner,
  opts: { namespace?: string; workflowId: string; workflowType: string; input: unknown; by: string; drill?: string; signer?: string; now?: number },
): SignedDecision {
  // A plan's run signs for the plan its ID names (`plan/evacuate-region/A` → plan/evacuate-region), as lifeboat run does.
  const runbook =
    opts.workflowType === 'recoveryPlan'
      ? opts.workflowId.split('/').slice(0, 2).join('/')
      : (workflowTypeToRunbook.get(opts.workflowType) ?? opts.workflowType);
  const statement = statementOf(
    {
      kind: 'start',
      namespace: opts.namespace ?? 'default',
      workflowId: opts.workflowId,
      runId: '',
      inputDigest: digestOf(opts.input),
      by: opts.by,
      body: { runbook, drill: opts.drill ?? 'none' },
    },
    opts.now,
  );
  return keys.sign(statement, opts.signer);
}

const messageKinds: Record<string, (arg: Record<string, unknown>) => { kind: DecisionKind; body: (s: RunStatus) => Statement['body'] }> = {
  approve: (a) => ({ kind: 'approve', body: (s) => gateBody(a, s) }),
  reject: (a) => ({ kind: 'reject', body: (s) => gateBody(a, s) }),
  intervene: (a) => ({
    kind: a.action as DecisionKind,
    body: (s) => clean({ ...(a.action === 'retry' || a.action === 'skip' ? { step: s.intervention?.step ?? s.currentStep } : {}), reason: a.reason }),
  }),
  resume: (a) => ({ kind: 'resume', body: () => clean({ comment: a.comment }) }),
  resolve: (a) => ({ kind: 'resolve', body: () => clean({ conflict: a.conflict, decision: a.decision, rule: a.rule, comment: a.comment }) }),
  task: (a) => ({ kind: 'task', body: () => clean({ action: a.action, host: a.host, hosts: a.hosts, reason: a.reason }) }),
};

function gateBody(a: Record<string, unknown>, s: RunStatus): Statement['body'] {
  return clean({ gate: a.gate ?? s.gates.find((g) => g.status === 'open')?.name, comment: a.comment });
}

function clean(body: Record<string, unknown>): Statement['body'] {
  return Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined)) as Statement['body'];
}

/**
 * Signs, for tests and benchmarks, what they send in the old unsigned shape: a start's `requestedBy` and a decision's
 * `by` become statements signed with that person's test key, exactly as `lifeboat` would sign them. Messages that
 * are already signed, or name someone without a key, go out unchanged (and the run refuses the latter).
 * Adversarial tests use a client without it.
 */
export function signingInterceptor(keys: KeyFolderSigner, raw: () => Client, namespace = 'default'): WorkflowClientInterceptor {
  const signDecision = async (name: string, args: unknown[], workflowId: string): Promise<unknown[]> => {
    const arg = args[0] as Record<string, unknown> | undefined;
    const kindOf = messageKinds[name.replace(/-update$/, '')];
    if (!kindOf || !arg || typeof arg.by !== 'string' || 'signature' in arg || !keys.has(arg.by)) return args;
    const status = await raw().workflow.getHandle(workflowId).query(statusQuery);
    if (!status.trust) return args;
    const { kind, body } = kindOf(arg);
    return [keys.sign(decisionStatement(status, kind, arg.by, body(status)))];
  };
  return {
    async start(input, next) {
      const request = input.options.args[0] as { input?: unknown; requestedBy?: unknown; drill?: { kind?: string }; start?: unknown } | undefined;
      if (
        !request ||
        typeof request.requestedBy !== 'string' ||
        request.start ||
        !keys.has(request.requestedBy) ||
        !(workflowTypeToRunbook.has(input.workflowType) || input.workflowType === 'recoveryPlan')
      )
        return next(input);
      const start = signedStartWith(keys, {
        namespace,
        workflowId: input.options.workflowId,
        workflowType: input.workflowType,
        input: request.input,
        by: request.requestedBy,
        ...(request.drill?.kind ? { drill: request.drill.kind } : {}),
      });
      return next({ ...input, options: { ...input.options, args: [{ ...request, start }, ...input.options.args.slice(1)] } });
    },
    async startUpdate(input, next) {
      return next({ ...input, args: await signDecision(input.updateName, input.args, input.workflowExecution.workflowId) });
    },
    async signal(input, next) {
      return next({ ...input, args: await signDecision(input.signalName, input.args, input.workflowExecution.workflowId) });
    },
  };
}
