import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { runbooks } from '../../runbooks';
import { runIdFor } from '../../kit';
import { lifeboatInProcess } from '../helpers/cli';
import { connectToTestServer, createTestWorker, testTaskQueue, type TemporalTestContext } from '../helpers/temporal';

let ctx: TemporalTestContext;
beforeAll(async () => {
  ctx = await connectToTestServer();
});
afterAll(async () => ctx?.close());

const sets = (input: Record<string, string>) => Object.entries(input).flatMap(([key, value]) => ['--set', `${key}=${value}`]);
const dryRun = (runbook: string, input: Record<string, string>) =>
  lifeboatInProcess(['run', runbook, ...sets(input), '--as', 'alice', '--dry-run'], { TEMPORAL_ADDRESS: '127.0.0.1:1' });

const manual = { reason: 'db down', incident: 'INC-1', stations: 'ATL-T1' };
const isolate = { badVersion: 'C-00000291', goodVersion: 'C-00000290' };

/** Every numeric input of every runbook, out of its range: what the CLI must refuse by name. */
const outOfRange: { runbook: string; input: Record<string, string>; fields: string[] }[] = [
  {
    runbook: 'manual-booking-mode',
    input: { ...manual, refreshMinutes: '0.001', databaseRecheckSeconds: '0', drillHoldSeconds: '100000' },
    fields: ['refreshMinutes must be at least 1 minute', 'databaseRecheckSeconds must be at least 1 second', 'drillHoldSeconds must be at most 86400 seconds'],
  },
  {
    runbook: 'isolate-vendor-module',
    input: {
      ...isolate,
      'waves.canary': '0',
      'waves.sizes': '[1]',
      'waves.concurrency': '5000',
      'waves.soak': '1 hour',
      handsOnDeadline: '30 days',
      failureThreshold: '1.5',
      drillCrashRate: '-0.1',
    },
    fields: [
      'waves.canary must be at least 1 host',
      'a host count in waves.sizes must be at least 5 hosts',
      'waves.concurrency must be at most 1000 hosts',
      'waves.soak must be at most 10 minutes',
      'handsOnDeadline must be at most 14 days',
      'failureThreshold must be at most 1',
      'drillCrashRate must be at least 0',
    ],
  },
  {
    runbook: 'region-failover',
    input: {
      service: 'booking',
      mode: 'planned',
      rpoBudgetBytes: '2147483648',
      rpoBudgetSeconds: '-1',
      verifyWindowSeconds: '301',
      catchUpTimeoutSeconds: '0.5',
    },
    fields: [
      'rpoBudgetBytes must be at most 1073741824 bytes',
      'rpoBudgetSeconds must be at least 0 seconds',
      'verifyWindowSeconds must be at most 300 seconds',
      'catchUpTimeoutSeconds must be at least 1 second',
    ],
  },
  {
    runbook: 'region-failback',
    input: { service: 'booking', rpoBudgetBytes: '1.5', verifyWindowSeconds: '-1' },
    fields: ['rpoBudgetBytes must be a whole number of bytes', 'verifyWindowSeconds must be at least 0 seconds'],
  },
];

test('the CLI refuses every numeric input outside its range (exit 2), naming the field, why, and the values to use', async () => {
  const results = await Promise.all(outOfRange.map(async (c) => ({ ...c, result: await dryRun(c.runbook, c.input) })));
  for (const { runbook, fields, result } of results) {
    expect(result.code, `${runbook}: ${result.stderr}`).toBe(2);
    expect(result.stdout).toBe('');
    for (const field of fields) expect(result.stderr).toContain(field);
  }
  const one = await dryRun('manual-booking-mode', { ...manual, refreshMinutes: '0.001' });
  expect(one.stderr).toMatchInlineSnapshot(`
    "error: invalid input for manual-booking-mode:
    ✖ refreshMinutes must be at least 1 minute: every refresh adds to the run's history, and faster ones would reach Temporal's history limit while the stations still book by hand; set refreshMinutes from 1 to 1440 minutes
      → at refreshMinutes
      fix: fix the fields above with --set key=value or --input FILE.json; see lifeboat plan manual-booking-mode
    "
  `);
});

test('the ends of each range are accepted', async () => {
  const edges = [
    dryRun('manual-booking-mode', { ...manual, refreshMinutes: '1', databaseRecheckSeconds: '1', drillHoldSeconds: '86400' }),
    dryRun('isolate-vendor-module', {
      ...isolate,
      'waves.canary': '1',
      'waves.sizes': '[5,"1%"]',
      'waves.concurrency': '1000',
      'waves.soak': '10 minutes',
      handsOnDeadline: '14 days',
    }),
    dryRun('region-failover', { service: 'booking', mode: 'emergency', rpoBudgetBytes: '0', verifyWindowSeconds: '0', catchUpTimeoutSeconds: '240' }),
  ];
  for (const result of await Promise.all(edges)) expect(result.code, result.stderr).toBe(0);
});

test('a run started with a number out of range from any client fails at once with the same message', async () => {
  const taskQueue = testTaskQueue();
  const { worker } = await createTestWorker(ctx, taskQueue);
  const bad = [
    { runbook: 'manual-booking-mode', valid: manual, input: { ...manual, refreshMinutes: 0.001 }, field: 'refreshMinutes must be at least 1 minute' },
    {
      runbook: 'isolate-vendor-module',
      valid: isolate,
      input: { ...isolate, waves: { sizes: [1] } },
      field: 'a host count in waves.sizes must be at least 5 hosts',
    },
    {
      runbook: 'region-failover',
      valid: { service: 'booking', mode: 'planned' },
      input: { service: 'booking', mode: 'planned', catchUpTimeoutSeconds: 0.5 },
      field: 'catchUpTimeoutSeconds must be at least 1 second',
    },
  ];
  await worker.runUntil(async () => {
    for (const { runbook, valid, input, field } of bad) {
      const definition = runbooks[runbook]!;
      const handle = await ctx.client.workflow.start(definition.workflowType, {
        taskQueue,
        // The bad value is no part of the target, so the run goes under the ID the valid input would give.
        workflowId: runIdFor(runbook, definition.target(definition.input.parse(valid))),
        args: [{ input, requestedBy: 'alice' }],
      });
      const err = (await handle.result().catch((e: unknown) => e)) as WorkflowFailedError;
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect(err.cause?.message).toMatch(new RegExp(`^Invalid input for ${runbook}:`));
      expect(err.cause?.message).toContain(field);
    }
  });
});
