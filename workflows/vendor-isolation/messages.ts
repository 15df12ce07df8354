import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';
import type { SignedDecision } from '../../kit/trust';

/** The most characters a decision's `hosts` list may have: a signed statement's text fields hold at most 2000. */
export const HOSTS_LIST_MAX = 2000;

const hostName = z.string().trim().min(1, 'name the host, e.g. a-kiosk-05').max(128, 'a host name is at most 128 characters');

/**
 * An operator closing items of the hands-on checklist: repaired by hand (`done`), or `waive`d with a reason. One host
 * (`host`), or several as one comma-separated `hosts` text (a field team's list of repaired kiosks), which count or
 * are refused together.
 */
export const TaskDecision = z
  .object({
    action: z.enum(['done', 'waive']),
    host: hostName.optional(),
    hosts: z
      .string()
      .max(HOSTS_LIST_MAX, `hosts is at most ${HOSTS_LIST_MAX} characters; send a longer list as several decisions (lifeboat task does)`)
      .optional(),
    by: z.string().trim().min(1, 'say who you are (--as USER or LIFEBOAT_USER)').max(64),
    reason: z.string().max(2000).optional(),
  })
  .refine((d) => (d.host === undefined) !== (d.hosts === undefined), { message: 'name the host, or a comma-separated list of hosts, not both', path: ['host'] })
  .refine((d) => d.hosts === undefined || hostsOf(d).every((h) => hostName.safeParse(h).success), {
    message: 'hosts is a comma-separated list of host names, each 1 to 128 characters',
    path: ['hosts'],
  })
  .refine((d) => d.action !== 'waive' || (d.reason ?? '').trim().length > 0, { message: 'a waiver needs a reason (--reason "...")', path: ['reason'] });
export type TaskDecision = z.infer<typeof TaskDecision>;

/** The hosts a task decision closes, each once, in the order given. */
export function hostsOf(decision: { host?: string; hosts?: string }): string[] {
  const named = decision.hosts !== undefined ? decision.hosts.split(',').map((h) => h.trim()) : [decision.host ?? ''];
  return [...new Set(named)];
}

/** What an accepted decision changed, and how many items are still open. */
export interface TaskReceipt {
  /** The host closed, or the first of a list. */
  host: string;
  /** Every host a list closed. */
  hosts?: string[];
  status: 'done' | 'waived';
  open: number;
}

/** A signal, so `temporal workflow signal --name task --input '{"action":"done","host":"a-kiosk-05","by":"erin"}'` works. */
export const taskSignal = defineSignal<[SignedDecision | TaskDecision]>('task');
/** The same as an update, so `lifeboat task` learns at once whether it counted and, if not, why. */
export const taskUpdate = defineUpdate<TaskReceipt, [SignedDecision | TaskDecision]>('task-update');

/** A page of the hands-on checklist: `lifeboat task list` reads every item this way, however long the list. */
export const HandsOnPageRequest = z.object({
  status: z.enum(['open', 'done', 'waived']).optional(),
  offset: z.number().int('offset is a whole number').min(0, 'offset starts at 0').max(1_000_000).default(0),
  // A thousand items are about 200 KB, well under the 512 KiB a query's answer may carry.
  limit: z.number().int('limit is a whole number').min(1, 'limit is at least 1').max(1000, 'limit is at most 1000 items a page').default(200),
});
export type HandsOnPageRequest = z.input<typeof HandsOnPageRequest>;

/** The items from `offset`, open ones first, then in the order they were found; `total` counts every matching item. */
export interface HandsOnPage {
  total: number;
  offset: number;
  tasks: HandsOnTaskView[];
}

/** One checklist item as a page lists it. */
export interface HandsOnTaskView {
  host: string;
  reason: string;
  wave: string;
  status: 'open' | 'done' | 'waived';
  by?: string;
  at?: string;
  comment?: string;
}

/** A query, so reading a page adds nothing to the run's history. */
export const handsOnQuery = defineQuery<HandsOnPage, [HandsOnPageRequest]>('hands-on');
