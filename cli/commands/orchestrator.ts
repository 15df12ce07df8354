import { commonOptions, type Command } from '../command';
import type { CliContext } from '../context';
import { ExitCode, usageError } from '../errors';
import { clusterList } from '../orchestrator/clusters';
import { orchestratorNamespaceOf, requestFailover } from '../orchestrator/failover';
import { renderFailover, renderFailoverAudit, renderFailoverHistory } from '../orchestrator/failover-render';
import { failoverHistory } from '../orchestrator/failover-history';
import { verifyFailover } from '../orchestrator/failover-verify';
import { orchestratorProblems } from '../orchestrator/problems';
import { activeClusterOf, surveyClusters, type ClusterView } from '../orchestrator/survey';
import { table } from '../render';
import { signingOptions } from '../signing';

const usage = 'lifeboat orchestrator status --cluster NAME=HOST:PORT [--cluster NAME=HOST:PORT ...] [--json]   (or LIFEBOAT_CLUSTERS=NAME=HOST:PORT,...)';
const failoverUsage =
  'lifeboat orchestrator failover --to CLUSTER [--as USER] [--key FILE] [--cluster NAME=HOST:PORT ...] [--orchestrator-namespace NS] [--json]   (or --verify ID: re-check a failover from its history)';

/**
 * `lifeboat orchestrator status`: the orchestrator's own Temporal clusters when they replicate a global namespace
 * (docs/production.md, "Surviving the orchestrator's own region"). Which cluster is active, how far each standby's copy
 * is behind, and which workers poll each cluster; exit 1 with what would keep a failover of the orchestrator from
 * working (a cluster down, no worker in a region, the clusters disagreeing).
 */
export const orchestratorCommand: Command = {
  name: 'orchestrator',
  summary: "The orchestrator's own Temporal clusters: which one is active for the namespace, each standby's replication lag, which workers poll where",
  usage,
  options: {
    ...commonOptions,
    ...signingOptions,
    cluster: { type: 'string', multiple: true },
    to: { type: 'string' },
    as: { type: 'string' },
    'orchestrator-namespace': { type: 'string' },
    verify: { type: 'string' },
  },
  async run(ctx, { positionals, values }) {
    const [action, ...rest] = positionals;
    if (action === 'failover') return failover(ctx, rest, values);
    if (action !== 'status') throw usageError(action ? `unknown orchestrator command "${action}"` : 'say what to do: status or failover', `usage: ${usage}`);
    if (rest.length) throw usageError(`unexpected "${rest.join(' ')}"`, `usage: ${usage}`);
    const clusters = clusterList(values.cluster as string[] | undefined, ctx.env);
    const settings = ctx.settings();
    const views = await surveyClusters(clusters, settings, ctx.taskQueue);
    const problems = orchestratorProblems(views, settings.namespace);
    const activeCluster = activeClusterOf(views) ?? null;
    const failovers = await failoverHistory(clusters, settings, orchestratorNamespaceOf(values, ctx.env));
    if (ctx.json) ctx.printJson({ namespace: settings.namespace, taskQueue: ctx.taskQueue, activeCluster, clusters: views, problems, failovers });
    else ctx.print([render(settings.namespace, ctx.taskQueue, activeCluster, views, problems), '', renderFailoverHistory(failovers)].join('\n'));
    return problems.length ? ExitCode.refused : ExitCode.ok;
  },
};

/**
 * `lifeboat orchestrator failover --to CLUSTER`: a signed decision of sre-leads that makes CLUSTER the global
 * namespace's active cluster, checked and made by CLUSTER's own worker (cli/orchestrator/failover.ts). Exit 0 when the
 * namespace is active there, 1 when refused (with why), 2 for bad usage.
 */
async function failover(ctx: CliContext, rest: string[], values: Record<string, unknown>): Promise<number> {
  if (rest.length) throw usageError(`unexpected "${rest.join(' ')}"`, `usage: ${failoverUsage}`);
  const localNamespace = orchestratorNamespaceOf(values, ctx.env);
  const audited = values.verify as string | undefined;
  if (audited !== undefined) {
    if (values.to !== undefined) throw usageError('--verify re-checks a failover made before; it takes no --to', `usage: ${failoverUsage}`);
    if (!audited.startsWith('orchestrator-failover/')) throw usageError(`--verify ${audited}: not a failover's run ID (orchestrator-failover/NAMESPACE/NONCE)`);
    const audit = await verifyFailover(ctx, clusterList(values.cluster as string[] | undefined, ctx.env), localNamespace, audited);
    if (ctx.json) ctx.printJson(audit);
    else ctx.print(renderFailoverAudit(audit));
    return audit.problems.length ? ExitCode.refused : ExitCode.ok;
  }
  const to = values.to as string | undefined;
  if (!to) throw usageError('--to is required: the cluster to make active, such as --to region-b', `usage: ${failoverUsage}`);
  const clusters = clusterList(values.cluster as string[] | undefined, ctx.env);
  const target = clusters.find((c) => c.name === to);
  if (!target) throw usageError(`--to ${to}: not one of the clusters given (${clusters.map((c) => c.name).join(', ')})`, `usage: ${failoverUsage}`);
  const namespace = ctx.settings().namespace;
  const done = await requestFailover(ctx, { target, namespace, localNamespace, values });
  if (!done) return ExitCode.ok;
  if (ctx.json) ctx.printJson(done);
  else ctx.print(renderFailover(done));
  return ExitCode.ok;
}

function render(namespace: string, taskQueue: string, active: string | null, views: ClusterView[], problems: string[]): string {
  const cells = [['CLUSTER', 'ADDRESS', 'ROLE', 'REPLICATION LAG', `WORKERS ON ${taskQueue}`]];
  for (const v of views) {
    if (!v.answers) {
      cells.push([v.name, v.address, 'DOES NOT ANSWER', '-', '-']);
      continue;
    }
    const role = 'error' in v.namespace ? 'unknown' : v.namespace.activeCluster === v.clusterName ? 'active' : `standby (active: ${v.namespace.activeCluster})`;
    const lag = !v.lag ? '-' : 'error' in v.lag ? 'unknown' : lagText(v.lag);
    cells.push([v.name, v.address, role, lag, v.workers.map((w) => w.identity).join(', ') || 'none']);
  }
  const lines = [`namespace ${namespace}: ${active ? `active in ${active}` : 'active cluster unknown'}`, '', table(cells)];
  lines.push(
    '',
    ...(problems.length ? problems.map((p) => `PROBLEM: ${p}`) : ['every cluster answers, agrees on the active one, and has a worker polling it']),
  );
  return lines.join('\n');
}

function lagText(lag: { runsChecked: number; runsBehind: number; eventsBehind: number; lagMs: number; truncated: boolean }): string {
  const runs = `${lag.runsChecked}${lag.truncated ? '+' : ''} open run(s)`;
  if (lag.eventsBehind === 0) return `caught up (${runs})`;
  return `${lag.eventsBehind} event(s) behind on ${lag.runsBehind} of ${runs}, oldest ${(lag.lagMs / 1000).toFixed(1)} s ago`;
}
