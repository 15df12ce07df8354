import { ApplicationFailure } from '@temporalio/common';
import { ErrorType } from '../workflows/kit/errors';
import type { Notification } from './kit-types';

/** Where notifications go: a webhook in `json` or Slack's incoming-webhook format, or the worker's log. */
export interface NotifyConfig {
  webhookUrl?: string;
  format?: 'json' | 'slack';
  /** Log sink used when no webhook is configured, and for delivery receipts. */
  log: (message: string, fields: Record<string, unknown>) => void;
  timeoutMs?: number;
}

/** Reads LIFEBOAT_WEBHOOK_URL and LIFEBOAT_WEBHOOK_FORMAT (json, the default, or slack). */
export function notifyConfigFromEnv(env: NodeJS.ProcessEnv, log: NotifyConfig['log']): NotifyConfig {
  const format = env.LIFEBOAT_WEBHOOK_FORMAT ?? 'json';
  if (format !== 'json' && format !== 'slack') {
    throw new Error(`LIFEBOAT_WEBHOOK_FORMAT is "${format}"; set it to json or slack`);
  }
  return { ...(env.LIFEBOAT_WEBHOOK_URL ? { webhookUrl: env.LIFEBOAT_WEBHOOK_URL } : {}), format, log };
}

const icons: Record<Notification['kind'], string> = {
  'approval-needed': ':raising_hand:',
  escalation: ':rotating_light:',
  'intervention-needed': ':warning:',
  'run-finished': ':checkered_flag:',
  'drill-failed': ':x:',
  info: ':information_source:',
};

/** Slack's incoming-webhook body: a fallback text and one section block in mrkdwn. */
export function slackBody(n: Notification): unknown {
  const audience = n.audience?.length ? `\nFor: ${n.audience.join(', ')}` : '';
  const text = `${icons[n.kind]} *${n.title}*\n\`${n.runId}\` (${n.state})\n${n.text}${audience}`;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

export function createNotifyActivities(config: NotifyConfig) {
  return {
    /** Posts a notification. Webhook receivers see the same event again on a retry; `id`-less posts are rare enough to accept that. */
    async notify(notification: Notification): Promise<void> {
      if (!config.webhookUrl) {
        config.log(`[${notification.kind}] ${notification.title}: ${notification.text}`, { runId: notification.runId });
        return;
      }
      const body = config.format === 'slack' ? slackBody(notification) : notification;
      let response: Response;
      try {
        response = await fetch(config.webhookUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(config.timeoutMs ?? 10_000),
        });
      } catch (err) {
        throw new Error(`webhook ${config.webhookUrl} unreachable: ${(err as Error).message}`);
      }
      if (response.status >= 400 && response.status < 500 && response.status !== 429) {
        throw ApplicationFailure.nonRetryable(`webhook refused the notification: HTTP ${response.status} ${await response.text()}`, ErrorType.NotReachable);
      }
      if (!response.ok) throw new Error(`webhook answered HTTP ${response.status}`);
    },
  };
}
