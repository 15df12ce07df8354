import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { ErrorType } from '../kit';
import { forecastPlan, PlanInputError, type MemberHistory, type PlanForecastReport } from '../lib/plan-forecast';
import { plans } from '../plans';
import { createDatabaseActivities, type ReplicationStatus } from './database';
import type { TargetsAccess } from './targets';

/** How long one member's live replication read may take before the note says it did not answer. */
const LIVE_READ_MS = 5_000;

/**
 * The RTO forecast a plan's run shows at its gate, before anyone signs: made on the worker, from the members' recent
 * runs as Temporal recorded them, so the signers see the forecast the plan was approved against in its own history.
 * Given the targets file's access, it adds what it sees live, each member's standby replication lag, as notes: they
 * inform the signers but leave the numbers alone, since no run measured how lag turns into catch-up time.
 */
export function createPlanForecastActivities(access?: TargetsAccess) {
  const replicationOf = access ? createDatabaseActivities(access).replicationStatus : undefined;
  return {
    async forecastPlanRto(args: { plan: string; input: unknown }): Promise<PlanForecastReport> {
      const plan = Object.hasOwn(plans, args.plan) ? plans[args.plan] : undefined;
      if (!plan) {
        throw ApplicationFailure.nonRetryable(
          `no recovery plan ${String(args.plan).slice(0, 200)}; the plans are ${Object.keys(plans).join(', ')}`,
          ErrorType.InvalidInput,
        );
      }
      let report: PlanForecastReport;
      try {
        report = await forecastPlan(Context.current().client, plan, args.input);
      } catch (err) {
        // A refused input stays refused however often it is retried; Temporal's errors are retried as usual.
        if (err instanceof PlanInputError) throw ApplicationFailure.nonRetryable(err.message, ErrorType.InvalidInput);
        throw err;
      }
      if (!access || !replicationOf) return report;
      const live = await liveLagNotes(report.members, databaseServicesOf(access), (service) => replicationOf({ service }));
      return { ...report, notes: [...report.notes, ...live] };
    },
  };
}

export type PlanForecastActivities = ReturnType<typeof createPlanForecastActivities>;

/** The services of the targets file that keep data, so have a standby; none when the file cannot be read. */
function databaseServicesOf(access: TargetsAccess): Set<string> {
  try {
    return new Set(
      Object.entries(access.targets().services)
        .filter(([, settings]) => !settings.stateless)
        .map(([service]) => service),
    );
  } catch {
    return new Set();
  }
}

/**
 * One note per member acting on a service with a standby: how far behind its primary the standby is now, or why that
 * cannot be said. Members acting on something else (a stateless service, a target that is not a service) have none.
 */
export async function liveLagNotes(
  members: readonly Pick<MemberHistory, 'member' | 'target'>[],
  databaseServices: ReadonlySet<string>,
  replicationOf: (service: string) => Promise<ReplicationStatus>,
): Promise<string[]> {
  const withStandby = members.filter((m) => databaseServices.has(m.target));
  return Promise.all(
    withStandby.map(async ({ member, target }) => {
      try {
        return `live: ${member} (${target}): ${lagText(await withTimeout(replicationOf(target), LIVE_READ_MS))}`;
      } catch (err) {
        return `live: ${member} (${target}): replication could not be read (${(err as Error).message.slice(0, 200)})`;
      }
    }),
  );
}

function lagText(replication: ReplicationStatus): string {
  const { primary, standby, lagBytes, lagSeconds, checkedAt } = replication;
  if (!primary) return `no primary answers, so there is no lag to read (at ${checkedAt})`;
  if (!standby) return `no standby answers beside the primary in ${primary} (at ${checkedAt})`;
  if (replication.nodes[standby]?.streaming === false) return `the standby in ${standby} is not streaming from the primary in ${primary} (at ${checkedAt})`;
  if (lagBytes === null) return `the lag of the standby in ${standby} cannot be measured (at ${checkedAt})`;
  return `the standby in ${standby} is ${lagBytes} bytes${lagSeconds !== null ? ` and ${Math.round(lagSeconds * 10) / 10} s` : ''} behind the primary in ${primary} (at ${checkedAt})`;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
