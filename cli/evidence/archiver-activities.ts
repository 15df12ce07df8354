import { Context } from '@temporalio/activity';
import { archiveRun } from '../../lib/evidence/archive';
import type { ArchivedRun, ArchiverCursor, ClosedRun, EvidenceArchiverActivities } from '../../workflows/evidence-archiver';
import type { ArchiveSettings } from './archive-settings';
import { archivedUpTo, bundleOfClosedRun } from './archive-truth';
import { gatherRunEvidence } from './run-evidence';
import { drillEndedSignal } from '../../lib/findings/messages';
import { tellFindings } from '../findings/tell-findings';

const keyword = /^[A-Za-z0-9._/-]+$/;

/**
 * The evidence archiver's activities, which `lifeboat worker` registers when LIFEBOAT_EVIDENCE_STORE is set. They run
 * with the worker's own Temporal client (read-only here: list, describe, fetch history, query) and its files.
 */
export function createArchiverActivities(settings: ArchiveSettings): EvidenceArchiverActivities {
  return {
    archivedUpTo: () => archivedUpTo(settings.store),

    async listClosedRuns(taskQueue: string, cursor: ArchiverCursor, limit: number, settleSeconds: number): Promise<ClosedRun[]> {
      if (!keyword.test(taskQueue)) throw new Error(`task queue ${JSON.stringify(taskQueue)} cannot be put in a visibility query`);
      const since = new Date(cursor.closedAt).toISOString();
      const settledBefore = new Date(Date.now() - settleSeconds * 1000).toISOString();
      // Every Lifeboat run of this queue that has ended, however it ended; an earlier run of a carry-over chain is
      // not an end (its bundle is the chain's, made when the last run closes).
      const query = [
        `TaskQueue = '${taskQueue}'`,
        'LifeboatRunbook IS NOT NULL',
        "ExecutionStatus != 'Running'",
        "ExecutionStatus != 'ContinuedAsNew'",
        `CloseTime >= '${since}'`,
        `CloseTime < '${settledBefore}'`,
      ].join(' AND ');
      const done = new Set(cursor.runIds);
      const runs: ClosedRun[] = [];
      for await (const wf of Context.current().client.workflow.list({ query })) {
        if (!wf.closeTime) continue;
        const closedAt = wf.closeTime.toISOString();
        if (closedAt < since || (closedAt === since && done.has(wf.runId))) continue;
        runs.push({ workflowId: wf.workflowId, temporalRunId: wf.runId, workflowType: wf.type, closedAt });
      }
      // Visibility gives no order a SQL store can promise; the chain needs the order the runs closed in.
      runs.sort((a, b) => (a.closedAt < b.closedAt ? -1 : a.closedAt > b.closedAt ? 1 : a.temporalRunId < b.temporalRunId ? -1 : 1));
      return runs.slice(0, limit);
    },

    async archiveClosedRun(run: ClosedRun): Promise<ArchivedRun> {
      const context = Context.current();
      const heartbeat = () => context.heartbeat();
      const commandEnv = {
        ...settings.env,
        TEMPORAL_NAMESPACE: context.info.workflowNamespace,
        LIFEBOAT_TASK_QUEUE: context.info.taskQueue,
      };
      const evidence = await gatherRunEvidence(context.client, settings, run, commandEnv, heartbeat);
      heartbeat();
      // Archived already (a reset, a cursor set back, a retry after a crash): the bundle stands as it was sealed. (Looked
      // for after gathering, so a store that is down fails each attempt no faster than before, and backs off as slowly.)
      const archived = await bundleOfClosedRun(settings.store, run);
      if (archived) return archived;
      const { bundle, outcome } = await archiveRun(settings.store, evidence, settings.signer);
      context.log.info('archived the evidence of a run', { runId: run.workflowId, temporalRunId: run.temporalRunId, key: bundle.key, outcome });
      // A drill's end goes to its runbook and target's findings workflow, which checks the run itself before it opens anything.
      if (evidence.kind === 'runbook' && evidence.drill) {
        const told = await tellFindings(context.client, context.info.taskQueue, evidence.runbook, evidence.target, drillEndedSignal, {
          workflowId: run.workflowId,
          temporalRunId: run.temporalRunId,
        });
        if (!told.told) context.log.warn('could not tell the findings workflow that a drill ended', { runId: run.workflowId, problem: told.problem });
      }
      return { key: bundle.key, outcome };
    },
  };
}
