import { defaultPayloadConverter } from '@temporalio/common';
import { decode } from '@temporalio/common/lib/internal-non-workflow/codec-helpers';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import type { temporal } from '@temporalio/proto';
import type { EvidenceFinding } from '../../lib/evidence/findings';
import type { EvidenceManifest } from '../../lib/evidence/manifest';
import type { StoredBundle } from '../../lib/evidence/store';
import type { DecisionRecheck } from '../../lib/evidence/verify-archive';
import type { CliContext } from '../context';
import { CliError } from '../errors';
import type { PayloadDecoder } from '../verify/history-decisions';
import { FindingsRecheck } from './recheck-findings';
import { PlanDelegations } from './recheck-plans';
import { verifyRun } from '../verify/verify-run';

type History = temporal.api.history.v1.IHistory;

/**
 * The decision re-check `lifeboat evidence verify` runs on each bundle whose files and seal verify: `lifeboat verify`'s
 * own code over the bundle's archived history (`history.json`, or `history-1.json`..`history-N.json` of a carry-over
 * chain, joined as verify joins them), with no Temporal server. The archive key seals what a bundle holds, not what
 * happened: an insider who holds that key can re-seal an edited history, but cannot sign as a person, so a decision
 * changed, added or re-attributed in the history no longer verifies, and this names it.
 *
 * Two more checks tie the history to what the bundle vouches for:
 * - every decision that verifies was checked against the bundle's own `roster.json` (which its manifest names and the
 *   trust root anchors): a history edited to carry a roster with the insider's key in it is named;
 * - the bundle's `verify.json` (what `lifeboat verify` said when the run was archived) must agree with the re-check.
 *
 * A plan's member's delegation is checked against the plan's own bundle (cli/evidence/recheck-plans.ts). What only
 * Temporal can tell (the parent of a run no plan started, whether a start statement started another run) is left to
 * `lifeboat verify` against the server; the re-check neither fails a run for it nor claims it checked it.
 */
export function decisionRecheck(opts: { decode: PayloadDecoder; codecHint: string; namespace: string }): DecisionRecheck {
  const delegations = new PlanDelegations();
  const findingsCloses = new FindingsRecheck();
  const check: DecisionRecheck['check'] = async (stored, manifest) => {
    const { key } = stored.address;
    const found = (message: string, more: Partial<EvidenceFinding> = {}): EvidenceFinding => ({
      key,
      runId: manifest.runId,
      check: 'decisions',
      ...more,
      message: `${key}: ${message}`,
    });
    // A findings bundle is no run: it holds findings.json and no history; its signed closes are checked again instead.
    if (manifest.kind === 'findings') return findingsCloses.note(stored, manifest);
    const chain = historiesOf(stored);
    if (typeof chain === 'string') return [found(chain)];
    const archived = archivedVerdict(stored);
    // The namespace statements name is not in the manifest; verify.json records the one the run was verified in. A
    // statement also names its run's Temporal run ID, so a statement from another namespace does not fit this run.
    const namespace = archived.namespace ?? opts.namespace;
    let problems: string[];
    let decisions: Awaited<ReturnType<typeof verifyRun>>['report']['decisions'];
    try {
      const verified = await verifyRun({ workflowId: manifest.runId, chain, namespace, client: undefined, decode: opts.decode, codecHint: opts.codecHint });
      problems = verified.report.problems.filter((p) => !needsServer(p));
      decisions = verified.report.decisions;
      delegations.note(key, manifest, namespace, verified);
    } catch (err) {
      // A history verify cannot read is a finding, never a crash: a crafted one must not stop the rest being checked.
      problems = [err instanceof CliError ? err.message : `it cannot be checked: ${(err as Error).message}`];
      decisions = [];
    }
    const findings = problems.map((problem) => found(`the archived history of ${manifest.runId} does not verify: ${problem}`, { file: historyFileOf(stored) }));
    findings.push(...foreignRosters(manifest, decisions).map((message) => found(message, { file: historyFileOf(stored), expected: manifest.rosterDigest })));
    const recheckOk = findings.length === 0;
    if (archived.ok !== undefined && archived.ok !== recheckOk)
      findings.push(
        found(
          archived.ok
            ? `verify.json says ${manifest.runId} verified when it was archived, but its archived history does not verify now: the history was changed after the run, or verify.json was written for another history`
            : `verify.json says ${manifest.runId} did not verify when it was archived (${archived.problems.join('; ') || 'no problem named'}), but its archived history verifies now: verify.json was changed, or its problem is one only Temporal can show (lifeboat verify ${manifest.runId} against the server tells)`,
          { file: 'verify.json', expected: String(recheckOk), found: String(archived.ok) },
        ),
      );
    return findings;
  };
  return { check, settle: () => [...delegations.settle(), ...findingsCloses.settle()] };
}

/** The re-check as the CLI runs it: payloads decoded with the codec keys `lifeboat verify` uses (LIFEBOAT_CODEC_KEYS). */
export function decisionRecheckFor(ctx: CliContext): DecisionRecheck {
  const codecs = ctx.dataConverter()?.payloadCodecs ?? [];
  const decodePayloads: PayloadDecoder = async (payloads) =>
    (await decode(codecs, payloads as Parameters<typeof decode>[1])).map((p) => defaultPayloadConverter.fromPayload(p));
  return decisionRecheck({
    decode: decodePayloads,
    codecHint: 'if the runs were encrypted, set LIFEBOAT_CODEC_KEYS to the keys they were encrypted with, as for lifeboat verify',
    namespace: ctx.settings().namespace,
  });
}

/** A problem `lifeboat verify` reports only because it was given no server; the archive cannot settle it either. */
function needsServer(problem: string): boolean {
  return problem.endsWith('verify it against the server, without --history');
}

/** Each decision that verifies against a roster other than the bundle's own, in sentences. */
function foreignRosters(
  manifest: EvidenceManifest,
  decisions: { verified: boolean; rosterDigest?: string; message: string; eventId: number; signer: string }[],
) {
  return decisions
    .filter((d) => d.verified && d.rosterDigest !== undefined && d.rosterDigest !== manifest.rosterDigest)
    .map(
      (d) =>
        `${d.message} by ${d.signer} (event ${d.eventId}) of ${manifest.runId} verifies only against roster ${d.rosterDigest}, which its archived history carries, not against the bundle's roster.json (${manifest.rosterDigest}): nothing in the archive vouches for that roster`,
    );
}

const chainFile = /^history-(\d+)\.json$/;

/** The bundle's histories, oldest first, or why there are none to read. */
function historiesOf(stored: StoredBundle): History[] | string {
  const single = stored.files['history.json'];
  const names = single
    ? ['history.json']
    : Object.keys(stored.files)
        .filter((name) => chainFile.test(name))
        .sort((a, b) => Number(chainFile.exec(a)![1]) - Number(chainFile.exec(b)![1]));
  if (names.length === 0) return 'it holds no history.json, so its decisions cannot be checked again';
  const chain: History[] = [];
  for (const name of names) {
    try {
      chain.push(historyFromJSON(JSON.parse(new TextDecoder().decode(stored.files[name]))));
    } catch (err) {
      return `${name} is not a workflow history (${(err as Error).message}), so its decisions cannot be checked again`;
    }
  }
  return chain;
}

function historyFileOf(stored: StoredBundle): string {
  return stored.files['history.json'] ? 'history.json' : 'history-1.json';
}

/** What the bundle's verify.json said when the run was archived: its verdict, problems and namespace, when readable. */
function archivedVerdict(stored: StoredBundle): { ok?: boolean; problems: string[]; namespace?: string } {
  const bytes = stored.files['verify.json'];
  if (!bytes) return { problems: [] };
  try {
    const json = JSON.parse(new TextDecoder().decode(bytes)) as { ok?: unknown; problems?: unknown; namespace?: unknown };
    return {
      ...(typeof json.ok === 'boolean' ? { ok: json.ok } : {}),
      problems: Array.isArray(json.problems) ? json.problems.filter((p): p is string => typeof p === 'string') : [],
      ...(typeof json.namespace === 'string' && json.namespace ? { namespace: json.namespace } : {}),
    };
  } catch {
    return { problems: [] };
  }
}
