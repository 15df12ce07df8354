import { expect, test } from 'vitest';
import { lifeboatInProcess } from '../helpers/cli';

interface PlannedStep {
  name: string;
  timeout: string;
  retry: { maximumAttempts: number };
  activityRetry?: { maximumAttempts: number; initialInterval: string };
  heartbeatTimeout?: string;
}

// The waves' activity is retried by Temporal inside each of the kit's attempts; the plan is where an operator reads
// how often, so it must show the retries the run really makes.
test("lifeboat plan isolate-vendor-module shows the waves' own retries: Temporal runs each wave up to 5 times, resuming from its heartbeat", async () => {
  const text = await lifeboatInProcess(['plan', 'isolate-vendor-module']);
  expect(text.code, text.stderr).toBe(0);
  for (const wave of ['canary', 'wave']) {
    expect(text.stdout).toMatch(
      new RegExp(
        `\\d+\\. ${wave} — .*\\n {4}2 attempts, 2h each; Temporal runs each attempt up to 5 times, resuming from its last heartbeat; no undo; may be skipped; heartbeat timeout 10s`,
      ),
    );
  }

  const json = JSON.parse((await lifeboatInProcess(['plan', 'isolate-vendor-module', '--json'])).stdout) as { plan: PlannedStep[] };
  for (const wave of ['canary', 'wave']) {
    expect(json.plan.find((e) => e.name === wave)).toMatchObject({
      timeout: '2 hours',
      heartbeatTimeout: '10 seconds',
      retry: { maximumAttempts: 2 },
      activityRetry: { maximumAttempts: 5, initialInterval: '1 second' },
    });
  }
});

test("an isolated drill's plan shows its scratch steps' own retries, with no heartbeat claimed for steps that do not heartbeat", async () => {
  const vendor = await lifeboatInProcess(['plan', 'isolate-vendor-module', '--drill', 'isolated']);
  expect(vendor.code, vendor.stderr).toBe(0);
  expect(vendor.stdout).toMatch(/\[drill\] drillBuild — .*\n {4}3 attempts, 1m each; Temporal runs each attempt up to 3 times; undo: Remove the scratch fleet/);
  expect(vendor.stdout).toMatch(/\[drill\] drillCleanup — .*\n {4}5 attempts, 1m each; Temporal runs each attempt up to 3 times; no undo\n/);

  const booking = JSON.parse((await lifeboatInProcess(['plan', 'manual-booking-mode', '--drill', 'isolated', '--json'])).stdout) as { plan: PlannedStep[] };
  for (const name of ['drillBuild', 'drillSeedLedger', 'drillCleanup']) {
    expect(booking.plan.find((e) => e.name === name)).toMatchObject({
      timeout: '2 minutes',
      activityRetry: { maximumAttempts: 3, initialInterval: '1 second' },
    });
  }
});
