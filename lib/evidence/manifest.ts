import { createHash } from 'node:crypto';
import { z } from 'zod';
import { canonicalJson } from '../../kit/trust';

/**
 * The manifest of an evidence bundle: who the run was, the SHA-256 of every file the bundle holds, and the digest of
 * the bundle before it for the same runbook and target. The archive signer signs the manifest file's exact bytes, so
 * the manifest is what an auditor trusts and every other file is trusted through it.
 */

/** `sha256:` and the hex SHA-256 of some bytes: how a manifest names each file, a roster, a targets file or a bundle. */
export const Sha256Digest = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'sha256: and 64 hex digits');
export type Sha256Digest = z.infer<typeof Sha256Digest>;

/** The name of a file in a bundle: a plain file name, never a path, so a bundle cannot write outside its folder. */
export const BundleFileName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,99}$/, 'a plain lowercase file name such as report.json')
  .refine((name) => !reservedFileNames.includes(name), { message: 'manifest.json and manifest.json.sig are written by the archive itself' });

/** The two files every bundle has besides the evidence itself: the manifest and its seal (an SSH signature of it). */
export const MANIFEST_FILE = 'manifest.json';
export const SEAL_FILE = 'manifest.json.sig';
const reservedFileNames: readonly string[] = [MANIFEST_FILE, SEAL_FILE];

/** The file holding the roster the run used; the seal is checked against the people it lists. */
export const ROSTER_FILE = 'roster.json';

const isoTime = z.iso.datetime({ offset: true, message: 'an ISO 8601 time such as 2026-12-05T03:00:00Z' });

export const EvidenceManifest = z.strictObject({
  lifeboat: z.literal('evidence/v1'),
  /** The workflow ID: `region-failover/booking`, or `plan/evacuate-region/A` for a plan. */
  runId: z.string().min(1).max(400),
  /** Temporal's run IDs, first to last, across the runs a carry-over (continue-as-new) chain made. */
  temporalRunIds: z.array(z.string().min(1).max(200)).min(1).max(1_000),
  /** `findings` for a snapshot of a runbook and target's findings (findings.json), chained under `findings/<runbook>`. */
  kind: z.enum(['runbook', 'plan', 'findings']),
  /** The runbook's id, or the plan's. */
  runbook: z.string().min(1).max(200),
  target: z.string().min(1).max(200),
  drill: z.boolean(),
  /** How the run ended: succeeded, failed, aborted, ... */
  state: z.string().min(1).max(100),
  startedAt: isoTime,
  finishedAt: isoTime,
  /** Every file of the bundle (apart from the manifest and its seal), with its SHA-256. */
  files: z.record(BundleFileName, Sha256Digest).refine((files) => Object.hasOwn(files, ROSTER_FILE), { message: `a bundle holds ${ROSTER_FILE}` }),
  /** The digest of the roster the run used, as `lifeboat verify` and the workers print it. */
  rosterDigest: Sha256Digest,
  /** The digest of the targets file the worker read; null when the worker had none. */
  targetsDigest: Sha256Digest.nullable(),
  /** For a plan: each member run's bundle, by the digest of its manifest. */
  members: z
    .array(z.strictObject({ runId: z.string().min(1).max(400), manifestDigest: Sha256Digest }))
    .max(1_000)
    .optional(),
  /** The manifest digest of the previous bundle of the same runbook and target; null for the first. */
  previous: Sha256Digest.nullable(),
  /** The roster id of the archive signer whose key seals this manifest. */
  sealedBy: z.string().min(1).max(64),
});
export type EvidenceManifest = z.infer<typeof EvidenceManifest>;

/** The exact bytes of `manifest.json`: canonical JSON (keys in order) and a newline, as `ssh-keygen -Y sign` reads a file. */
export function manifestText(manifest: EvidenceManifest): string {
  return `${canonicalJson(EvidenceManifest.parse(manifest))}\n`;
}

/** The SHA-256 of some bytes, as the manifest writes it. `sha256sum FILE` prints the same hex. */
export function sha256Of(bytes: Uint8Array | string): Sha256Digest {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** A bundle's digest: the SHA-256 of its `manifest.json` bytes. The next bundle names it as `previous`. */
export function manifestDigest(manifest: EvidenceManifest): Sha256Digest {
  return sha256Of(manifestText(manifest));
}

/** Reads `manifest.json` bytes: the manifest, or why it is not one (not JSON, a field wrong, not in canonical form). */
export function readManifest(bytes: Uint8Array): { ok: true; manifest: EvidenceManifest } | { ok: false; problem: string } {
  const text = new TextDecoder().decode(bytes);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, problem: 'manifest.json is not JSON' };
  }
  const parsed = EvidenceManifest.safeParse(json);
  if (!parsed.success) return { ok: false, problem: `manifest.json is not an evidence/v1 manifest: ${z.prettifyError(parsed.error).replace(/\n\s*/g, ' ')}` };
  // Canonical form means one text per manifest: its digest is then the digest of what was signed, nothing else.
  if (manifestText(parsed.data) !== text) return { ok: false, problem: 'manifest.json is not in canonical form (keys sorted, no spaces, one final newline)' };
  return { ok: true, manifest: parsed.data };
}
