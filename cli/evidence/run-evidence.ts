import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { RECOVERY_PLAN_TYPE } from '../../kit';
import type { RunEvidence } from '../../lib/evidence/bundle';
import { catalogRecordFor, catalogRecords, DEFINITION_FILE, definitionText } from '../../lib/evidence/pack/definition-record';
import { plans } from '../../plans';
import { runbooks } from '../../runbooks';
import { MANIFEST_FILE, readManifest, ROSTER_FILE, sha256Of } from '../../lib/evidence/manifest';
import { ROSTER_SEAL_FILE } from '../../lib/evidence/roster-anchor';
import type { EvidenceStore } from '../../lib/evidence/store';
import { sealPathFor } from '../../lib/roster-seal-file';
import type { ClosedRun } from '../../workflows/evidence-archiver';
import { lifeboatSearchAttributes, runbookAttribute, stateAttribute, targetAttribute } from '../../kit/trust';
import { stateShown } from '../run-outcome';
import { joinHistoryChain } from '../verify/history-chain';
import type { ArchiveSettings } from './archive-settings';

// The kit's public doors do not export the drill key by name; it is one of the run attributes all the same.
const drillAttribute = lifeboatSearchAttributes.find((key) => key.name === 'LifeboatDrill')!;
import { runLifeboatCommand } from './cli-output';
import { childRunsOf, historiesOfRun } from './run-histories';

/**
 * Gathers what a closed run leaves as evidence: its histories as `temporal workflow show -o json` exports them (one
 * file per run of a carry-over chain), its report (HTML and JSON) and `lifeboat verify` result as those commands print
 * them, the worker's roster with its seal, the targets file's digest, and for a plan its members' bundles.
 * `progress` is called between the slow parts (the archive activity heartbeats there).
 */
export async function gatherRunEvidence(
  client: Client,
  settings: ArchiveSettings,
  run: ClosedRun,
  commandEnv: NodeJS.ProcessEnv,
  progress: () => void,
): Promise<RunEvidence> {
  const description = await client.workflow.getHandle(run.workflowId, run.temporalRunId).describe();
  const attribute = (key: typeof runbookAttribute) => description.typedSearchAttributes.get(key) ?? '';
  const state = stateShown(description.status.name, attribute(stateAttribute));
  const chain = await historiesOfRun(client, run.workflowId, run.temporalRunId);
  progress();
  const files: Record<string, string | Uint8Array> = {};
  chain.forEach(({ history }, i) => {
    // historyToJSON writes the proto JSON the stock CLI writes; indented as `temporal workflow show -o json` prints it.
    files[chain.length === 1 ? 'history.json' : `history-${i + 1}.json`] = `${JSON.stringify(JSON.parse(historyToJSON(history)), null, 2)}\n`;
  });
  Object.assign(files, await reportAndVerify(client, run, chain, commandEnv));
  progress();
  files[ROSTER_FILE] = readFileSync(settings.rosterPath);
  const rosterSeal = sealPathFor(settings.rosterPath);
  if (existsSync(rosterSeal)) files[ROSTER_SEAL_FILE] = readFileSync(rosterSeal);
  const plan = run.workflowType === RECOVERY_PLAN_TYPE;
  const members = plan ? await memberBundles(settings.store, childRunsOf(chain.map((c) => c.history))) : undefined;
  if (members) files['members.json'] = `${JSON.stringify(members, null, 2)}\n`;
  const runbook = attribute(runbookAttribute) || run.workflowType;
  // What the run rehearsed and was measured against, as this worker's catalog says: the evidence pack reads it here.
  const definition = catalogRecordFor(catalogRecords(runbooks, plans), plan ? 'plan' : 'runbook', runbook);
  if (definition) files[DEFINITION_FILE] = definitionText(definition);
  const firstEvent = chain[0]?.history.events?.[0];
  const startedAt = firstEvent?.eventTime ? new Date(Number(firstEvent.eventTime.seconds ?? 0) * 1000).toISOString() : description.startTime.toISOString();
  return {
    runId: run.workflowId,
    temporalRunIds: chain.map((c) => c.runId),
    kind: plan ? 'plan' : 'runbook',
    runbook,
    target: attribute(targetAttribute) || '-',
    drill: attribute(drillAttribute) !== '',
    // How the run ended as status shows it: its own last state, or Temporal's word when Temporal ended it.
    state: state || description.status.name.toLowerCase(),
    startedAt,
    finishedAt: run.closedAt,
    files,
    targetsDigest: existsSync(settings.targetsPath) ? sha256Of(readFileSync(settings.targetsPath)) : null,
    ...(members ? { members: members.filter((m) => m.manifestDigest).map((m) => ({ runId: m.runId, manifestDigest: m.manifestDigest! })) } : {}),
  };
}

/**
 * The report and the verify result. The commands read a run by its workflow ID, which names the newest run under it;
 * when a newer run has already started there, verify reads this run's own history from a file instead, and the report
 * (which only Temporal's view of the newest run can give) is left out with a note that says why.
 */
async function reportAndVerify(
  client: Client,
  run: ClosedRun,
  chain: { runId: string; history: Parameters<typeof historyToJSON>[0] }[],
  env: NodeJS.ProcessEnv,
): Promise<Record<string, string>> {
  const newest = (await client.workflow.getHandle(run.workflowId).describe()).runId;
  if (newest === run.temporalRunId) {
    const html = await expectOutput(['report', run.workflowId, '--format', 'html'], env, [0]);
    const json = await expectOutput(['report', run.workflowId, '--format', 'json'], env, [0]);
    const verified = await expectOutput(['verify', run.workflowId, '--json'], env, [0, 1]);
    return { 'report.html': html, 'report.json': json, 'verify.json': verified };
  }
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-archive-'));
  try {
    const file = join(dir, 'history.json');
    writeFileSync(file, historyToJSON(joinHistoryChain(chain.map((c) => c.history))));
    const verified = await expectOutput(['verify', run.workflowId, '--history', file, '--json'], env, [0, 1]);
    return {
      'verify.json': verified,
      'report-missing.txt': `No report: run ${run.temporalRunId} was archived after a newer run (${newest}) started under ${run.workflowId}, and lifeboat report shows only the newest. Its history and verify result are here.\n`,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function expectOutput(argv: string[], env: NodeJS.ProcessEnv, codes: number[]): Promise<string> {
  const out = await runLifeboatCommand(argv, env);
  // A verdict of 1 comes with its report; a 1 with nothing printed is an error of the command, not a verdict.
  if (!codes.includes(out.code) || out.stdout.trim() === '')
    throw new Error(`lifeboat ${argv.join(' ')} exited ${out.code}: ${out.stderr.trim() || out.stdout.trim()}`);
  return out.stdout;
}

/** Each member run of a plan, with its bundle's digest when the archive holds it (a member still running has none yet). */
async function memberBundles(store: EvidenceStore, children: { workflowId: string; runId: string }[]) {
  const members: { runId: string; temporalRunId: string; manifestDigest?: string }[] = [];
  for (const child of children) {
    // Keys name the workflow ID, so only that member's own bundles are opened, newest first, to find its Temporal run.
    let manifestDigest: string | undefined;
    for (const address of (await store.list({ runId: child.workflowId })).reverse()) {
      const bytes = (await store.get(address.key))?.files[MANIFEST_FILE];
      const read = bytes ? readManifest(bytes) : undefined;
      if (bytes && read?.ok && read.manifest.temporalRunIds.includes(child.runId)) {
        manifestDigest = sha256Of(bytes);
        break;
      }
    }
    members.push({ runId: child.workflowId, temporalRunId: child.runId, ...(manifestDigest ? { manifestDigest } : {}) });
  }
  return members;
}
