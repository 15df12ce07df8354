import { sha256 } from '@noble/hashes/sha2.js';
import { z } from 'zod';

/**
 * Every kind of decision that moves a recovery. Each is a signed statement; the kind is part of what is
 * signed, so an approval can never be replayed as a rejection or a skip.
 */
export const DecisionKind = z.enum([
  'start',
  'approve',
  'reject',
  'retry',
  'skip',
  'abort',
  'cancel',
  'resume',
  'resolve',
  'task',
  // Moves the orchestrator's own global namespace to another cluster (kit/orchestrator-failover.ts).
  'orchestrator-failover',
]);
export type DecisionKind = z.infer<typeof DecisionKind>;

/** The namespace of SSH signatures Lifeboat accepts (`ssh-keygen -Y sign -n lifeboat`). */
export const SIGNATURE_NAMESPACE = 'lifeboat';

/** How long a signed decision may stay valid: minutes, so a leaked statement is useless soon after. */
export const MAX_STATEMENT_LIFETIME_MS = 15 * 60_000;
/** A scheduled drill's authorisation lives as long as its schedule may, up to this. */
export const MAX_SCHEDULE_AUTHORISATION_MS = 400 * 24 * 3600_000;
/** Clocks of the signer and the server may differ by this much. */
export const CLOCK_SKEW_MS = 2 * 60_000;

const text = (max: number) => z.string().max(max, `at most ${max} characters`);
const isoTime = z.iso.datetime({ offset: true, message: 'an ISO 8601 time such as 2026-11-26T03:00:00Z' });

/**
 * What a person signs. It names the run (namespace, workflow ID, Temporal's run ID and a digest of the run's
 * input), what the decision answers and the decision itself (`body`), who makes it, and when it stops being valid.
 * A `nonce` makes each statement single-use.
 */
export const Statement = z.strictObject({
  lifeboat: z.literal('decision/v1'),
  kind: DecisionKind,
  namespace: text(256),
  workflowId: text(256),
  /** Temporal's run ID (the first of the chain); empty for a start, whose run does not exist yet. */
  runId: text(64),
  inputDigest: z.string().regex(/^sha256:[0-9a-f]{64}$/, 'sha256: and 64 hex digits'),
  by: text(64),
  body: z.record(z.string().max(64), z.union([text(2000), z.number(), z.boolean(), z.null()])).refine((b) => Object.keys(b).length <= 16, 'at most 16 fields'),
  issuedAt: isoTime,
  expiresAt: isoTime,
  nonce: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/, '16 to 64 letters, digits, _ or -'),
});
export type Statement = z.infer<typeof Statement>;

/**
 * A decision as it travels in a signal, an update or a start: the statement's exact text and an armoured SSH
 * signature over it. Both are bounded, so a forged message cannot grow the run's history much.
 */
export const SignedDecision = z.strictObject({
  statement: z.string().min(1).max(6_000, 'a statement is at most 6000 characters'),
  signature: z.string().min(1).max(4_000, 'an SSH signature is at most 4000 characters'),
});
export type SignedDecision = z.infer<typeof SignedDecision>;

/**
 * JSON with object keys sorted at every level and no spaces: the one text a statement (or an input whose digest
 * it carries) can take, so the signer and the workflow hash the same bytes.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** `sha256:<hex>` of a value's canonical JSON: what a statement says about the run's input or the roster. */
export function digestOf(value: unknown): string {
  return `sha256:${toHex(sha256(new TextEncoder().encode(canonicalJson(value))))}`;
}

/** The exact text a person signs for a statement: its canonical JSON and a newline, as `ssh-keygen` reads a file. */
export function statementText(statement: Statement): string {
  return `${canonicalJson(statement)}\n`;
}

function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}
