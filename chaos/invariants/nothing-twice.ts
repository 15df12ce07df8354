import { Client, Connection } from '@temporalio/client';
import { fetchHistoryChain } from '../../cli/verify/history-chain';
import type { RunStatus } from '../../kit';
import { dataConverterFromEnv } from '../../lib/codec';
import type { ChaosWorld, Violation } from '../world-types';
import { countEffects, type EffectCounts } from './effects';
import { readLedgerBookedTwice } from './ledger-twice';
import { childRunsOf, childrenStartedTwice, type ChildRun } from './member-starts';

export const NOTHING_TWICE = 'no action twice';
/** A count the check needed could not be read: not a pass, since a world that cannot be read proves nothing. */
export const TWICE_UNCHECKED = 'actions taken twice could be checked';

/**
 * Checks that no action of the run took effect twice, from the world and the run's history rather than its own word:
 * - no database promoted twice: at most one new timeline per database since `before` (one run moves a service once;
 *   a plan refuses to move one service twice), two in a live drill, which fails back;
 * - no fleet host rebooted twice: at most one more reboot per host than `before`, plus one per operator retry the run
 *   recorded (a retried wave reboots again the hosts that did not come back). The fleet counts every reboot, not only
 *   those that took effect, so a host that crashed again on boot and was rebooted on a retry is allowed for that way;
 * - no counter ledger line booked twice (see {@link readLedgerBookedTwice});
 * - no child run (a plan's member) started again unless its earlier run ended without success.
 * `before` is {@link countEffects} taken just before the run started. What could not be read (a database or the fleet
 * API that did not answer, the server that holds the run's history) is a {@link TWICE_UNCHECKED} violation.
 */
export async function checkNothingTwice(
  world: Pick<ChaosWorld, 'catalog' | 'temporalAddress' | 'namespace'>,
  runId: string,
  status: RunStatus,
  before: EffectCounts,
): Promise<Violation[]> {
  const after = await countEffects(world.catalog);
  const problems = [...promotedTwice(before, after, status.drill?.kind === 'live' ? 2 : 1), ...rebootedTwice(before, after, operatorRetries(status))];
  const unchecked = uncounted(before, after);
  const ledger = await readLedgerBookedTwice(world.catalog);
  if (ledger) problems.push(...ledger);
  else unchecked.push('the bookings could not be read from a writable primary to check the counter ledger');
  try {
    problems.push(...(await membersStartedTwice(world, runId)));
  } catch (err) {
    unchecked.push(`the run's history could not be read for its child runs: ${(err as Error).message}`);
  }
  return [
    ...problems.map((evidence) => ({ invariant: NOTHING_TWICE, evidence: `${runId}: ${evidence}` })),
    ...unchecked.map((evidence) => ({ invariant: TWICE_UNCHECKED, evidence: `${runId}: ${evidence}` })),
  ];
}

/** The counts missing before or after the run, in words. */
export function uncounted(before: EffectCounts, after: EffectCounts): string[] {
  const missing: string[] = [];
  for (const database of new Set([...Object.keys(before.timelines), ...Object.keys(after.timelines)])) {
    if (before.timelines[database] == null || after.timelines[database] == null) {
      missing.push(
        `no node of database ${database} answered ${before.timelines[database] == null ? 'before' : 'after'} the run, so its promotions were not counted`,
      );
    }
  }
  if (!before.reboots || !after.reboots)
    missing.push(`the fleet API did not answer ${!before.reboots ? 'before' : 'after'} the run, so reboots were not counted`);
  return missing;
}

/**
 * Databases whose timeline moved on more often than `allowed` between the two counts: once for a switch, twice for a
 * live drill (the failover and the failback it runs as a child, there and back).
 */
export function promotedTwice(before: EffectCounts, after: EffectCounts, allowed = 1): string[] {
  const twice: string[] = [];
  for (const [database, now] of Object.entries(after.timelines)) {
    const was = before.timelines[database];
    if (now == null || was == null) continue;
    if (now - was > allowed)
      twice.push(
        `database ${database} was promoted ${now - was} times (timeline ${was} to ${now}), ${allowed === 1 ? 'once at most' : `at most ${allowed} times`} in this run`,
      );
  }
  return twice;
}

/** Hosts rebooted more often than once, plus `retries`, between the two counts. */
export function rebootedTwice(before: EffectCounts, after: EffectCounts, retries: number): string[] {
  if (!before.reboots || !after.reboots) return [];
  const twice: string[] = [];
  for (const [host, now] of Object.entries(after.reboots)) {
    const more = now - (before.reboots[host] ?? 0);
    if (more > 1 + retries)
      twice.push(`fleet host ${host} was rebooted ${more} times${retries > 0 ? ` (${retries} operator retr${retries === 1 ? 'y' : 'ies'})` : ''}`);
  }
  return twice;
}

/** How many times an operator told the run to retry a step, from its audit trail. */
function operatorRetries(status: RunStatus): number {
  return status.audit.filter((a) => a.action === 'retry').length;
}

/** Child runs started twice, from the run's whole history (every run of its chain). */
async function membersStartedTwice(world: Pick<ChaosWorld, 'temporalAddress' | 'namespace'>, runId: string): Promise<string[]> {
  // A history a flood of forged decisions filled runs past gRPC's 4 MiB default, as the CLI's reads allow for too.
  const connection = await Connection.connect({ address: world.temporalAddress, channelArgs: { 'grpc.max_receive_message_length': 128 * 1024 * 1024 } });
  try {
    const dataConverter = dataConverterFromEnv();
    const client = new Client({ connection, namespace: world.namespace, ...(dataConverter ? { dataConverter } : {}) });
    const chain = await fetchHistoryChain(client, runId);
    const runs = childRunsOf(chain.flatMap((h) => h.events ?? []));
    const results = new Map<ChildRun, boolean | undefined>();
    for (const run of runs.filter((r) => r.end === 'completed' && runs.filter((o) => o.workflowId === r.workflowId).length > 1)) {
      const result = (await client.workflow
        .getHandle(run.workflowId, run.runId, { followRuns: false })
        .result()
        .catch(() => undefined)) as RunStatus | undefined;
      results.set(run, result ? result.state === 'succeeded' : undefined);
    }
    return childrenStartedTwice(runs, (run) => results.get(run));
  } finally {
    await connection.close();
  }
}
