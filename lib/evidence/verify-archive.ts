import type { TrustRoot } from '../roster-seal';
import type { EvidenceFinding } from './findings';
import type { BundleAddress } from './layout';
import type { EvidenceStore } from './store';
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
  findings: EvidenceFinding[];
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
  options: { trustRoot?: TrustRoot } = {},
): Promise<ArchiveVerification> {
  const chosen = addresses ?? (await store.list());
  const scope = addresses ? await chainsOf(store, addresses) : chosen;
  const checked = await checkAll(store, scope, options.trustRoot);
  const byDigest = new Map(checked.filter((b) => b.digest).map((b) => [b.digest!, b]));
  const members = checked.flatMap((b) => b.manifest?.members ?? []).filter((m) => !byDigest.has(m.manifestDigest));
  if (members.length > 0) {
    const memberAddresses = (await Promise.all([...new Set(members.map((m) => m.runId))].map((runId) => store.list({ runId })))).flat();
    for (const member of await checkAll(store, memberAddresses, options.trustRoot)) if (member.digest) byDigest.set(member.digest, member);
  }
  const chains = checkChains(checked);
  const findings = [...checked.flatMap((b) => b.findings), ...chains.findings, ...checkMembers(checked, byDigest)];
  const failing = new Set(findings.map((f) => f.key));
  return {
    location: store.location,
    ok: findings.length === 0,
    bundles: checked.map((b) => ({ key: b.key, runId: b.runId, finishedAt: b.finishedAt, digest: b.digest ?? null, ok: !failing.has(b.key) })),
    chains: chains.chains,
    rostersAnchored: options.trustRoot !== undefined,
    findings,
  };
}

/** Every bundle of the runbooks and targets the given bundles belong to: a link is checked with both its sides. */
async function chainsOf(store: EvidenceStore, addresses: readonly BundleAddress[]): Promise<BundleAddress[]> {
  const pairs = new Map(addresses.map((a) => [`${a.runbook}\u0000${a.target}`, a]));
  const lists = await Promise.all([...pairs.values()].map((a) => store.list({ runbook: a.runbook, target: a.target })));
  return lists.flat();
}

async function checkAll(store: EvidenceStore, addresses: readonly BundleAddress[], trustRoot: TrustRoot | undefined): Promise<CheckedBundle[]> {
  const checked: CheckedBundle[] = [];
  for (let i = 0; i < addresses.length; i += parallelReads) {
    const batch = await Promise.all(addresses.slice(i, i + parallelReads).map((address) => store.get(address.key)));
    batch.forEach((stored, j) => {
      const address = addresses[i + j]!;
      checked.push(
        stored
          ? checkBundle(stored, trustRoot)
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
