import { randomUUID } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { HttpError, readBody, sameToken } from '../../lib/http-request';
import { signStatement } from '../../lib/ssh-keys';
import { runIdFor, SAFE_TARGET } from '../../kit';
import { digestOf, type ReadinessEvaluation, readinessScheduleId, readinessSummary, statementText } from '../../kit/trust';
import type { Notification } from '../../kit';
import { CliError } from '../errors';
import { parseRunbookInput } from '../input';
import { newStatement } from '../signing';
import { MalformedAlertBody, parseAlertBody, type ReceivedAlert } from './payload';
import { inputFromLabels, labelSources, shownValue } from './label-input';
import { ruleFor, startedBy, type AlertRule, type AlertRules } from './rules';
import { StartBudget, type Trip } from './start-budget';
import { startRun } from '../start-run';

/** What the receiver did with one alert; each is logged and returned in the HTTP answer. */
export type AlertOutcomeKind =
  'started' | 'already-running' | 'anti-flap' | 'rate-limited' | 'pending' | 'not-ready' | 'notified' | 'resolved' | 'no-rule' | 'refused';

export interface AlertOutcome {
  outcome: AlertOutcomeKind;
  alertname: string;
  fingerprint: string;
  rule?: string;
  runId?: string;
  detail: string;
}

/** What the receiver needs: rules, Temporal, and the service principal that signs its starts. */
export interface AlertReceiverOptions {
  rules: AlertRules;
  client: Client;
  taskQueue: string;
  /** The roster id the receiver starts runs as; a person with a key and no groups, so it can never approve. */
  requester: string;
  /** The requester's private key, which signs each start. */
  keyFile: string;
  /** Pages for "notify" rules and for runs that readiness held back. */
  notify: (n: Notification) => Promise<unknown>;
  log: (outcome: AlertOutcome) => void;
  /** Notes about the receiver itself, such as a rate-limit page that could not be sent; stderr by default. */
  say?: (line: string) => void;
}

/**
 * Turns alerts into signed runbook starts, through the rule's guards: label values checked before they can become
 * part of a workflow ID, how long the alert must fire, a minimum delay between starts of a rule on one target
 * (remembered here, and read back from Temporal after a restart), a limit on the rule's starts across targets (with
 * one page when it trips), readiness, and Temporal's own refusal of a second run under one workflow ID. Alerts are
 * handled one at a time.
 */
export class AlertReceiver {
  private readonly lastStarts = new Map<string, number>();
  /** What a readiness-held rule last paged, by rule and run: Alertmanager repeats an alert, the page need not. */
  private readonly notReadyPaged = new Map<string, string>();
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private readonly budget = new StartBudget();
  private readonly tripTimers = new Set<NodeJS.Timeout>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: AlertReceiverOptions) {}

  /** Handles the alerts of one request in order and says what became of each. */
  receive(alerts: ReceivedAlert[]): Promise<AlertOutcome[]> {
    const done = this.queue.then(async () => {
      const outcomes: AlertOutcome[] = [];
      for (const alert of alerts) {
        // A failure to reach Temporal or to sign fails the request, so the sender retries; dedupe makes a retry safe.
        const outcome = await this.handle(alert);
        this.options.log(outcome);
        outcomes.push(outcome);
      }
      // One page per tripped limit, after the whole request, so it counts every alert of a burst sent together.
      await this.pageTrips();
      return outcomes;
    });
    this.queue = done.catch(() => undefined);
    return done;
  }

  /** Cancels the timers of alerts still waiting out their rule's `for`. */
  close(): void {
    for (const timer of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
    for (const timer of this.tripTimers) clearTimeout(timer);
    this.tripTimers.clear();
  }

  private outcome(alert: ReceivedAlert, rule: AlertRule | undefined, outcome: AlertOutcomeKind, detail: string, runId?: string): AlertOutcome {
    const named = { ...(rule ? { rule: rule.name } : {}), ...(runId ? { runId } : {}) };
    return { outcome, alertname: alert.labels.alertname ?? '', fingerprint: alert.fingerprint, ...named, detail };
  }

  private async handle(alert: ReceivedAlert): Promise<AlertOutcome> {
    const rule = ruleFor(this.options.rules, alert.labels);
    if (!rule) return this.outcome(alert, undefined, 'no-rule', 'no rule matches its labels');
    const waitKey = `${rule.name}|${alert.fingerprint}`;
    if (alert.status === 'resolved') {
      clearTimeout(this.pending.get(waitKey));
      this.pending.delete(waitKey);
      return this.outcome(alert, rule, 'resolved', 'resolved alerts start nothing');
    }
    const firingMs = Date.now() - Date.parse(alert.startsAt);
    if (firingMs < rule.for) {
      if (!this.pending.has(waitKey)) {
        const timer = setTimeout(() => {
          this.pending.delete(waitKey);
          // No sender waits on this one to retry it: say so in the log, where the next notification will be seen too.
          this.receive([alert]).catch((err: unknown) => {
            this.options.log(this.outcome(alert, rule, 'refused', `could not act once the alert had fired ${rule.for / 1000}s: ${(err as Error).message}`));
          });
        }, rule.for - firingMs);
        timer.unref();
        this.pending.set(waitKey, timer);
      }
      const wait = `firing for ${Math.round(firingMs / 1000)}s; the rule acts after ${rule.for / 1000}s unless it resolves first`;
      return this.outcome(alert, rule, 'pending', wait);
    }
    if (rule.action === 'notify') return this.page(alert, rule);
    return this.start(alert, rule);
  }

  private async page(alert: ReceivedAlert, rule: AlertRule): Promise<AlertOutcome> {
    const key = `${rule.name}|${alert.fingerprint}`;
    const last = this.lastStarts.get(key);
    if (last !== undefined && Date.now() - last < rule.minInterval) {
      return this.outcome(alert, rule, 'anti-flap', `paged ${Math.round((Date.now() - last) / 1000)}s ago`);
    }
    // A page that could not be delivered fails the request, so Alertmanager sends the alert again and it is retried.
    await this.options.notify({
      kind: 'info',
      runId: '',
      runbook: startedBy(rule)?.id ?? '',
      target: '',
      state: 'running',
      title: `Alert ${alert.labels.alertname ?? ''} firing (rule ${rule.name})`,
      text: `Firing since ${alert.startsAt}; labels ${JSON.stringify(alert.labels)}. This rule only pages: start a runbook by hand if needed.`,
    });
    this.lastStarts.set(key, Date.now());
    return this.outcome(alert, rule, 'notified', 'paged; this rule starts nothing');
  }

  private async start(alert: ReceivedAlert, rule: AlertRule): Promise<AlertOutcome> {
    // A plan starts as the runbook it runs as (plan/<id>), signed, deduped and guarded like any runbook.
    const runbook = startedBy(rule)!;
    const built = inputFromLabels(rule, alert.labels);
    if (!built.ok) return this.outcome(alert, rule, 'refused', built.refusal);
    const raw = built.raw;
    // Detection time goes into the input when the runbook takes it, and into the signed start always.
    const shape = (runbook.input as unknown as { shape?: Record<string, unknown> }).shape ?? {};
    if (Object.hasOwn(shape, 'detectedAt') && raw.detectedAt === undefined) raw.detectedAt = alert.startsAt;
    let target: string;
    try {
      target = runbook.target(parseRunbookInput(runbook, raw));
    } catch (err) {
      if (err instanceof CliError) {
        return this.outcome(
          alert,
          rule,
          'refused',
          `rule ${rule.name}'s input${labelSources(rule)} is not valid for ${runbook.id}; nothing was started: ${err.message}`,
        );
      }
      throw err;
    }
    if (!SAFE_TARGET.test(target)) {
      const why = `rule ${rule.name}'s input${labelSources(rule)} makes the target ${shownValue(target)}, which cannot be part of a run ID (letters, digits, ".", "_" and "-" only); nothing was started`;
      return this.outcome(alert, rule, 'refused', why);
    }
    const workflowId = runIdFor(runbook.id, target);
    const flapKey = `${rule.name}|${target}`;
    const latest = await this.latestRun(workflowId);
    if (latest?.running) return this.outcome(alert, rule, 'already-running', `${workflowId} is already running; nothing new started`, workflowId);
    const last = Math.max(this.lastStarts.get(flapKey) ?? -Infinity, latest?.startedAt ?? -Infinity);
    if (Date.now() - last < rule.minInterval) {
      const why = `${workflowId} last started ${Math.round((Date.now() - last) / 1000)}s ago; the rule waits ${rule.minInterval / 1000}s between starts`;
      return this.outcome(alert, rule, 'anti-flap', why, workflowId);
    }
    const budget = this.budget.take(rule.name, rule.rateLimit, alert.fingerprint);
    if (!budget.allowed) return this.holdBack(alert, rule, budget.trip, target, workflowId);
    if (rule.requireReady) {
      const evaluation = await this.readiness(runbook.id, target);
      if (!evaluation.ready) {
        const why = typeof evaluation.reason === 'string' ? evaluation.reason : readinessSummary(evaluation.reason);
        const pageKey = `${rule.name}|${workflowId}`;
        if (this.notReadyPaged.get(pageKey) === why) return this.outcome(alert, rule, 'not-ready', `${why} (paged already)`, workflowId);
        this.notReadyPaged.set(pageKey, why);
        await this.options
          .notify({
            kind: 'readiness',
            runId: workflowId,
            runbook: runbook.id,
            target,
            state: 'failed',
            title: `Alert ${alert.labels.alertname ?? ''} did not start ${workflowId}: not ready`,
            text: `Rule ${rule.name} requires readiness. ${why}. Start it by hand with lifeboat run if it should run anyway.`,
          })
          .catch(() => undefined);
        return this.outcome(alert, rule, 'not-ready', why, workflowId);
      }
      this.notReadyPaged.delete(`${rule.name}|${workflowId}`);
    }
    const { client, requester } = this.options;
    const statement = newStatement('start', { namespace: client.options.namespace, workflowId, runId: '', inputDigest: digestOf(raw) }, requester, {
      runbook: runbook.id,
      drill: 'none',
      rule: rule.name,
      fingerprint: alert.fingerprint,
      detectedAt: alert.startsAt,
    });
    const text = statementText(statement);
    const start = { statement: text, signature: await signStatement(text, this.options.keyFile) };
    try {
      await startRun(client, {
        runbook,
        runId: workflowId,
        target,
        taskQueue: this.options.taskQueue,
        input: raw,
        requestedBy: requester,
        start,
        memo: { trigger: { rule: rule.name, fingerprint: alert.fingerprint, detectedAt: alert.startsAt } },
      });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        return this.outcome(alert, rule, 'already-running', `${workflowId} is already running; nothing new started`, workflowId);
      }
      throw err;
    }
    this.lastStarts.set(flapKey, Date.now());
    this.budget.record(rule.name);
    const started =
      `started ${workflowId} as ${requester}; detected at ${alert.startsAt}; ` +
      (rule.plan ? `it waits at the plan's gate for people (lifeboat plan ${rule.plan} says who signs it)` : 'it waits at its gates for people');
    return this.outcome(alert, rule, 'started', started, workflowId);
  }

  /** Answers a held-back alert (200, so the sender does not retry it), and on a new trip sets when the trip ends. */
  private holdBack(alert: ReceivedAlert, rule: AlertRule, trip: Trip, target: string, workflowId: string): AlertOutcome {
    const fresh = trip.targets.size === 0;
    trip.targets.add(target);
    if (fresh) {
      const timer = setTimeout(() => {
        this.tripTimers.delete(timer);
        void this.endTrip(rule.name);
      }, trip.resumesAt - Date.now());
      timer.unref();
      this.tripTimers.add(timer);
    }
    const { starts, perSeconds } = rule.rateLimit;
    const why =
      `rule ${rule.name} has started ${starts} runs in the last ${perSeconds}s, its rateLimit; ${workflowId} was not started ` +
      `(${trip.held} alerts held back since ${new Date(trip.since).toISOString()}; starts resume at ${new Date(trip.resumesAt).toISOString()})`;
    return this.outcome(alert, rule, 'rate-limited', why, workflowId);
  }

  /** Pages once for each trip nobody was told of yet. A page that fails is retried with the next request or at the trip's end. */
  private async pageTrips(): Promise<void> {
    for (const trip of this.budget.unpaged()) {
      const held = trip.held;
      const sent = await this.sendTripPage(trip, {
        title: `Alert rule ${trip.rule} hit its rate limit: ${held} alert${held === 1 ? '' : 's'} held back`,
        text:
          `Rule ${trip.rule} may start ${trip.limit.starts} runs per ${trip.limit.perSeconds}s across targets and has. ` +
          `${held} further alert${held === 1 ? '' : 's'} started nothing (targets ${targetList(trip)}); alerts until ` +
          `${new Date(trip.resumesAt).toISOString()} start nothing either, and you will hear how many. If these are real ` +
          'incidents, start the runbooks by hand with lifeboat run; if not, find out who is sending them. The receiver log lists each alert.',
      });
      if (sent) trip.paged = held;
    }
  }

  /** When the window has passed: says how many were held in all, if more came after the page (or the page never went). */
  private async endTrip(rule: string): Promise<void> {
    const trip = this.budget.end(rule);
    if (!trip || (trip.paged !== undefined && trip.held === trip.paged)) return;
    const after = trip.paged === undefined ? '' : ` (${trip.held - trip.paged} after the first page)`;
    await this.sendTripPage(trip, {
      title: `Alert rule ${trip.rule} held back ${trip.held} alerts in all${after}`,
      text:
        `Between ${new Date(trip.since).toISOString()} and now, rule ${trip.rule} (at most ${trip.limit.starts} starts per ` +
        `${trip.limit.perSeconds}s) held back ${trip.held} alerts${after}, for targets ${targetList(trip)}. It may start runs again. ` +
        'Start by hand with lifeboat run any that were real; the receiver log lists each alert.',
    });
  }

  private async sendTripPage(trip: Trip, page: { title: string; text: string }): Promise<boolean> {
    const rule = this.options.rules.rules.find((r) => r.name === trip.rule);
    const runbook = (rule && startedBy(rule)?.id) ?? '';
    try {
      await this.options.notify({ kind: 'info', runId: '', runbook, target: '', state: 'running', ...page });
      return true;
    } catch (err) {
      const say = this.options.say ?? ((line: string) => process.stderr.write(`${line}\n`));
      say(`could not page that rule ${trip.rule} hit its rate limit (${trip.held} alerts held back): ${(err as Error).message}`);
      return false;
    }
  }

  /**
   * The latest run under this workflow ID: whether it is still running (dedupe), and when it started, so a
   * restarted receiver still keeps the rule's delay between starts.
   */
  private async latestRun(workflowId: string): Promise<{ running: boolean; startedAt: number } | undefined> {
    try {
      const run = await this.options.client.workflow.getHandle(workflowId).describe();
      return { running: run.status.name === 'RUNNING', startedAt: run.startTime.getTime() };
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    }
  }

  private async readiness(runbook: string, target: string): Promise<{ ready: boolean; reason: string | ReadinessEvaluation }> {
    try {
      const evaluation: ReadinessEvaluation = await this.options.client.workflow.execute('readinessCheck', {
        taskQueue: this.options.taskQueue,
        workflowId: `${readinessScheduleId(runbook, target)}/alert-${randomUUID().slice(0, 8)}`,
        args: [{ runbook, target, requester: this.options.requester }],
        workflowExecutionTimeout: '1 minute',
      });
      return { ready: evaluation.ready, reason: evaluation };
    } catch (err) {
      const message = err instanceof WorkflowFailedError ? (err.cause?.message ?? err.message) : (err as Error).message;
      return { ready: false, reason: `the readiness check did not finish (${message}); is a worker running on ${this.options.taskQueue}?` };
    }
  }
}

/** The targets a trip held back, ten at most: they passed the safe character check, so they may be shown. */
function targetList(trip: Trip): string {
  const targets = [...trip.targets];
  return targets.length > 10 ? `${targets.slice(0, 10).join(', ')} and ${targets.length - 10} more` : targets.join(', ');
}

/** Alertmanager's notification bodies are small; this bounds one request. */
const maxBodyBytes = 1024 * 1024;

/**
 * The receiver's HTTP handler: POST with `Authorization: Bearer <token>` (Alertmanager's
 * `http_config.authorization.credentials`), a body in Alertmanager's webhook format or the generic one. It answers
 * 401 before it reads a body, 400 for a body it cannot read, 503 when Temporal could not be reached (so the sender
 * retries), and 200 with what became of each alert otherwise (refused and rate-limited alerts too), so Alertmanager
 * does not resend what was understood.
 */
export function alertRequestListener(receiver: AlertReceiver, token: string, log: (line: string) => void): RequestListener {
  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://alerts').pathname;
    if (req.method === 'GET' && path === '/healthz') return send(res, 200, { ok: true });
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      throw new HttpError(405, 'use POST with the alert as the body');
    }
    const match = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
    if (!match || !sameToken(match[1]!.trim(), token)) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      throw new HttpError(401, 'missing or wrong token; send Authorization: Bearer <token> (Alertmanager: http_config.authorization.credentials)');
    }
    let alerts: ReceivedAlert[];
    try {
      alerts = parseAlertBody(await readBody(req, maxBodyBytes));
    } catch (err) {
      if (err instanceof MalformedAlertBody) throw new HttpError(400, err.message);
      throw err;
    }
    let outcomes: AlertOutcome[];
    try {
      outcomes = await receiver.receive(alerts);
    } catch (err) {
      throw new HttpError(503, `could not act on the alerts, so send them again (Alertmanager retries by itself): ${(err as Error).message}`);
    }
    send(res, 200, { outcomes });
  };
  return (req, res) => {
    handle(req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 500;
      const message = err instanceof Error ? err.message : String(err);
      log(`${req.method ?? '?'} ${req.url ?? ''} from ${req.socket?.remoteAddress ?? '?'}: ${status} ${message.split('\n')[0]}`);
      if (status === 413) res.setHeader('Connection', 'close');
      if (!res.headersSent) send(res, status, { error: message });
      else res.end();
    });
  };
}
