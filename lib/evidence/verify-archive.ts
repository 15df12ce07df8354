import type { TrustRoot } from '../roster-seal';
import type { EvidenceFinding } from './findings';
import type { BundleAddress } from './layout';
import type { EvidenceManifest } from './manifest';
import type { EvidenceStore, StoredBundle } from './store';
import { checkBundle, type CheckedBundle } from './verify-bundle';
import { checkChains, checkMembers } from './verify-chain';

/** What `lifeboat evidence verify` found: every bundle it checked, the chains, and each thing that does not verify. */
export interface ArchiveVerification {
  location: string;
  ok: boolean;
  bundles: { key: string; runId: string; finishedAt: string; digest: string | null; ok: boolean }[];
  chains: number;
  /** Whether each bundle's roster was checked against a trust root; without one, a bundle's roster vouches for itself. */
  rostersAnchored: boolean;
  /** Whether each bundle's signed decisions were checked again from its archived history. */
  decisionsRechecked: boolean;
  findings: EvidenceFinding[];
}

/**
 * Checks a bundle's signed decisions again from its own files (its history and roster), with no Temporal server, and
 * names each one that does not verify. The CLI supplies it (the decision checks are `lifeboat verify`'s own code); it
 * is given only bundles whose files, seal and roster already verify, since a history the seal does not cover is
 * evidence of nothing. Never throws: a history it cannot read is a finding.
 */
export interface DecisionRecheck {
  check(stored: StoredBundle, manifest: EvidenceManifest): Promise<EvidenceFinding[]>;
  /** What spans bundles (a plan's members' delegation), once every bundle in scope is checked. One per verification. */
  settle(): EvidenceFinding[];
}

/** How many bundles are read at once: enough to hide an object store's latency, few enough to be polite to it. */
const parallelReads = 8;

/**
 * Verifies bundles from the archive alone, with no Temporal server: each bundle's files against its manifest, each
 * seal against the roster the manifest names, each runbook and target's hash chain, and each plan's members. Given
 * `addresses` (the bundles of one run), it checks those, the whole chains they belong to, and their plans' members.
 * Given the workers' trust root, each bundle's roster must be one the roster admins sealed.
 */
export async function verifyArchive(
  store: EvidenceStore,
  addresses?: readonly BundleAddress[],
  options: { trustRoot?: TrustRoot; recheck?: DecisionRecheck } = {},
): Promise<ArchiveVerification> {
  const chosen = addresses ?? (await store.list());
  const scope = addresses ? await chainsOf(store, addresses) : chosen;
  const checked = await checkAll(store, scope, options);
  const byDigest = new Map(checked.filter((b) => b.digest).map((b) => [b.digest!, b]));
  const extra: EvidenceFinding[] = [];
  const members = checked.flatMap((b) => b.manifest?.members ?? []).filter((m) => !byDigest.has(m.manifestDigest));
  if (members.length > 0) {
    const memberAddresses = (await Promise.all([...new Set(members.map((m) => m.runId))].map((runId) => store.list({ runId })))).flat();
    const read = await checkAll(store, memberAddresses, options);
    for (const member of read) if (member.digest) byDigest.set(member.digest, member);
    // A member's decisions are part of its plan's: a member whose decisions do not verify is named with the plan.
    const named = new Set(members.map((m) => m.manifestDigest));
    for (const member of read) if (member.digest && named.has(member.digest)) extra.push(...member.findings.filter((f) => f.check === 'decisions'));
  }
  const chains = checkChains(checked);
  const findings = [
    ...checked.flatMap((b) => b.findings),
    ...chains.findings,
    ...checkMembers(checked, byDigest),
    ...extra,
    ...(options.recheck?.settle() ?? []),
  ];
  const failing = new Set(findings.map((f) => f.key));
  return {
    location: store.location,
    ok: findings.length === 0,
    bundles: checked.map((b) => ({ key: b.key, runId: b.runId, finishedAt: b.finishedAt, digest: b.digest ?? null, ok: !failing.has(b.key) })),
    chains: chains.chains,
    rostersAnchored: options.trustRoot !== undefined,
    decisionsRechecked: options.recheck !== undefined,
    findings,
  };
}

/** Every bundle of the runbooks and targets the given bundles belong to: a link is checked with both its sides. */
async function chainsOf(store: EvidenceStore, addresses: readonly BundleAddress[]): Promise<BundleAddress[]> {
  const pairs = new Map(addresses.map((a) => [`${a.runbook}\u0000${a.target}`, a]));
  const lists = await Promise.all([...pairs.values()].map((a) => store.list({ runbook: a.runbook, target: a.target })));
  return lists.flat();
}

async function checkAll(
  store: EvidenceStore,
  addresses: readonly BundleAddress[],
  { trustRoot, recheck }: { trustRoot?: TrustRoot; recheck?: DecisionRecheck },
): Promise<CheckedBundle[]> {
  const checked: CheckedBundle[] = [];
  // Each batch's files are let go once checked, so verifying a large archive holds a few bundles in memory, not all.
  const checkOne = async (stored: StoredBundle): Promise<CheckedBundle> => {
    const bundle = checkBundle(stored, trustRoot);
    if (recheck && bundle.manifest && bundle.findings.length === 0) bundle.findings.push(...(await recheck.check(stored, bundle.manifest)));
    return bundle;
  };
  for (let i = 0; i < addresses.length; i += parallelReads) {
    const batch = await Promise.all(addresses.slice(i, i + parallelReads).map(async (address) => store.get(address.key)));
    const results = await Promise.all(batch.map((stored) => (stored ? checkOne(stored) : undefined)));
    results.forEach((result, j) => {
      const address = addresses[i + j]!;
      checked.push(
        result
          ? result
          : {
              ...address,
              manifest: undefined,
              digest: undefined,
              findings: [{ key: address.key, runId: address.runId, check: 'manifest', message: `${address.key} was listed but could not be read back` }],
            },
      );
    });
  }
  return checked;
}
