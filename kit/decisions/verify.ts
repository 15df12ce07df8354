import { personOf, RESERVED_ACTORS, type Roster, type RosterPerson } from '../roster';
import type { DecisionProof } from '../status';
import { parsePublicKeyLine, sameKey, verifySshSignature } from '../signatures';
import { isWebAuthnSignature, parseWebAuthnSignature, passkeyFingerprint, passkeyKeyType, verifyWebAuthnAssertion } from '../signatures/webauthn';
import {
  canonicalJson,
  CLOCK_SKEW_MS,
  MAX_SCHEDULE_AUTHORISATION_MS,
  MAX_STATEMENT_LIFETIME_MS,
  SIGNATURE_NAMESPACE,
  SignedDecision,
  Statement,
  statementText,
  type DecisionKind,
} from './statement';

/** What a run knows about itself, against which a statement is checked. */
export interface RunIdentity {
  namespace: string;
  workflowId: string;
  /** Temporal's run ID (the first of the chain); empty when checking a start. */
  runId: string;
  inputDigest: string;
}

export interface VerifyContext extends RunIdentity {
  /** Workflow time, in ms. */
  nowMs: number;
  roster: Roster;
  /** Nonces of decisions this run already accepted. */
  used: ReadonlySet<string>;
  /** For a start: allow the long lifetime of a drill schedule's authorisation. */
  allowScheduleLifetime?: boolean;
  /**
   * Judge the statement's time as of its own issue instead of `nowMs`: for a decision another run counted, which the
   * checker meets later (a member checking its plan's approval). The statement must still name that run, whose
   * Temporal run ID no other run shares, so it cannot be carried to another.
   */
  asOfIssue?: boolean;
}

/** A decision whose signature, signer, run and time all check out. */
export interface VerifiedDecision {
  kind: DecisionKind;
  by: string;
  body: Statement['body'];
  nonce: string;
  /** `SHA256:…` of the key that signed, as `ssh-keygen -l` prints it. */
  fingerprint: string;
  keyType: string;
  issuedAt: string;
  expiresAt: string;
}

/** What status and the audit trail keep of a verified decision: the key that signed it and its single-use nonce. */
export function proofOf(decision: VerifiedDecision): DecisionProof {
  return { fingerprint: decision.fingerprint, keyType: decision.keyType, nonce: decision.nonce };
}

export type Verdict = { ok: true; decision: VerifiedDecision } | { ok: false; reason: string; claimed: string };

/**
 * Checks one signed decision, purely: the same answer in the workflow, on replay and in `lifeboat verify`.
 * Refused when it is malformed or unsigned, for another kind, namespace, workflow, run or input, outside its time,
 * already used, signed by a key that is not the named person's, or altered after signing.
 */
export function verifySignedDecision(kinds: readonly DecisionKind[], raw: unknown, ctx: VerifyContext): Verdict {
  const envelope = SignedDecision.safeParse(raw);
  if (!envelope.success) {
    return refuse(
      claimedOf(raw),
      `not a signed decision (${envelope.error.issues[0]?.path.join('.') || 'message'}: ${envelope.error.issues[0]?.message}); sign it with lifeboat or ssh-keygen -Y sign -n ${SIGNATURE_NAMESPACE}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(envelope.data.statement);
  } catch {
    return refuse('unknown', 'the statement is not JSON');
  }
  const parsed = Statement.safeParse(json);
  if (!parsed.success)
    return refuse(claimedOf(json), `the statement is malformed (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message})`);
  const s = parsed.data;
  const claimed = s.by;
  if (envelope.data.statement.replace(/\n?$/, '\n') !== statementText(s))
    return refuse(claimed, 'the statement is not in canonical form; print it with lifeboat and sign it unchanged');
  if (!kinds.includes(s.kind)) return refuse(claimed, `the statement is for "${s.kind}", not ${kinds.join(' or ')}`);
  if (s.namespace !== ctx.namespace) return refuse(claimed, `the statement is for namespace ${s.namespace}, not ${ctx.namespace}`);
  if (s.workflowId !== ctx.workflowId) return refuse(claimed, `the statement is for ${s.workflowId}, not ${ctx.workflowId}`);
  if (s.runId !== ctx.runId) return refuse(claimed, `the statement is for run ${s.runId || '(a start)'}, not this run ${ctx.runId || '(a start)'}`);
  if (s.inputDigest !== ctx.inputDigest) return refuse(claimed, "the statement is for another input than this run's");
  const issued = Date.parse(s.issuedAt);
  const expires = Date.parse(s.expiresAt);
  const nowMs = ctx.asOfIssue ? issued : ctx.nowMs;
  const maxLifetime = ctx.allowScheduleLifetime && s.body.schedule !== undefined ? MAX_SCHEDULE_AUTHORISATION_MS : MAX_STATEMENT_LIFETIME_MS;
  if (expires <= issued || expires - issued > maxLifetime)
    return refuse(claimed, `the statement may be valid for at most ${Math.round(maxLifetime / 60_000)} minutes`);
  if (issued > nowMs + CLOCK_SKEW_MS) return refuse(claimed, `the statement was issued in the future (${s.issuedAt}); check the signer's clock`);
  if (expires <= nowMs) return refuse(claimed, `the statement expired at ${s.expiresAt}; sign a new one`);
  if ((RESERVED_ACTORS as readonly string[]).includes(s.by)) return refuse(claimed, `"${s.by}" is reserved for the system`);
  const person = personOf(ctx.roster, s.by);
  if (!person) return refuse(claimed, `"${s.by}" is not a roster id; sign as your roster id (ids are lower case)`);
  if (ctx.used.has(s.nonce)) return refuse(claimed, 'this signed decision was already used; sign a new one');
  const signer = isWebAuthnSignature(envelope.data.signature) ? passkeySigner(person, envelope.data.signature, s) : sshSigner(person, envelope.data, s.by);
  if (!signer.ok) return refuse(claimed, signer.reason);
  return {
    ok: true,
    decision: {
      kind: s.kind,
      by: s.by,
      body: s.body,
      nonce: s.nonce,
      fingerprint: signer.fingerprint,
      keyType: signer.keyType,
      issuedAt: s.issuedAt,
      expiresAt: s.expiresAt,
    },
  };
}

type Signer = { ok: true; fingerprint: string; keyType: string } | { ok: false; reason: string };

function sshSigner(person: RosterPerson, envelope: SignedDecision, by: string): Signer {
  const checked = verifySshSignature(envelope.signature, envelope.statement, SIGNATURE_NAMESPACE);
  if (!checked.ok) return { ok: false, reason: `bad signature: ${checked.reason}` };
  const owns = person.keys.some((line) => {
    const key = parsePublicKeyLine(line);
    return key.ok && sameKey(key.key, checked.publicKey);
  });
  if (!owns) return { ok: false, reason: `the signing key ${checked.publicKey.fingerprint} is not one of ${by}'s keys in the roster` };
  return { ok: true, fingerprint: checked.publicKey.fingerprint, keyType: checked.publicKey.type };
}

/**
 * A passkey's assertion counts when the passkey is one of the signer's in the roster and its challenge is the
 * statement's canonical digest (the hex of `digestOf(statement)`, as bytes).
 */
function passkeySigner(person: RosterPerson, signature: string, statement: Statement): Signer {
  const parsed = parseWebAuthnSignature(signature);
  if (!parsed.ok) return { ok: false, reason: `bad passkey signature: ${parsed.reason}` };
  const passkey = person.passkeys?.find((p) => p.credentialId === parsed.assertion.credentialId);
  if (!passkey)
    return { ok: false, reason: `the passkey ${parsed.assertion.credentialId.slice(0, 16)}… is not one of ${statement.by}'s passkeys in the roster` };
  const checked = verifyWebAuthnAssertion(passkey, parsed.assertion, canonicalJson(statement));
  if (!checked.ok) return { ok: false, reason: `bad passkey signature: ${checked.reason}` };
  return { ok: true, fingerprint: passkeyFingerprint(passkey.publicKey), keyType: passkeyKeyType(passkey.algorithm) };
}

function refuse(claimed: string, reason: string): Verdict {
  return { ok: false, reason, claimed: claimed.slice(0, 64) || 'unknown' };
}

function claimedOf(json: unknown): string {
  const by = (json as { by?: unknown } | null)?.by;
  return typeof by === 'string' ? by : 'unknown';
}
