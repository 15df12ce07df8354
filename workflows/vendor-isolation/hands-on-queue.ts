import { ApplicationFailure, condition, proxyActivities, setHandler } from '@temporalio/workflow';
import type { FleetActivities } from '../../activities/fleet';
import { DecisionRefusal, ErrorType, type RunbookRun, terminalStates } from '../../kit';
import { proofOf, type VerifiedDecision } from '../../kit/trust';
import {
  HandsOnPageRequest,
  handsOnQuery,
  hostsOf,
  TaskDecision,
  taskSignal,
  taskUpdate,
  type HandsOnPage,
  type HandsOnTaskView,
  type TaskReceipt,
} from './messages';

/** One item of the checklist: a host that a person has to repair, or waive; `wave` is the wave that found it. */
export type HandsOnTask = HandsOnTaskView;

/** Escalations go out when these shares of the time until the deadline have passed. */
const ESCALATE_AT = [0.5, 0.75, 0.9];

/**
 * Status lists at most this many checklist items, open ones first, while its counts cover every item: on a
 * 100,000-host fleet the whole list (over 5,000 hosts) is larger than Temporal's 512 KiB payload limit here, which
 * refused every status query and would fail the run's completion (its result carries the status details).
 */
export const STATUS_TASKS = 500;

/**
 * Repairs reported one host at a time are recorded together after this long: one `markRepaired` per window instead
 * of one per host. On a 100,000-host fleet (about 5,000 hands-on hosts) one activity per repair took 45,000 of
 * Temporal's 51,200 history events.
 */
const RECORD_WINDOW_MS = 2_000;

/**
 * Repairs are recorded whenever they arrive, across the hands-on wait and the verification, so this belongs to no one
 * step of the plan: it has its own retries.
 */
const fleet = proxyActivities<Pick<FleetActivities, 'markRepaired'>>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 5, initialInterval: '1 second' },
});

/**
 * The hands-on checklist of a run. Only the hosts that need a person are kept (never the whole fleet), so the history
 * stays bounded. Operators close items by signal or update at any time until the run ends; a `done` is recorded in
 * the fleet console (`markRepaired`) by the run, so the console knows who repaired what.
 */
export class HandsOnQueue {
  private readonly tasks = new Map<string, HandsOnTask>();
  private readonly toRecord: HandsOnTask[] = [];
  /** [time in ms, hosts] brought back by hand, for the recovery milestones. */
  readonly repairs: [number, number][] = [];
  escalations = 0;

  constructor(
    private readonly run: Pick<RunbookRun<unknown>, 'status' | 'audit' | 'report' | 'notify' | 'accept' | 'consume' | 'requireRole' | 'asSignal'>,
    readonly deadlineAt: number,
  ) {}

  register(): void {
    setHandler(taskSignal, (raw) => this.run.asSignal('task', raw, () => this.decide(this.taskDecision(raw))));
    setHandler(taskUpdate, (raw) => this.decide(this.taskDecision(raw)), {
      validator: (raw) => {
        const refusal = this.refusalOf(this.taskDecision(raw));
        if (refusal) throw ApplicationFailure.nonRetryable(refusal, ErrorType.DecisionRefused);
      },
    });
    setHandler(handsOnQuery, (request) => this.page(request));
    this.publish();
  }

  /** Any page of the checklist, for lists longer than status carries. */
  page(raw: unknown): HandsOnPage {
    const parsed = HandsOnPageRequest.safeParse(raw ?? {});
    if (!parsed.success) throw new Error(`hands-on page: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'request'}: ${i.message}`).join('; ')}`);
    const { status, offset, limit } = parsed.data;
    const tasks = this.ordered().filter((t) => !status || t.status === status);
    return { total: tasks.length, offset, tasks: tasks.slice(offset, offset + limit) };
  }

  add(tasks: { host: string; reason: string }[], wave: string): void {
    for (const t of tasks) if (!this.tasks.has(t.host)) this.tasks.set(t.host, { ...t, wave, status: 'open' });
    this.publish();
  }

  get open(): number {
    return [...this.tasks.values()].filter((t) => t.status === 'open').length;
  }

  list(): HandsOnTask[] {
    return [...this.tasks.values()];
  }

  /** Open items first, then closed ones, each in the order they were found. */
  private ordered(): HandsOnTask[] {
    const tasks = this.list();
    return [...tasks.filter((t) => t.status === 'open'), ...tasks.filter((t) => t.status !== 'open')];
  }

  waived(): HandsOnTask[] {
    return this.list().filter((t) => t.status === 'waived');
  }

  /**
   * Waits until every item is done or waived, escalating as the deadline nears. At the deadline it stops waiting;
   * the verification that follows then names the hosts still open, and operators can still close them.
   */
  async settle(): Promise<void> {
    const startedAt = Date.now();
    const window = Math.max(0, this.deadlineAt - startedAt);
    const marks = ESCALATE_AT.map((f) => startedAt + f * window);
    for (;;) {
      await this.recordRepairs();
      if (this.open === 0 || this.run.status.abortRequested) return;
      const now = Date.now();
      if (now >= this.deadlineAt) {
        this.run.audit('lifeboat', 'hands-on-deadline', `${this.open} host(s) still open at the deadline`);
        await this.tell(`Hands-on deadline passed with ${this.open} host(s) open`);
        return;
      }
      const next = marks.find((m) => m > now) ?? this.deadlineAt;
      const woke = await condition(() => this.toRecord.length > 0 || this.open === 0 || this.run.status.abortRequested !== undefined, Math.max(1, next - now));
      if (woke && this.toRecord.length > 0 && this.open > 0) {
        await condition(
          () => this.open === 0 || this.run.status.abortRequested !== undefined,
          Math.min(RECORD_WINDOW_MS, Math.max(1, this.deadlineAt - Date.now())),
        );
      }
      if (!woke && Date.now() < this.deadlineAt) {
        this.escalations++;
        this.run.audit('lifeboat', 'hands-on-escalated', `escalation ${this.escalations}: ${this.open} host(s) open`);
        await this.tell(`Hands-on repairs: ${this.open} host(s) still open; deadline ${new Date(this.deadlineAt).toISOString()}`);
      }
    }
  }

  /**
   * Isolated drills whose gates the policy approves close their scratch hosts' items themselves, audited as the
   * drill's policy, so a scheduled drill finishes unattended. Never used on real runs: there a person's hands are needed.
   */
  closeByDrillPolicy(): void {
    for (const task of this.list()) {
      if (task.status === 'open')
        this.decide({ action: 'done', host: task.host, by: 'drill-policy', reason: 'scratch host of an isolated drill: closed by the drill policy' });
    }
  }

  /** Records the `done`s in the fleet console, one call per person, so a busy hour of repairs stays a few activities. */
  async recordRepairs(): Promise<void> {
    while (this.toRecord.length > 0) {
      const by = this.toRecord[0]!.by!;
      const batch = this.toRecord.filter((t) => t.by === by);
      const r = await fleet.markRepaired({ hostIds: batch.map((t) => t.host), by });
      const back = r.results.filter((x) => x.outcome === 'applied' && x.health === 'healthy').length;
      if (back > 0) this.repairs.push([Date.now(), back]);
      for (const t of batch) this.toRecord.splice(this.toRecord.indexOf(t), 1);
    }
  }

  /** A task decision as its message carries it: signed, verified and within the sender's role. */
  private taskDecision(raw: unknown): TaskDecision & { verified?: VerifiedDecision } {
    const verified = this.run.accept(['task'], raw);
    this.run.requireRole('task', verified.by);
    return { ...TaskDecision.parse({ ...verified.body, by: verified.by }), verified };
  }

  private decide(decision: TaskDecision & { verified?: VerifiedDecision }): TaskReceipt {
    const refusal = this.refusalOf(decision);
    if (refusal) throw new DecisionRefusal(refusal, decision.by);
    const proof = decision.verified && proofOf(decision.verified);
    if (decision.verified) this.run.consume(decision.verified);
    const status = decision.action === 'done' ? 'done' : 'waived';
    const at = new Date(Date.now()).toISOString();
    const hosts = hostsOf(decision);
    for (const host of hosts) {
      const task = this.tasks.get(host)!;
      task.status = status;
      task.by = decision.by;
      task.at = at;
      if (decision.reason) task.comment = decision.reason;
      if (status === 'done') this.toRecord.push(task);
    }
    const detail = hosts.length === 1 ? `host ${hosts[0]}` : `${hosts.length} hosts: ${hosts.join(', ')}`.slice(0, 300);
    this.run.audit(decision.by, decision.action === 'done' ? 'task-done' : 'task-waived', detail, decision.reason, proof);
    this.publish();
    return { host: hosts[0]!, ...(decision.hosts !== undefined ? { hosts } : {}), status, open: this.open };
  }

  /** Why the decision cannot count, if it cannot: a list counts for all of its hosts or for none. */
  private refusalOf(decision: TaskDecision): string | undefined {
    if (terminalStates.includes(this.run.status.state)) return `the run has already finished (${this.run.status.state})`;
    const problems: string[] = [];
    const unknown: string[] = [];
    for (const host of hostsOf(decision)) {
      const task = this.tasks.get(host);
      if (!task) unknown.push(host);
      else if (task.status !== 'open') problems.push(`host ${task.host} was already ${task.status} by ${task.by}`);
    }
    if (unknown.length > 0) {
      const open = this.list()
        .filter((t) => t.status === 'open')
        .map((t) => t.host);
      const named = unknown.length === 1 ? `host ${unknown[0]} is` : `hosts ${unknown.slice(0, 10).join(', ')}${unknown.length > 10 ? ', ...' : ''} are`;
      problems.unshift(`${named} not in the hands-on queue; open: ${open.slice(0, 10).join(', ') || 'none'}${open.length > 10 ? ', ...' : ''}`);
    }
    if (problems.length === 0) return undefined;
    const shown = problems.slice(0, 5).join('; ') + (problems.length > 5 ? `; and ${problems.length - 5} more` : '');
    return decision.hosts !== undefined ? `none of the ${hostsOf(decision).length} hosts was closed: ${shown}` : shown;
  }

  private publish(): void {
    const tasks = this.list();
    const open = tasks.filter((t) => t.status === 'open');
    const listed = tasks.length <= STATUS_TASKS ? tasks : this.ordered().slice(0, STATUS_TASKS);
    this.run.report('handsOn', {
      open: open.length,
      done: tasks.filter((t) => t.status === 'done').length,
      waived: tasks.filter((t) => t.status === 'waived').length,
      deadline: new Date(this.deadlineAt).toISOString(),
      ...(listed.length < tasks.length ? { listed: listed.length } : {}),
      tasks: listed,
    });
  }

  /** Escalates the open items; the kit labels a drill's, and records a delivery that failed. */
  private async tell(title: string): Promise<void> {
    const open = this.list()
      .filter((t) => t.status === 'open')
      .map((t) => t.host);
    await this.run.notify({
      kind: 'escalation',
      title,
      text: `Open: ${open.slice(0, 20).join(', ')}${open.length > 20 ? ', ...' : ''}. Close each with: lifeboat task done|waive ${this.run.status.runId} <host> [--reason "..."]`,
    });
  }
}
