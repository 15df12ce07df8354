import { createHash } from 'node:crypto';
import { z } from 'zod';

const Labels = z.record(z.string().max(256), z.string().max(4096)).refine((l) => Object.keys(l).length <= 64, 'at most 64 labels');
const Time = z.iso.datetime({ offset: true, message: 'an RFC 3339 time such as 2026-11-26T03:00:00Z' });

/** One alert of Alertmanager's webhook payload (version 4). */
const AlertmanagerAlert = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: Labels,
  annotations: Labels.optional(),
  startsAt: Time,
  endsAt: z.string().optional(),
  fingerprint: z.string().min(1).max(128),
});

/** Alertmanager's webhook body: `webhook_configs` posts this, version "4". */
export const AlertmanagerWebhook = z.object({
  version: z.literal('4', { error: 'Alertmanager webhook version "4"' }),
  receiver: z.string(),
  status: z.enum(['firing', 'resolved']),
  alerts: z.array(AlertmanagerAlert).max(1000),
  groupLabels: Labels.optional(),
  commonLabels: Labels.optional(),
  externalURL: z.string().optional(),
});

/** The generic shape, for senders that are not Alertmanager: one alert, firing unless it says resolved. */
export const GenericAlert = z.strictObject({
  alert: z.string().min(1).max(256).describe('the alert name; matched as the label alertname'),
  labels: Labels.default({}),
  status: z.enum(['firing', 'resolved']).default('firing'),
  startsAt: Time.optional().describe('when the problem was detected; now if absent'),
  fingerprint: z.string().min(1).max(128).optional().describe('identifies the alert; a digest of its labels if absent'),
});

/** An alert as the rules see it, whichever shape it came in. */
export interface ReceivedAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  startsAt: string;
  fingerprint: string;
}

/** Why a body was refused: the text a person reads in the 400 answer. */
export class MalformedAlertBody extends Error {
  override readonly name = 'MalformedAlertBody';
}

/** Parses a request body as Alertmanager's webhook (it has `alerts`) or as the generic shape (it has `alert`). */
export function parseAlertBody(text: string, now = new Date()): ReceivedAlert[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new MalformedAlertBody(`the body is not JSON: ${(err as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new MalformedAlertBody('the body is not a JSON object; send Alertmanager\'s webhook body or {"alert": "...", "labels": {...}}');
  }
  if ('alerts' in json) {
    const parsed = AlertmanagerWebhook.safeParse(json);
    if (!parsed.success) throw new MalformedAlertBody(`the body is not an Alertmanager webhook (version 4):\n${z.prettifyError(parsed.error)}`);
    return parsed.data.alerts.map((a) => ({ status: a.status, labels: a.labels, startsAt: a.startsAt, fingerprint: a.fingerprint }));
  }
  const parsed = GenericAlert.safeParse(json);
  if (!parsed.success) {
    throw new MalformedAlertBody(`the body is not a generic alert {"alert", "labels", "status", "startsAt", "fingerprint"}:\n${z.prettifyError(parsed.error)}`);
  }
  const { alert, labels, status, startsAt, fingerprint } = parsed.data;
  const all = { ...labels, alertname: alert };
  return [{ status, labels: all, startsAt: startsAt ?? now.toISOString(), fingerprint: fingerprint ?? labelDigest(all) }];
}

function labelDigest(labels: Record<string, string>): string {
  const text = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join('\n');
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}
