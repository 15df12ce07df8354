import { Context } from '@temporalio/activity';
import type { FindingsActivities, ReadinessFindingsActivities } from '../../lib/findings/activity-contracts';
import { notReadySignal } from '../../lib/findings/messages';
import { DEFAULT_FINDING_DEADLINE_DAYS } from '../../lib/findings/names';
import type { TrustRoot } from '../../lib/roster-seal';
import type { ArchiveSettings } from '../evidence/archive-settings';
import { readDrillOutcome } from './drill-outcome';
import { notReadySince } from './not-ready-since';
import { allocateFindingNumber } from './numbers';
import { tellFindings } from './tell-findings';
import { archiveFindings, highestSealedFindingNumber, readSealedFindings } from './sealed-findings';

/** How long findings may wait, from the worker's settings (never from a message): see {@link findingsTimingFromEnv}. */
export interface FindingsTiming {
  /** Seconds after opening before an open finding makes its runbook not ready. */
  deadlineSeconds: number;
  /** Seconds a runbook may stay not ready before that opens a finding. */
  notReadySeconds: number;
}

const DAY_SECONDS = 24 * 60 * 60;

/**
 * LIFEBOAT_FINDING_DEADLINE_DAYS (default 30) and LIFEBOAT_FINDING_NOT_READY_HOURS (default 24). Fractions are allowed,
 * so a test or a rehearsal can use seconds.
 */
export function findingsTimingFromEnv(env: NodeJS.ProcessEnv): FindingsTiming {
  const positive = (text: string | undefined, fallback: number) => {
    const value = Number(text);
    return text && Number.isFinite(value) && value > 0 ? value : fallback;
  };
  return {
    deadlineSeconds: positive(env.LIFEBOAT_FINDING_DEADLINE_DAYS, DEFAULT_FINDING_DEADLINE_DAYS) * DAY_SECONDS,
    notReadySeconds: positive(env.LIFEBOAT_FINDING_NOT_READY_HOURS, 24) * 3600,
  };
}

/**
 * The findings workflows' activities, which `lifeboat worker` registers beside the evidence archiver's (findings are
 * sealed into the same archive). They read Temporal with the worker's own client, and never act on a run.
 */
export function createFindingsActivities(
  settings: ArchiveSettings,
  timing: FindingsTiming = findingsTimingFromEnv(settings.env),
  /** The workers' trust root: the roster of a findings bundle read back must be one its roster admins sealed. */
  trustRoot?: TrustRoot,
): FindingsActivities & ReadinessFindingsActivities {
  const here = () => {
    const context = Context.current();
    return { client: context.client, taskQueue: context.info.taskQueue };
  };
  return {
    readSealedFindings: (runbook, target) => readSealedFindings(settings.store, settings.signer.id, runbook, target, trustRoot),
    archiveFindings: (snapshot, workflowId, temporalRunId, close) => archiveFindings(settings, snapshot, workflowId, temporalRunId, close),
    highestSealedFindingNumber: () => highestSealedFindingNumber(settings.store),
    readDrillOutcome: (runbook, target, claim) => readDrillOutcome(here().client, here().taskQueue, settings.store, runbook, target, claim),
    allocateFindingNumber: () => allocateFindingNumber(here().client, here().taskQueue),
    notReadySince: (runbook, target, scheduleId) => notReadySince(here().client, here().taskQueue, runbook, target, scheduleId),
    findingsSettings: async () => timing,
    async tellFindingsNotReady({ runbook, target, scheduleId }) {
      const told = await tellFindings(here().client, here().taskQueue, runbook, target, notReadySignal, { scheduleId });
      if (!told.told) Context.current().log.warn('could not tell the findings workflow that readiness stays not ready', { problem: told.problem });
    },
  };
}
