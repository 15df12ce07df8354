import type { EvidenceFinding } from './findings';
import type { CheckedBundle } from './verify-bundle';

/**
 * Checks the hash chains: the bundles of one runbook and target, in the order they finished, each naming the digest
 * of the one before it as `previous`. A bundle deleted from the middle, or replaced, breaks the link after it, and
 * the finding names both sides of the break. (Deleting the newest bundle leaves no link to break: Object Lock is what
 * protects the newest.)
 */
export function checkChains(bundles: readonly CheckedBundle[]): { chains: number; findings: EvidenceFinding[] } {
  const groups = new Map<string, CheckedBundle[]>();
  for (const bundle of bundles) {
    const manifest = bundle.manifest;
    // A bundle without a readable manifest has no place in a chain; its own check already names it.
    if (!manifest) continue;
    const group = `${manifest.runbook}\u0000${manifest.target}`;
    groups.set(group, [...(groups.get(group) ?? []), bundle]);
  }
  const findings: EvidenceFinding[] = [];
  for (const group of groups.values()) {
    group.sort((a, b) => Date.parse(a.manifest!.finishedAt) - Date.parse(b.manifest!.finishedAt) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    group.forEach((bundle, i) => {
      const finding = linkProblem(bundle, group[i - 1], group);
      if (finding) findings.push(finding);
    });
  }
  return { chains: groups.size, findings };
}

function linkProblem(bundle: CheckedBundle, before: CheckedBundle | undefined, group: readonly CheckedBundle[]): EvidenceFinding | undefined {
  const previous = bundle.manifest!.previous;
  const at = { key: bundle.key, runId: bundle.runId, check: 'chain' as const };
  const { runbook, target } = bundle.manifest!;
  if (!before) {
    if (previous === null) return undefined;
    return {
      ...at,
      expected: previous,
      message: `broken chain of ${runbook} on ${target}: ${bundle.key} names ${previous} as the bundle before it, and the archive holds no bundle of ${runbook} on ${target} before it (deleted?)`,
    };
  }
  if (previous === before.digest) return undefined;
  if (previous === null)
    return {
      ...at,
      expected: before.digest,
      message: `broken chain of ${runbook} on ${target}: ${bundle.key} starts a new chain, though ${before.key} (${before.digest}) comes before it`,
    };
  const named = group.find((other) => other.digest === previous);
  const why = named
    ? `that is ${named.key}, so the bundles between them are missing or out of order`
    : 'no bundle in the archive has that digest, so a bundle between them is missing or was replaced';
  return {
    ...at,
    expected: before.digest,
    found: previous,
    message: `broken chain of ${runbook} on ${target} between ${before.key} and ${bundle.key}: ${bundle.key} names ${previous} as the bundle before it, but ${before.key} is ${before.digest}; ${why}`,
  };
}

/** Checks that each plan's member bundles are in the archive with the digests the plan's manifest names. */
export function checkMembers(plans: readonly CheckedBundle[], byDigest: ReadonlyMap<string, CheckedBundle>): EvidenceFinding[] {
  const findings: EvidenceFinding[] = [];
  for (const plan of plans) {
    for (const member of plan.manifest?.members ?? []) {
      const held = byDigest.get(member.manifestDigest);
      if (held?.runId === member.runId) continue;
      findings.push({
        key: plan.key,
        runId: plan.runId,
        check: 'member',
        expected: member.manifestDigest,
        message: held
          ? `${plan.key}: member ${member.runId}'s bundle ${member.manifestDigest} is ${held.key}, a bundle of ${held.runId}`
          : `${plan.key}: member ${member.runId}'s bundle ${member.manifestDigest} is not in the archive`,
      });
    }
  }
  return findings;
}
