import { readFile } from 'node:fs/promises';
import { WorkflowExecutionAlreadyStartedError, type Client, type UpdateDefinition } from '@temporalio/client';
import { z } from 'zod';
import { drillSchedules } from '../drill-schedules';
import { runbooks } from '../../runbooks';
import { resolveUpdate, resumeUpdate } from '../../workflows/manual-booking-messages';
import { taskUpdate } from '../../workflows/vendor-isolation/messages';
import { approveUpdate, interveneUpdate, rejectUpdate, runIdFor, type RunStatus } from '../../kit';
import { canonicalJson, DecisionKind, digestOf, planOf, readinessTargetOf, Roster, SignedDecision, Statement } from '../../kit/trust';
import { findRunbook } from '../catalog';
import { drillHistory } from '../commands/drill';
import { drillFrom } from '../commands/run';
import { openGateOf } from '../decide';
import { CliError, usageError } from '../errors';
import { parseRunbookInput } from '../input';
import { renderPlan } from '../render';
import { drillHistorySvg } from '../report/history-chart';
import { ganttSvg } from '../report/gantt-svg';
import { reportHtml } from '../report/html';
import { buildReport } from '../report/model';
import { planGanttSvg } from '../report/plan-gantt';
import { planReportHtml } from '../report/plan-html';
import { plannedMembers, readMemberStatuses } from '../report/plan-members';
import { buildPlanReport, isPlanRun, type PlanReport } from '../report/plan-model';
import { readinessBefore } from '../readiness-at';
import { shownSummary, stateClause, type ShownStatus } from '../run-outcome';
import { detectedAtOfRun, explain, runHandle, runSummary } from '../runs';
import { readShownStatus } from '../shown-status';
import { newStatement } from '../signing';
import { startRun } from '../start-run';
import { hostLists } from '../task-hosts';

/** The update each kind of signed decision is relayed as, the one the CLI sends; `start` goes through `submitStart`. */
const relayedUpdates: Partial<Record<DecisionKind, UpdateDefinition<unknown, [unknown]>>> = {
  approve: approveUpdate,
  reject: rejectUpdate,
  retry: interveneUpdate,
  skip: interveneUpdate,
  abort: interveneUpdate,
  cancel: interveneUpdate,
  resume: resumeUpdate,
  resolve: resolveUpdate,
  task: taskUpdate,
};

/** What the console needs to read runs and relay decisions; it holds no key of anyone's. */
export interface ConsoleApiOptions {
  client: Client;
  namespace: string;
  taskQueue: string;
  /** The roster file, read (never written) for the names and passkey credential ids the pages offer. */
  rosterPath?: string;
  /** The WebAuthn relying party id passkeys are made for and used on. */
  rpId: string;
  /** Temporal's Web UI, for links; undefined hides them. */
  temporalUiUrl?: string;
  /** Offer drill schedule pause, resume and trigger (unsigned Temporal Schedule calls). */
  drillControls: boolean;
}

const keyword = /^[A-Za-z0-9._/-]{1,200}$/;
const RunFilters = z.object({
  runbook: z.string().regex(keyword).optional(),
  target: z.string().regex(keyword).optional(),
  state: z.string().regex(keyword).optional(),
  drill: z.enum(['real', 'isolated', 'live', 'any']).optional(),
});
export type RunFilters = z.infer<typeof RunFilters>;

/** A decision the page asks to sign: what it is, who signs, and the words that go with it. */
export const DecisionRequest = z.strictObject({
  kind: z.enum(['approve', 'reject', 'retry', 'skip', 'abort', 'cancel', 'resume', 'resolve']),
  by: z.string().min(1).max(64),
  comment: z.string().max(2000).optional(),
  gate: z.string().max(128).optional(),
  /** For `resolve`: one conflict and what to keep, as `lifeboat resolve RUN c1 --keep database` sends them. */
  conflict: z.string().max(32).optional(),
  decision: z.enum(['keep-database', 'keep-ledger', 'keep-both', 'discard']).optional(),
  /** For `resolve`: the earliest-wins rule over every open conflict it decides (`lifeboat resolve RUN --rule earliest-wins`). */
  rule: z.literal('earliest-wins').optional(),
});
export type DecisionRequest = z.infer<typeof DecisionRequest>;

/** Hands-on hosts to mark repaired or waive, as a field team ticks them on the page; `reason` is required to waive. */
export const TaskRequest = z.strictObject({
  action: z.enum(['done', 'waive']),
  hosts: z
    .array(z.string().regex(/^[^\s,]{1,128}$/, 'a host name: 1 to 128 characters, no spaces or commas'))
    .min(1, 'tick at least one host')
    .max(1000, 'at most 1000 hosts at once; close the rest in a second go'),
  by: z.string().min(1).max(64),
  reason: z.string().max(2000).optional(),
});
export type TaskRequest = z.infer<typeof TaskRequest>;

export const SignedSubmission = z.strictObject({ kind: DecisionKind, statement: SignedDecision.shape.statement, signature: SignedDecision.shape.signature });

export const StartRequest = z.strictObject({
  runbook: z.string().max(64),
  input: z.record(z.string().max(64), z.unknown()),
  by: z.string().min(1).max(64),
  drill: z.enum(['isolated', 'live']).optional(),
  drillApprovals: z.enum(['policy', 'people']).optional(),
});
export type StartRequest = z.infer<typeof StartRequest>;

/** A statement for the browser to sign: its exact text, the passkeys that may sign it and the site they belong to. */
export interface PreparedStatement {
  statement: string;
  digest: string;
  rpId: string;
  credentialIds: string[];
}

/**
 * The console's reads and relays. Statements are built here as the CLI builds them, and the page signs them in the
 * browser; what comes back is sent to the run unchanged, which verifies it. Nothing here can sign.
 */
export class ConsoleApi {
  /** Where the console is reached, once it listens; starts from here link back to it from Temporal's Web UI. */
  consoleUrl: string | undefined;

  constructor(readonly options: ConsoleApiOptions) {}

  private get client(): Client {
    return this.options.client;
  }

  async config() {
    const roster = await this.roster();
    return {
      namespace: this.options.namespace,
      rpId: this.options.rpId,
      temporalUiUrl: this.options.temporalUiUrl ?? null,
      drillControls: this.options.drillControls,
      rosterFile: this.options.rosterPath ?? null,
      people: (roster?.people ?? []).map((p) => ({
        id: p.id,
        name: p.name,
        groups: p.groups,
        passkeys: (p.passkeys ?? []).filter((k) => k.rpId === this.options.rpId).length,
      })),
      runbooks: Object.values(runbooks).map((r) => ({ id: r.id, title: r.title })),
    };
  }

  async runs(rawFilters: Record<string, string | undefined>) {
    const parsed = RunFilters.safeParse(rawFilters);
    if (!parsed.success) throw usageError(`bad filter: ${parsed.error.issues[0]?.path.join('.')}`, 'filter by plain names such as booking');
    const f = parsed.data;
    const clauses = ['LifeboatRunbook IS NOT NULL'];
    if (f.runbook) clauses.push(`LifeboatRunbook = '${f.runbook}'`);
    if (f.target) clauses.push(`LifeboatTarget = '${f.target}'`);
    if (f.state) clauses.push(stateClause(f.state));
    if (f.drill === 'real') clauses.push('LifeboatDrill IS NULL');
    else if (f.drill === 'isolated' || f.drill === 'live') clauses.push(`LifeboatDrill = '${f.drill}'`);
    const out: Record<string, string>[] = [];
    for await (const wf of this.client.workflow.list({ query: clauses.join(' AND ') })) {
      out.push({ ...shownSummary(runSummary(wf)), temporalRunId: wf.runId });
      if (out.length >= 50) break;
    }
    return out;
  }

  /** The run's status, or Temporal's word when Temporal ended it (terminated, timed out) and the run never said so. */
  async status(runId: string): Promise<ShownStatus> {
    return readShownStatus(this.client, runId, this.options.taskQueue);
  }

  /** The status of a run that can still take a decision: one Temporal ended is refused, naming how it ended. */
  private async liveStatus(runId: string): Promise<RunStatus> {
    const status = await this.status(runId);
    const ended = status.endedByTemporal;
    if (ended)
      throw new CliError(`${runId} was ${ended.how} by Temporal; it takes no decisions`, {
        code: 'finished',
        suggestion: `see what to do next with lifeboat status ${runId}`,
      });
    return status as RunStatus;
  }

  /**
   * The status with what the page shows beside it: the report's objectives, approvals and path, and links; for a plan's
   * run, its members across services as the plan's report shows them (each read from its own run).
   */
  async run(runId: string) {
    const status = await this.status(runId);
    const report = buildReport(status);
    const ui = this.options.temporalUiUrl;
    return {
      status,
      ...(isPlanRun(status) ? { plan: await this.planReport(status) } : {}),
      report: {
        objectives: report.objectives,
        approvals: report.approvals,
        interventions: report.interventions,
        path: report.path,
        totals: report.totals,
        measurements: report.measurements,
      },
      links: {
        report: `/api/report.html?run=${encodeURIComponent(runId)}`,
        timeline: `/api/timeline.svg?run=${encodeURIComponent(runId)}`,
        ...(ui ? { temporal: temporalUiLink(ui, this.options.namespace, runId, status.trust?.temporalRunId) } : {}),
      },
    };
  }

  async timelineSvg(runId: string): Promise<string> {
    const status = await this.status(runId);
    if (isPlanRun(status)) return planGanttSvg(await this.planReport(status), { width: 900 });
    const report = buildReport(status);
    return ganttSvg(report.timeline, { path: report.path, width: 900 });
  }

  async reportHtml(runId: string): Promise<string> {
    const status = await this.status(runId);
    if (isPlanRun(status)) return planReportHtml(await this.planReport(status));
    const detectedAt = await detectedAtOfRun(this.client, runId);
    const readiness = await readinessBefore(this.client, status.runbook, status.target, status.startedAt).catch(() => undefined);
    return reportHtml(buildReport(status, { ...(readiness ? { readinessBeforeRun: readiness } : {}), ...(detectedAt ? { detectedAt } : {}) }));
  }

  /** A plan run's report: its members' own statuses are read by their run IDs, as `lifeboat report` reads them. */
  private async planReport(status: ShownStatus): Promise<PlanReport> {
    const [members, planned] = await Promise.all([readMemberStatuses(this.client, status, this.options.taskQueue), plannedMembers(this.client, status)]);
    return buildPlanReport(status, members, planned);
  }

  /** Builds the statement of a decision on a run as `lifeboat approve` (and the rest) would, for the browser to sign. */
  async prepareDecision(runId: string, raw: unknown): Promise<PreparedStatement> {
    const parsed = DecisionRequest.safeParse(raw);
    if (!parsed.success) throw usageError(`bad decision: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`);
    const request = parsed.data;
    const status = await this.liveStatus(runId);
    if (!status.trust) throw new CliError(`${runId} predates signed decisions; decide it with the lifeboat CLI`, { code: 'refused' });
    const { namespace, temporalRunId, inputDigest } = status.trust;
    const text = request.comment?.trim() ? request.comment.trim() : undefined;
    const body: Statement['body'] =
      request.kind === 'approve' || request.kind === 'reject'
        ? { gate: openGateOf(status, request.gate), ...(text ? { comment: text } : {}) }
        : request.kind === 'resume'
          ? { ...(text ? { comment: text } : {}) }
          : request.kind === 'resolve'
            ? resolveBody(request, text)
            : {
                ...(request.kind === 'retry' || request.kind === 'skip' ? { step: status.intervention?.step ?? status.currentStep ?? '' } : {}),
                ...(text ? { reason: text } : {}),
              };
    const statement = newStatement(request.kind, { namespace, workflowId: runId, runId: temporalRunId, inputDigest }, normalise(request.by), body);
    return this.prepared(statement);
  }

  /**
   * Builds the statements that close hands-on hosts, as `lifeboat task done|waive --hosts-file` does: one per list that
   * fits a signed decision (about 150 kiosk names), each counting for all its hosts or none. The page signs and sends
   * them in order and stops at the first refusal.
   */
  async prepareTask(runId: string, raw: unknown): Promise<{ statements: PreparedStatement[]; lists: string[][] }> {
    const parsed = TaskRequest.safeParse(raw);
    if (!parsed.success) throw usageError(`bad task decision: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`);
    const { action, by, hosts } = parsed.data;
    const reason = parsed.data.reason?.trim() || undefined;
    if (action === 'waive' && !reason) throw usageError('a waiver needs a reason', 'write why in the reason box (it goes into the audit trail), then waive');
    const status = await this.liveStatus(runId);
    if (!status.trust) throw new CliError(`${runId} predates signed decisions; close its hosts with lifeboat task`, { code: 'refused' });
    if (status.details.handsOn === undefined) throw new CliError(`${runId} has no hands-on checklist`, { code: 'refused' });
    const { namespace, temporalRunId, inputDigest } = status.trust;
    const lists = hostLists([...new Set(hosts)]);
    const statements: PreparedStatement[] = [];
    for (const list of lists) {
      const body = { action, hosts: list.join(','), ...(reason ? { reason } : {}) };
      statements.push(await this.prepared(newStatement('task', { namespace, workflowId: runId, runId: temporalRunId, inputDigest }, normalise(by), body)));
    }
    return { statements, lists };
  }

  /** Relays a signed decision to the run as the CLI does (an update), so the answer, receipt or refusal, comes back. */
  async submitDecision(runId: string, raw: unknown) {
    const parsed = SignedSubmission.safeParse(raw);
    if (!parsed.success) throw usageError(`bad signed decision: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`);
    const { kind, statement, signature } = parsed.data;
    const update = relayedUpdates[kind];
    if (!update) throw usageError(`the console relays approve, reject, retry, skip, abort, cancel, resume, resolve and task, not ${kind}`);
    try {
      return await runHandle(this.client, runId).executeUpdate(update, { args: [{ statement, signature }] });
    } catch (err) {
      throw explain(err, runId, this.options.taskQueue);
    }
  }

  async runbook(id: string) {
    const runbook = findRunbook(id);
    return {
      id: runbook.id,
      title: runbook.title,
      description: runbook.description,
      schema: z.toJSONSchema(runbook.input, { io: 'input', unrepresentable: 'any' }),
      plan: planOf(runbook),
      planText: renderPlan(runbook),
    };
  }

  /** Checks a start as `lifeboat run` does (same schema, same messages) and builds its statement with the plan. */
  async prepareStart(raw: unknown) {
    const request = parseStart(raw);
    const runbook = findRunbook(request.runbook);
    const input = parseRunbookInput(runbook, request.input);
    const drill = drillFrom(request.drill, request.drillApprovals);
    const target = runbook.target(input);
    const runId = runIdFor(runbook.id, target);
    const statement = newStatement(
      'start',
      { namespace: this.options.namespace, workflowId: runId, runId: '', inputDigest: digestOf(request.input) },
      normalise(request.by),
      {
        runbook: runbook.id,
        drill: drill?.kind ?? 'none',
      },
    );
    return { runId, target, input, plan: renderPlan(runbook, drill?.kind), ...(await this.prepared(statement)) };
  }

  async submitStart(raw: unknown) {
    const body = z.object({ request: z.unknown(), statement: z.string().max(6_000), signature: z.string().max(4_000) }).safeParse(raw);
    if (!body.success) throw usageError('bad start: send the request, the statement and its signature');
    const request = parseStart(body.data.request);
    const runbook = findRunbook(request.runbook);
    const input = parseRunbookInput(runbook, request.input);
    const drill = drillFrom(request.drill, request.drillApprovals);
    const target = runbook.target(input);
    const runId = runIdFor(runbook.id, target);
    try {
      await startRun(this.client, {
        runbook,
        runId,
        target,
        taskQueue: this.options.taskQueue,
        input: request.input,
        requestedBy: normalise(request.by),
        start: { statement: body.data.statement, signature: body.data.signature },
        ...(drill ? { drill } : {}),
        ...(this.consoleUrl ? { consoleUrl: this.consoleUrl } : {}),
      });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError)
        throw new CliError(`${runId} is already running; one run per runbook and target at a time`, { code: 'already-running' });
      throw err;
    }
    return { runId };
  }

  async drills() {
    const schedules = await drillSchedules(this.client);
    return { schedules, controls: this.options.drillControls };
  }

  async drillHistory(runbookId: string) {
    const runbook = findRunbook(runbookId);
    const entries = await drillHistory(this.client, runbook.id, 20);
    return { runbook: runbook.id, entries };
  }

  async drillHistorySvg(runbookId: string): Promise<string> {
    const { entries } = await this.drillHistory(runbookId);
    return drillHistorySvg(entries, 800);
  }

  /** The readiness board: each runbook's latest scheduled evaluation on its usual target (what `lifeboat readiness history` reads). */
  async readiness() {
    const now = new Date().toISOString();
    return Promise.all(
      Object.values(runbooks).map(async (r) => {
        const target = readinessTargetOf(r);
        const at = await readinessBefore(this.client, r.id, target, now).catch(() => undefined);
        const e = at?.evaluation;
        return {
          runbook: r.id,
          target,
          scheduleId: at?.scheduleId ?? null,
          ready: e ? e.ready : null,
          checkedAt: e?.checkedAt ?? null,
          failing: (e?.checks ?? []).filter((c) => !c.ready).map((c) => ({ name: c.name, reason: c.reason, fix: c.fix })),
          summary: at?.summary ?? 'could not read the readiness history',
        };
      }),
    );
  }

  async controlSchedule(scheduleId: string, action: string) {
    if (!this.options.drillControls)
      throw new CliError('this console does not control drill schedules', {
        code: 'refused',
        suggestion: 'start it with --drill-controls, or use lifeboat drill pause|resume|trigger',
      });
    if (!scheduleId.startsWith('drill/') || !keyword.test(scheduleId)) throw usageError('only drill schedules (drill/...) can be controlled here');
    const handle = this.client.schedule.getHandle(scheduleId);
    if (action === 'pause') await handle.pause('paused from the lifeboat console');
    else if (action === 'resume') await handle.unpause('resumed from the lifeboat console');
    else if (action === 'trigger') await handle.trigger();
    else throw usageError(`unknown schedule action ${action}`, 'pause, resume or trigger');
    return { scheduleId, done: action };
  }

  private async prepared(statement: Statement): Promise<PreparedStatement> {
    const roster = await this.roster();
    const person = roster?.people.find((p) => p.id === statement.by);
    return {
      statement: `${canonicalJson(statement)}\n`,
      digest: digestOf(statement),
      rpId: this.options.rpId,
      credentialIds: (person?.passkeys ?? []).filter((k) => k.rpId === this.options.rpId).map((k) => k.credentialId),
    };
  }

  private rosterCache: { text: string; roster: Roster | undefined } | undefined;

  /** The roster as the file says now; parsing it checks every passkey's enrolment, so a file read unchanged is not parsed again. */
  private async roster(): Promise<Roster | undefined> {
    if (!this.options.rosterPath) return undefined;
    let text: string;
    try {
      text = await readFile(this.options.rosterPath, 'utf8');
    } catch {
      return undefined;
    }
    if (this.rosterCache?.text !== text) {
      let roster: Roster | undefined;
      try {
        const parsed = Roster.safeParse(JSON.parse(text));
        roster = parsed.success ? parsed.data : undefined;
      } catch {
        roster = undefined;
      }
      this.rosterCache = { text, roster };
    }
    return this.rosterCache.roster;
  }
}

/**
 * The run in Temporal's Web UI: its history when Temporal's run ID is known (the first of a carried-over chain), else
 * the workflow list filtered to its workflow ID.
 */
function temporalUiLink(ui: string, namespace: string, workflowId: string, temporalRunId: string | undefined): string {
  const base = `${ui}/namespaces/${encodeURIComponent(namespace)}/workflows`;
  if (temporalRunId) return `${base}/${encodeURIComponent(workflowId)}/${encodeURIComponent(temporalRunId)}/history`;
  return `${base}?query=${encodeURIComponent(`WorkflowId="${workflowId.replace(/["\\]/g, '')}"`)}`;
}

function parseStart(raw: unknown): StartRequest {
  const parsed = StartRequest.safeParse(raw);
  if (!parsed.success) throw usageError(`bad start: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

/** A reconciliation decision's body, as `lifeboat resolve` builds it: one conflict and a decision, or the rule. */
function resolveBody(request: DecisionRequest, comment: string | undefined): Statement['body'] {
  if ((request.decision === undefined) === (request.rule === undefined))
    throw usageError('a resolve needs a decision for one conflict, or the earliest-wins rule', 'tap a decision beside a conflict, or "Earliest wins"');
  if (request.decision !== undefined && !request.conflict) throw usageError('a decision needs the conflict id, such as c1');
  return {
    ...(request.conflict ? { conflict: request.conflict } : {}),
    ...(request.decision ? { decision: request.decision } : {}),
    ...(request.rule ? { rule: request.rule } : {}),
    ...(comment ? { comment } : {}),
  };
}

function normalise(id: string): string {
  return id.normalize('NFKC').trim().toLowerCase();
}
