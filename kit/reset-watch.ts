import { ApplicationFailure, patched, workflowInfo } from '@temporalio/workflow';
import type { StepSpec } from './definition';
import { ErrorType } from './errors';
import { isGateLookup } from './gate-lookup';
import { announcedResetMarkers, RESET_NOTICED_PREFIX } from './lifecycle-interceptors';
import { SYSTEM } from './run-record';
import type { ResetsPart, RunParts } from './run-parts';

/**
 * How a run answers Temporal's reset of it (`temporal workflow reset`): it takes notice at the same place on every
 * replay, drops the votes and decisions made before the reset, and asks people again before it acts.
 */
export class ResetWatch implements ResetsPart {
  /** Set at the point where Temporal reset the run, until the run has asked again for fresh decisions. */
  pending = false;
  /** Workflow time when the run noticed Temporal's reset: decisions signed before it count no more. */
  resetAtMs: number | undefined;
  private watching = false;
  /** The run IDs whose reset this run has taken notice of. */
  private readonly noticed = new Set<string>();

  constructor(private readonly run: Pick<RunParts, 'gates' | 'record'>) {}

  /**
   * Watches for Temporal's reset of this run. Called by the kit for every run, once its start is proven.
   */
  watch(): void {
    this.watching = true;
  }

  /**
   * Notices that Temporal reset this run. A reset run has a new run ID but keeps the one its history started with;
   * what must be decided deterministically is *where* it takes notice. The first point the run reaches live under a
   * run ID it has not noticed, it records a marker (`patched`) naming that run; on every replay Temporal announces the
   * marker in the task that recorded it, and the run asks for it there (see lifecycle-interceptors.ts), so a worker
   * restart, a replayer or a second reset all take notice at the same places. Called where a decision arrives and
   * before a step acts.
   */
  check(): void {
    if (!this.watching) return;
    for (const marker of announcedResetMarkers()) {
      const runId = marker.slice(RESET_NOTICED_PREFIX.length);
      if (!this.noticed.has(runId) && patched(marker)) this.notice(runId);
    }
    const info = workflowInfo();
    if (info.unsafe.isReplaying || info.runId === info.originalExecutionRunId || this.noticed.has(info.runId)) return;
    if (patched(`${RESET_NOTICED_PREFIX}${info.runId}`)) this.notice(info.runId);
  }

  /** After a reset, before `stepName` acts: reopen the last gate people passed, or end the run if there is none. */
  async decideAgain(stepName: string): Promise<void> {
    const { gates, record } = this.run;
    this.pending = false;
    const gate = gates.lastPassed;
    if (!gate) {
      throw ApplicationFailure.nonRetryable(
        `Temporal reset this run, and no approval given after the reset covers step ${stepName}; a reset run does not act on its old start: start a new run`,
        ErrorType.ResetRefused,
      );
    }
    record.audit(SYSTEM, 'gate-reopened', `${gate.name}: Temporal reset the run, so step ${stepName} waits for fresh approvals`);
    await gates.gate(gate);
  }

  /**
   * A step's activities, each of which first looks for a reset: a reset point can fall between two activities of one
   * step (its `before` read and its action, or two calls of the action), and none may act after a reset until people
   * decided again. Throws the reset refusal, which `step` answers by reopening the last passed gate.
   */
  guard<Activities extends object>(spec: StepSpec, activities: Activities): Activities {
    if (!this.watching || isGateLookup(spec)) return activities;
    return new Proxy(activities, {
      get: (target, name, receiver) => {
        const call = Reflect.get(target, name, receiver) as unknown;
        if (typeof call !== 'function') return call;
        return (...args: unknown[]) => {
          this.check();
          if (this.pending) {
            throw ApplicationFailure.nonRetryable(
              `Temporal reset this run before step ${spec.name} acted again; it waits for fresh approvals`,
              ErrorType.ResetRefused,
            );
          }
          return (call as (...a: unknown[]) => unknown)(...args);
        };
      },
    });
  }

  /**
   * A reset keeps the history before its point, approvals included, and runs the procedure again from there. None of
   * those approvals may move anything now: the open gate loses its votes, and before the next step acts the run asks
   * again for the last gate people passed. A run reset before anyone approved anything ends without acting again.
   */
  private notice(runId: string): void {
    const { gates, record } = this.run;
    const { status } = record;
    this.noticed.add(runId);
    const stepsRun = status.steps.filter((s) => s.status === 'succeeded' && s.kind === 'step' && !isGateLookup(s)).map((s) => s.name);
    let votesVoided = 0;
    for (const gate of status.gates) {
      if (gate.status !== 'open') continue;
      votesVoided += gate.votes.length;
      gate.votes = [];
    }
    this.pending = true;
    this.resetAtMs = Date.now();
    const next = gates.lastPassed
      ? `gate ${gates.lastPassed.name} opens again and waits for fresh signatures before the next step`
      : gates.open
        ? `gate ${gates.open.name} waits for fresh signatures`
        : 'no approval was given before the reset, so the run acts no more; start a new run';
    status.reset = { at: record.now(), stepsRun, votesVoided, next };
    record.audit(
      SYSTEM,
      'reset',
      `Temporal reset this run; decisions made before the reset no longer count (${votesVoided} open votes dropped); steps already run: ${stepsRun.join(', ') || 'none'}; ${next}`,
    );
  }
}
