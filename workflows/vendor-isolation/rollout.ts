import { ApplicationFailure } from '@temporalio/workflow';
import { msToNumber } from '@temporalio/common/lib/time';
import type { VendorIsolationActivities, WaveOutcome, WaveRange } from '../../activities/vendor-isolation';
import type { IsolateVendorModuleInput } from '../../runbooks/isolate-vendor-module';
import type { RunbookRun, StepSpec } from '../../kit';
import type { HandsOnQueue } from './hands-on-queue';

/** One wave as status shows it: counts only, never the hosts (the hands-on list carries the few that matter). */
export interface WaveProgress {
  name: string;
  hosts: number;
  status: 'planned' | 'running' | 'done' | 'over-threshold' | 'failed-hosts-skipped';
  fixed?: number;
  handsOn?: number;
  failed?: number;
  batches?: number;
  /** Where a retried activity picked up after a worker died. */
  resumedAtPosition?: number;
}

/** Thrown (inside the wave's step) when too many hosts of a wave fail remotely: the kit then asks an operator. */
export const WaveOverThreshold = 'WaveOverThreshold';

/** What a wave's step calls. */
type WaveActivities = Pick<VendorIsolationActivities, 'repairWave'>;

/**
 * The waves of a run. Each wave is one heartbeating activity with Temporal's own retries (the wave steps' `activityRetry`
 * in the runbook, which the plan shows), so a worker that dies mid-wave is replaced and the activity resumes from its last
 * heartbeat on the same request ids (nothing is done twice).
 */
export class Rollout {
  readonly progress: WaveProgress[];
  /** [time in ms, hosts back to healthy], from every wave, for the recovery milestones. */
  readonly recoveries: [number, number][] = [];
  fixedRemotely = 0;

  constructor(
    private readonly run: Pick<RunbookRun<WaveActivities>, 'step' | 'report' | 'audit'>,
    private readonly input: IsolateVendorModuleInput,
    private readonly queue: HandsOnQueue,
    plan: WaveRange[],
  ) {
    this.progress = plan.map((w) => ({ name: w.name, hosts: w.hosts, status: 'planned' }));
    this.publish();
  }

  /**
   * Runs one wave as a step. Over the failure threshold it stops and the operator chooses: retry the wave, skip its
   * failed hosts (they join the hands-on queue), or abort. Hands-on hosts never count as failures: they are expected.
   */
  async runWave(spec: StepSpec, wave: WaveRange): Promise<WaveProgress> {
    const row = this.progress.find((p) => p.name === wave.name)!;
    let last: WaveOutcome | undefined;
    const outcome = await this.run.step(
      { ...spec, name: wave.name, title: `Fix ${wave.name}: ${wave.hosts} affected host(s): quarantine, roll back, reboot, verify`, skippable: true },
      async (a) => {
        row.status = 'running';
        this.publish();
        last = await a.repairWave({
          scope: this.input.scope,
          badVersion: this.input.badVersion,
          goodVersion: this.input.goodVersion,
          wave,
          concurrency: this.input.waves.concurrency,
          soakMs: msToNumber(this.input.waves.soak as Parameters<typeof msToNumber>[0]),
        });
        this.recoveries.push(...last.recoveries);
        Object.assign(row, counts(wave, last), last.resumedAtPosition !== undefined ? { resumedAtPosition: last.resumedAtPosition } : {});
        if (last.failed.length / Math.max(1, wave.hosts) > this.input.failureThreshold) {
          row.status = 'over-threshold';
          this.publish();
          const sample = last.failed
            .slice(0, 5)
            .map((f) => `${f.host} (${f.reason})`)
            .join(', ');
          throw ApplicationFailure.nonRetryable(
            `${wave.name}: ${last.failed.length} of ${wave.hosts} host(s) failed remotely, over the threshold of ${Math.round(this.input.failureThreshold * 100)}%: ${sample}. Retry the wave, skip its failed hosts (they join the hands-on queue), or abort`,
            WaveOverThreshold,
          );
        }
        return last;
      },
    );
    if (outcome) {
      row.status = 'done';
      this.queue.add(outcome.handsOn, wave.name);
      this.queue.add(
        outcome.failed.map((f) => ({ host: f.host, reason: `remote fix failed: ${f.reason}` })),
        wave.name,
      );
    } else {
      row.status = 'failed-hosts-skipped';
      if (last) {
        this.queue.add(last.handsOn, wave.name);
        this.queue.add(
          last.failed.map((f) => ({ host: f.host, reason: `remote fix failed, skipped by the operator: ${f.reason}` })),
          wave.name,
        );
      }
      this.run.audit(
        'lifeboat',
        'wave-skipped',
        `${wave.name}: ${last ? `${last.failed.length} failed host(s) moved to the hands-on queue` : 'no outcome to keep'}`,
      );
    }
    this.fixedRemotely += row.fixed ?? 0;
    this.publish();
    return row;
  }

  private publish(): void {
    this.run.report('waves', this.progress);
  }
}

function counts(wave: WaveRange, outcome: WaveOutcome): Pick<WaveProgress, 'fixed' | 'handsOn' | 'failed' | 'batches'> {
  return { fixed: Math.max(0, wave.hosts - outcome.stillBroken), handsOn: outcome.handsOn.length, failed: outcome.failed.length, batches: outcome.batches };
}

/** The canary's result in one line, for the gate's title (and so for its notification and status). */
export function describeWave(row: WaveProgress): string {
  return `${row.name} fixed ${row.fixed ?? 0} of ${row.hosts} remotely, ${row.handsOn ?? 0} need hands-on repair, ${row.failed ?? 0} failed`;
}
