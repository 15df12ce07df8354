import { z } from 'zod';
import { defineRunbook, drillCheck, gate, step } from '../kit';
import { text } from './text';

export const PagingCheckInput = z.object({
  team: text('team', 64).min(1).default('sre-oncall').describe('the roster group whose pager is checked (a roster group name is at most 64 characters)'),
  message: text('message').min(1).default('This is a Lifeboat paging check. Acknowledge it with lifeboat approve.').describe('the text of the test page'),
});
export type PagingCheckInput = z.infer<typeof PagingCheckInput>;

/**
 * Rehearses the path every real runbook depends on: a page goes out through the notification
 * adapter, a person on call acknowledges it from the CLI, and the all-clear follows.
 */
export const pagingCheck = defineRunbook({
  id: 'paging-check',
  title: 'Paging check',
  description: 'Send a test page to a roster group and wait for one of them to acknowledge it from the CLI.',
  workflowType: 'pagingCheck',
  // Only kit steps come before its gates, so a run can carry itself over at a gate (continue-as-new).
  carryOver: true,
  input: PagingCheckInput,
  target: (input) => input.team,
  objectives: { rtoSeconds: 15 * 60 },
  // None: it rehearses reaching the people every scenario needs, not a disruption of its own.
  scenarios: [],
  readinessTarget: 'sre-oncall',
  readiness: [
    {
      name: 'page-acknowledged',
      verifies: 'a real paging check of this team was acknowledged within 30 days',
      fix: 'run lifeboat run paging-check --set team=<team> and have someone on call acknowledge it',
      probe: { kind: 'paging-acknowledged', withinDays: 30 },
    },
    drillCheck(7),
  ],
  procedure: {
    page: step({ title: 'Send the test page', timeout: '30 seconds' }),
    acknowledge: gate({
      title: 'An on-call engineer acknowledges the page',
      policy: { approvers: { groups: ['sre-oncall'] }, quorum: 1, escalateAfter: '5 minutes', escalateEvery: '5 minutes', expireAfter: '30 minutes' },
    }),
    allClear: step({ title: 'Send the all-clear', timeout: '30 seconds', skippable: true }),
  },
});
