import { spawn } from 'node:child_process';
import { ApplicationFailure } from '@temporalio/common';
import { childEnv } from '../lib/child-env';
import { visibleLine } from '../lib/terminal-text';
import { ErrorType, type Notification } from '../kit';
import { type ChannelFailure, type NotifyReceipt } from '../kit/trust';
import { consoleLinkOf, consoleLinkText } from './console-link';
import { teamsBody } from './notify-teams';

export type { ChannelFailure, NotifyReceipt };

/**
 * Where notifications go: webhooks (JSON or Slack's incoming-webhook format) tried in order, then a command; with
 * none of them, the worker's log. A webhook URL is a secret (whoever has a Slack one can post to the channel), so it
 * stays here, in the worker's configuration: results, failures and log lines name a webhook by its number and origin.
 */
export interface NotifyConfig {
  webhookUrls?: string[];
  /** Run with `/bin/sh -c`, the notification as JSON on stdin and a minimal environment; tried after the webhooks. */
  command?: string;
  format?: 'json' | 'slack' | 'teams';
  /**
   * The console's address people open (LIFEBOAT_CONSOLE_URL): each notification then links to its run's page, at the
   * open gate for an approval. Without it, notifications name the CLI command only.
   */
  consoleUrl?: string;
  /** The worker's log: notifications when no channel is configured, and what failed before a delivery. */
  log: (message: string, fields: Record<string, unknown>) => void;
  /** One attempt's limit; 5 seconds unless set. */
  timeoutMs?: number;
  /** Attempts per channel; 3 unless set. */
  attempts?: number;
  /** The pause before a channel's second attempt, doubled before each further one; 250 ms unless set. */
  backoffMs?: number;
  /** All channels and attempts together; 20 seconds unless set, well inside the kit's 30-second activity timeout. */
  budgetMs?: number;
}

/**
 * Reads LIFEBOAT_WEBHOOK_URL and LIFEBOAT_WEBHOOK_URLS (each one URL or a comma-separated list, tried in that order),
 * LIFEBOAT_WEBHOOK_FORMAT (json, the default, slack or teams), LIFEBOAT_NOTIFY_COMMAND and LIFEBOAT_CONSOLE_URL (the
 * console's address, for links). A malformed URL is named by its position, never quoted, since the text may well be a secret.
 */
export function notifyConfigFromEnv(env: NodeJS.ProcessEnv, log: NotifyConfig['log']): NotifyConfig {
  const format = env.LIFEBOAT_WEBHOOK_FORMAT ?? 'json';
  if (format !== 'json' && format !== 'slack' && format !== 'teams') {
    throw new Error(`LIFEBOAT_WEBHOOK_FORMAT is "${format}"; set it to json, slack or teams`);
  }
  const urls = [
    ...new Set(
      [env.LIFEBOAT_WEBHOOK_URL, env.LIFEBOAT_WEBHOOK_URLS]
        .flatMap((v) => (v ?? '').split(','))
        .map((u) => u.trim())
        .filter(Boolean),
    ),
  ];
  urls.forEach((url, i) => {
    if (!URL.canParse(url) || !['http:', 'https:'].includes(new URL(url).protocol)) {
      throw new Error(`webhook #${i + 1} in LIFEBOAT_WEBHOOK_URL(S) is not an http(s) URL; separate several with commas`);
    }
  });
  const command = env.LIFEBOAT_NOTIFY_COMMAND?.trim();
  const consoleUrl = env.LIFEBOAT_CONSOLE_URL?.trim();
  if (consoleUrl && (!URL.canParse(consoleUrl) || !['http:', 'https:'].includes(new URL(consoleUrl).protocol))) {
    throw new Error(`LIFEBOAT_CONSOLE_URL is not an http(s) URL; set it to the address people open the console at, such as https://lifeboat.example.com`);
  }
  return {
    ...(urls.length ? { webhookUrls: urls } : {}),
    ...(command ? { command } : {}),
    format,
    ...(consoleUrl ? { consoleUrl: new URL(consoleUrl).href } : {}),
    log,
  };
}

const icons: Record<Notification['kind'], string> = {
  'approval-needed': ':raising_hand:',
  escalation: ':rotating_light:',
  'intervention-needed': ':warning:',
  'run-finished': ':checkered_flag:',
  'drill-failed': ':x:',
  readiness: ':vertical_traffic_light:',
  info: ':information_source:',
};

/**
 * Slack reads `&`, `<` and `>` as its own markup (`<!channel>`, `<@U123>`, `<https://x|a link>`), so text from a run
 * (a reason, an incident id, a name) has them escaped as Slack documents, and shows as typed.
 */
export function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Slack's incoming-webhook body: a fallback text and one section block in mrkdwn; with a console link, a last line
 * linking to the run's page (a plain link: the message has no buttons and approves nothing).
 */
export function slackBody(n: Notification, link?: string): unknown {
  const e = slackEscape;
  const audience = n.audience?.length ? `\nFor: ${e(n.audience.join(', '))}` : '';
  // Inside <url|text> a `|` would end the URL; the link is built from a checked URL and encoded run ID segments.
  const open = link ? `\n<${e(link).replace(/\|/g, '%7C')}|${consoleLinkText(n.kind)}>` : '';
  const text = `${icons[n.kind]} *${e(n.title)}*\n\`${e(n.runId)}\` (${e(n.state)})\n${e(n.text)}${audience}${open}`;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

/** One attempt's outcome: delivered, or an error and whether another attempt could help. */
type Attempt = { ok: true } | { ok: false; error: string; retry: boolean; permanent: boolean };

interface Channel {
  name: string;
  send(body: string, timeoutMs: number): Promise<Attempt>;
}

/** A webhook's public name: its number and origin. The path and query (where Slack keeps the secret) are left out. */
export function webhookName(url: string, index: number): string {
  return `webhook #${index + 1} (${URL.canParse(url) ? new URL(url).origin : 'malformed URL'})`;
}

export function createNotifyActivities(config: NotifyConfig) {
  const secrets = (config.webhookUrls ?? []).flatMap(secretPartsOf).sort((a, b) => b.length - a.length);
  /** Error text from outside (a fetch error, a receiver's answer) with every secret cut out, on one line. */
  const scrub = (text: string, max = 120): string => {
    const cut = secrets.reduce((t, s) => t.split(s).join('…'), text);
    const line = visibleLine(cut.replace(/\s+/g, ' ').trim());
    return line.length > max ? `${line.slice(0, max)}…` : line;
  };

  const webhook = (url: string, index: number): Channel => ({
    name: webhookName(url, index),
    async send(body, timeoutMs) {
      let response: Response;
      try {
        response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(timeoutMs) });
      } catch (err) {
        if ((err as Error).name === 'TimeoutError') return { ok: false, error: `no answer within ${timeoutMs / 1000}s`, retry: false, permanent: false };
        const cause = (err as { cause?: { code?: string; message?: string } }).cause;
        // Without a cause, fetch refused the request itself (a URL it will not post to): no attempt will do better.
        if (!cause) return { ok: false, error: `cannot post (${scrub((err as Error).message)})`, retry: false, permanent: true };
        return { ok: false, error: `unreachable (${scrub(cause.code ?? cause.message ?? String(cause))})`, retry: true, permanent: false };
      }
      if (response.ok) {
        await response.body?.cancel();
        return { ok: true };
      }
      const answer = scrub(await response.text().catch(() => ''), 80);
      const error = `HTTP ${response.status}${answer ? ` ${answer}` : ''}`;
      const refused = response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429;
      return { ok: false, error, retry: !refused, permanent: refused };
    },
  });

  const command = (line: string): Channel => ({
    name: 'notify command',
    send: (body, timeoutMs) =>
      new Promise<Attempt>((resolveAttempt) => {
        // Its own process group, so a timeout ends whatever the shell started too.
        const child = spawn('/bin/sh', ['-c', line], { env: childEnv(), stdio: ['pipe', 'ignore', 'pipe'], detached: true });
        let timedOut = false;
        const timer = setTimeout(() => {
          timedOut = true;
          try {
            process.kill(-child.pid!, 'SIGKILL');
          } catch {
            /* already gone */
          }
        }, timeoutMs);
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2_000)));
        child.stdin.on('error', () => undefined);
        child.stdin.end(body);
        child.on('error', (err) => {
          clearTimeout(timer);
          resolveAttempt({ ok: false, error: `could not start (${scrub((err as NodeJS.ErrnoException).code ?? err.message)})`, retry: false, permanent: true });
        });
        child.on('exit', (code, signal) => {
          clearTimeout(timer);
          if (code === 0) return resolveAttempt({ ok: true });
          const tail = stderr.trim().split('\n').at(-1);
          // The command's own output may hold its own secrets: it goes to the worker's log, not into history.
          if (tail) config.log('the notify command failed', { stderr: scrub(tail, 300) });
          const error = timedOut ? `no exit within ${timeoutMs / 1000}s` : signal ? `killed by ${signal}` : `exit ${code}`;
          resolveAttempt({ ok: false, error, retry: !timedOut, permanent: false });
        });
      }),
  });

  const channels: Channel[] = [...(config.webhookUrls ?? []).map(webhook), ...(config.command ? [command(config.command)] : [])];
  const attempts = config.attempts ?? 3;
  const timeoutMs = config.timeoutMs ?? 5_000;

  return {
    /**
     * Delivers a notification through the first channel that takes it: each channel gets a few quick attempts with
     * backoff, all within a budget well inside the activity's timeout. Returns which channel delivered and what failed
     * before it. When every channel fails it throws a `NotReachable` failure naming each channel and why (see
     * `notDelivered`), non-retryable when every channel refused the post. Receivers may see an event twice.
     */
    async notify(notification: Notification): Promise<NotifyReceipt> {
      if (channels.length === 0) {
        config.log(visibleLine(`[${notification.kind}] ${notification.title}: ${notification.text}`), {
          runId: visibleLine(notification.runId),
          ...(config.consoleUrl ? { consoleLink: consoleLinkOf(config.consoleUrl, notification) } : {}),
        });
        return { deliveredBy: 'worker log', attempts: 1, failed: [] };
      }
      const body = JSON.stringify(bodyOf(notification, config));
      const deadline = Date.now() + (config.budgetMs ?? 20_000);
      const failed: ChannelFailure[] = [];
      for (const channel of channels) {
        let last: Extract<Attempt, { ok: false }> = { ok: false, error: 'not tried: out of time', retry: false, permanent: false };
        let tries = 0;
        for (let pause = config.backoffMs ?? 250; tries < attempts; pause *= 2) {
          const left = deadline - Date.now();
          if (left < 100) break;
          tries++;
          const result = await channel.send(body, Math.min(timeoutMs, left));
          if (result.ok) {
            if (failed.length) config.log(`notification delivered by ${channel.name} after: ${describe(failed)}`, { runId: visibleLine(notification.runId) });
            return { deliveredBy: channel.name, attempts: tries, failed };
          }
          last = result;
          if (!result.retry || tries >= attempts || deadline - Date.now() < pause + 100) break;
          await new Promise((r) => setTimeout(r, pause));
        }
        failed.push({ channel: channel.name, error: last.error, attempts: tries, permanent: last.permanent });
      }
      config.log(visibleLine(`notification not delivered (${describe(failed)}): [${notification.kind}] ${notification.title}: ${notification.text}`), {
        runId: visibleLine(notification.runId),
      });
      throw notDelivered(failed);
    },
  };
}

/**
 * What a channel is sent, in the configured format; with a console address, the link to the run's page at the part
 * that needs the reader (`consoleLink` in the JSON format). The command gets the same as the webhooks.
 */
function bodyOf(n: Notification, config: Pick<NotifyConfig, 'format' | 'consoleUrl'>): unknown {
  const link = config.consoleUrl ? consoleLinkOf(config.consoleUrl, n) : undefined;
  if (config.format === 'slack') return slackBody(n, link);
  if (config.format === 'teams') return teamsBody(n, link);
  return link ? { ...n, consoleLink: link } : n;
}

/** The parts of a webhook URL to cut out of error text: the URL as given and as parsed, its path and query, any password. */
function secretPartsOf(url: string): string[] {
  if (!URL.canParse(url)) return [url];
  const { href, pathname, search, password } = new URL(url);
  return [url, href, `${pathname}${search}`, password].filter((p) => p.length > 1);
}

function describe(failed: ChannelFailure[]): string {
  return failed.map((f) => `${f.channel}: ${f.error}${f.attempts > 1 ? ` (${f.attempts} attempts)` : ''}`).join('; ');
}

/**
 * The failure when no channel delivered, for the kit to show and to name in its next escalation. Its message reads
 * `notification not delivered: webhook #1 (https://a.example): unreachable (ECONNREFUSED) (3 attempts); notify
 * command: exit 2 (3 attempts)`, its type is `NotReachable`, and its details hold the same as `ChannelFailure[]`.
 */
export function notDelivered(failed: ChannelFailure[]): ApplicationFailure {
  return ApplicationFailure.create({
    message: `notification not delivered: ${describe(failed)}`,
    type: ErrorType.NotReachable,
    nonRetryable: failed.every((f) => f.permanent),
    details: [failed],
  });
}
