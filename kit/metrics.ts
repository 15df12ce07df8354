import { metricMeter } from '@temporalio/workflow';
import type { ReadinessEvaluation } from './readiness';
import type { RunState } from './status';

/**
 * What a run counts as it goes, through the SDK's workflow meter: the worker exports it on the same Prometheus
 * endpoint as the SDK's own metrics (with `namespace`, `task_queue` and `workflow_type` labels added). The meter
 * records nothing while a run replays and adds nothing to its history, so old histories replay unchanged. These are
 * events (counters and a histogram); how many runs are in each state now comes from visibility (lib/run-metrics.ts),
 * which a worker restart cannot reset. Names and labels are listed in docs/observability.md.
 */
export class RunMetrics {
  constructor(private readonly runbook: string) {}

  /** `lifeboat_run_transitions_total{runbook,state}`: a run entered `state` (a start counts as entering `running`). */
  entered(state: RunState): void {
    metricMeter.createCounter('lifeboat_run_transitions_total', 'runs', 'Runs entering each state, by runbook').add(1, { runbook: this.runbook, state });
  }

  /** `lifeboat_gate_wait_seconds{runbook,gate,outcome}`: how long a gate waited for people, recorded when it closes. */
  gateClosed(gate: string, outcome: string, waitedMs: number): void {
    metricMeter
      .createHistogram('lifeboat_gate_wait_seconds', 'float', 's', 'How long approval gates waited for people, by outcome')
      .record(Math.max(0, waitedMs) / 1000, { runbook: this.runbook, gate, outcome });
  }

  /** `lifeboat_gate_escalations_total{runbook,gate}`: a gate waited past its escalation time (first and every later one). */
  gateEscalated(gate: string): void {
    metricMeter.createCounter('lifeboat_gate_escalations_total', 'escalations', 'Gates that waited past an escalation').add(1, { runbook: this.runbook, gate });
  }

  /** `lifeboat_step_failures_total{runbook,step}`: one failed attempt of a step (or of an undo, `undo:<step>`). */
  stepFailed(step: string): void {
    metricMeter.createCounter('lifeboat_step_failures_total', 'attempts', 'Failed step attempts').add(1, { runbook: this.runbook, step });
  }

  /** `lifeboat_step_retries_total{runbook,step,by}`: a step tried again, by the kit's retry policy or by an operator. */
  stepRetried(step: string, by: 'kit' | 'operator'): void {
    metricMeter.createCounter('lifeboat_step_retries_total', 'attempts', 'Steps tried again').add(1, { runbook: this.runbook, step, by });
  }

  /** `lifeboat_interventions_total{runbook,step}`: a step (or undo) stopped to wait for an operator. */
  interventionOpened(step: string): void {
    metricMeter.createCounter('lifeboat_interventions_total', 'interventions', 'Steps that stopped for an operator').add(1, { runbook: this.runbook, step });
  }
}

/**
 * `lifeboat_readiness_evaluations_total{runbook,target,ready}`: a scheduled readiness evaluation finished (`ready` is
 * `"true"` or `"false"`). An event, counted by the worker that ran it. Whether the runbook is ready now, and how old
 * that answer is, are gauges every worker reads from the schedule's latest evaluation (lib/readiness-metrics.ts): a
 * gauge set here would stay on this worker, saying "ready" after a later evaluation on another worker said not.
 */
export function recordReadiness(evaluation: ReadinessEvaluation): void {
  metricMeter
    .createCounter('lifeboat_readiness_evaluations_total', 'evaluations', 'Scheduled readiness evaluations, by result')
    .add(1, { runbook: evaluation.runbook, target: evaluation.target, ready: String(evaluation.ready) });
}
