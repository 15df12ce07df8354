import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { Context } from '@temporalio/activity';
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { surveyWorkers } from '../lib/worker-survey';
import { runbooks } from '../runbooks';
import { ErrorType } from '../kit';
import { drillProblems, resolveApprovers } from '../kit/trust';
import type { RunStatus } from '../kit';
import type { ReadinessCheckSpec, ReadinessEvaluation } from '../kit/trust';
import { createBookingActivities } from './booking';
import { createDatabaseActivities } from './database';
import { createFleetActivities } from './fleet';
import { createManualBookingActivities } from './manual-booking';
import { createEstateProbes, type ProbeOutcome } from './readiness-estate';
import { findingsWithinDeadline } from './findings-probe';
import { readRoster } from './roster';
import { MANUAL_BOOKING_SERVICE } from '../runbooks/manual-booking-mode';
import type { TargetsAccess } from './targets';
import { createTrafficActivities } from './traffic';

export type { ProbeOutcome };

const DAY_MS = 24 * 60 * 60 * 1000;
const quote = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const ago = (ms: number) =>
  ms < 2 * 60 * 60 * 1000
    ? `${Math.round(ms / 60_000)} min ago`
    : ms < 2 * DAY_MS
      ? `${Math.round(ms / 3_600_000)} h ago`
      : `${Math.round(ms / DAY_MS)} days ago`;

/**
 * The readiness probes: read-only looks at the estate (through the same adapters the runbooks use), the roster and
 * Temporal's visibility. A probe reports "not ready" with the reason; it throws only when it cannot look at all.
 */
export function createReadinessActivities(deps: { access: TargetsAccess; rosterPath: string }) {
  const estate = {
    ...createDatabaseActivities(deps.access),
    ...createTrafficActivities(deps.access),
    ...createBookingActivities(deps.access),
    ...createFleetActivities(deps.access),
  };
  const estateProbes = createEstateProbes(deps.access);
  const manualBooking = createManualBookingActivities({ access: deps.access });

  /** Finished runs that match `query`, newest first (by close time). */
  async function finished(client: Client, query: string, limit = 50): Promise<WorkflowExecutionInfo[]> {
    const runs: WorkflowExecutionInfo[] = [];
    for await (const wf of client.workflow.list({ query })) {
      runs.push(wf);
      if (runs.length >= limit) break;
    }
    return runs.sort((a, b) => (b.closeTime?.getTime() ?? 0) - (a.closeTime?.getTime() ?? 0));
  }

  async function approvers(runbookId: string, requester: string | undefined): Promise<ProbeOutcome> {
    const runbook = runbooks[runbookId]!;
    const roster = await readRoster(deps.rosterPath);
    const gates = Object.values(runbook.procedure).filter((e) => e.kind === 'gate');
    if (gates.length === 0) return { ready: true, reason: 'the runbook has no approval gates' };
    const problems: string[] = [];
    for (const gate of gates) {
      const { eligible, unknown } = resolveApprovers(roster, gate.policy.approvers);
      const withKeys = eligible.filter((id) => id !== requester && (roster.people.find((p) => p.id === id)?.keys.length ?? 0) > 0);
      if (unknown.length > 0) problems.push(`gate ${gate.name} names ${unknown.join(', ')}, which the roster lacks`);
      if (withKeys.length < gate.policy.quorum) {
        const keyless = eligible.filter((id) => (roster.people.find((p) => p.id === id)?.keys.length ?? 0) === 0);
        problems.push(
          `gate ${gate.name} needs ${gate.policy.quorum} approval(s) but only ${withKeys.length} eligible people have keys` +
            `${requester && eligible.includes(requester) ? `, not counting the requester ${requester}` : ''}` +
            `${keyless.length ? ` (no keys: ${keyless.join(', ')})` : ''}`,
        );
      }
    }
    if (problems.length) return { ready: false, reason: problems.join('; ') };
    return {
      ready: true,
      reason: `${gates.length} gate(s) can each reach their quorum from people with keys${requester ? `, not counting ${requester}` : ''}`,
    };
  }

  /** The same survey `lifeboat workers` prints, of the task queue this evaluation runs on. */
  async function workersAgree(): Promise<ProbeOutcome> {
    const { client, info } = Context.current();
    const survey = await surveyWorkers(client, info.taskQueue);
    if (survey.rows.length === 0) return { ready: false, reason: `no worker is seen polling task queue ${info.taskQueue}` };
    if (!survey.agreed) {
      const problems = survey.rows.flatMap((r) => r.problems.map((p) => `${r.identity}: ${p}`));
      return { ready: false, reason: problems.join('; ') };
    }
    return { ready: true, reason: `all ${survey.rows.length} worker(s) answer and run the same build, roster, targets file and trust root` };
  }

  async function drillRecency(runbookId: string, target: string, withinDays: number): Promise<ProbeOutcome> {
    const client = Context.current().client;
    const query = `LifeboatRunbook = ${quote(runbookId)} AND LifeboatTarget = ${quote(target)} AND LifeboatDrill IS NOT NULL AND ExecutionStatus != 'Running'`;
    const [last] = await finished(client, query);
    if (!last) return { ready: false, reason: `no finished drill of ${runbookId} on ${target}` };
    const age = Date.now() - (last.closeTime ?? last.startTime).getTime();
    const when = ago(age);
    const status = last.status.name === 'COMPLETED' ? ((await client.workflow.getHandle(last.workflowId, last.runId).result()) as RunStatus) : undefined;
    // As `drill history` judges it: a missed objective that was measured fails the drill, one not measured does not.
    const problems = status ? drillProblems(status) : [`the workflow ended ${last.status.name.toLowerCase()}`];
    if (problems.length) return { ready: false, reason: `the last drill (${when}) did not pass: ${problems.join('; ')}` };
    if (age > withinDays * DAY_MS) return { ready: false, reason: `the last drill passed ${when}, outside the ${withinDays}-day window` };
    return { ready: true, reason: `the last drill passed ${when}` };
  }

  async function pagingAcknowledged(team: string, withinDays: number): Promise<ProbeOutcome> {
    const client = Context.current().client;
    const query = `LifeboatRunbook = 'paging-check' AND LifeboatTarget = ${quote(team)} AND LifeboatDrill IS NULL AND ExecutionStatus = 'Completed'`;
    for (const run of await finished(client, query)) {
      const status = (await client.workflow.getHandle(run.workflowId, run.runId).result()) as RunStatus;
      const ack = status.gates.find((g) => g.status === 'approved');
      if (status.state !== 'succeeded' || !ack) continue;
      const age = Date.now() - Date.parse(ack.decidedAt ?? status.finishedAt ?? run.startTime.toISOString());
      if (age > withinDays * DAY_MS)
        return { ready: false, reason: `the last acknowledged page of ${team} was ${ago(age)}, outside the ${withinDays}-day window` };
      return { ready: true, reason: `${ack.votes.find((v) => v.decision === 'approve')?.by ?? 'someone'} acknowledged a page of ${team} ${ago(age)}` };
    }
    return { ready: false, reason: `no acknowledged paging check of ${team} yet` };
  }

  return {
    /** Runs one readiness check of a runbook on a target. Read-only: it looks, and never acts. */
    async readinessProbe(args: { runbook: string; target: string; requester?: string; check: ReadinessCheckSpec }): Promise<ProbeOutcome> {
      const { target, check } = args;
      if (!runbooks[args.runbook]) throw ApplicationFailure.nonRetryable(`unknown runbook ${args.runbook}`, ErrorType.InvalidInput);
      const probe = check.probe;
      switch (probe.kind) {
        case 'approvers':
          return approvers(args.runbook, args.requester);
        case 'workers-agree':
          return workersAgree();
        case 'drill-recency':
          return drillRecency(args.runbook, target, probe.withinDays);
        case 'paging-acknowledged':
          return pagingAcknowledged(target, probe.withinDays);
        case 'standby-streaming':
          return estateProbes.standbyStreaming(target, probe);
        case 'dependencies-ready':
          return estateProbes.dependenciesReady(target, probe);
        case 'load-balancer-reaches-target':
          return estateProbes.reachesTarget(target);
        case 'target-service-healthy':
          return estateProbes.targetServiceHealthy(target);
        case 'fleet-api': {
          try {
            const summary = await estate.fleetSummary();
            return { ready: true, reason: `the fleet API answers: ${summary.total} hosts, ${summary.byHealth.healthy ?? 0} healthy` };
          } catch (err) {
            return { ready: false, reason: `the fleet API does not answer: ${(err as Error).message}` };
          }
        }
        case 'last-known-good': {
          const { total, hosts } = await estate.listHosts({ limit: 200 });
          const versions = [...new Set(hosts.map((h) => h.agent.lastKnownGood).filter(Boolean))];
          if (total === 0) return { ready: false, reason: 'the fleet has no hosts in scope' };
          if (versions.length === 0) return { ready: false, reason: 'no host names a last-known-good version' };
          // The fleet API lists hosts, not the versions the channel offers; the hosts' own record is what it can tell.
          return {
            ready: true,
            reason: `hosts name last-known-good ${versions.join(', ')} (the fleet API cannot list the channel's versions, so this is the hosts' record)`,
          };
        }
        case 'ledger-writable': {
          const { region } = await manualBooking.bookingRegionInUse({});
          const sample = deps.access.service(MANUAL_BOOKING_SERVICE).sampleEstate;
          if (!sample) {
            const ledger = await estate.readLedger({ region }).catch((err: Error) => err);
            if (ledger instanceof Error) return { ready: false, reason: `region ${region}'s offline ledger cannot be read: ${ledger.message}` };
            return { ready: true, reason: `region ${region}'s offline ledger answers (${ledger.entries.length} entries)` };
          }
          const dir = sample.ledgerDir(region);
          try {
            await access(dir, constants.W_OK);
            return { ready: true, reason: `region ${region}'s ledger (${dir}) is writable` };
          } catch (err) {
            return {
              ready: false,
              reason: `region ${region}'s ledger (${dir}) is not writable: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
            };
          }
        }
        case 'stations-known': {
          const listed = deps.access.targets().stations;
          if (Array.isArray(listed) && listed.length > 0) return { ready: true, reason: `${listed.length} stations listed` };
          return { ready: false, reason: 'the targets file lists no stations, so a run must name them by hand' };
        }
        case 'findings-within-deadline': {
          const context = Context.current();
          return findingsWithinDeadline(context.client, context.info.taskQueue, args.runbook, target);
        }
      }
    },

    /** The newest finished evaluation a readiness schedule made, from its memo; undefined before the first. */
    async lastReadiness(args: { scheduleId: string }): Promise<ReadinessEvaluation | undefined> {
      const client = Context.current().client;
      const [last] = await finished(client, `TemporalScheduledById = ${quote(args.scheduleId)} AND ExecutionStatus = 'Completed'`, 5);
      return last?.memo?.readiness as ReadinessEvaluation | undefined;
    },
  };
}

export type ReadinessActivities = ReturnType<typeof createReadinessActivities>;
