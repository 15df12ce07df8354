import { expect, test } from 'vitest';
import { runbooks } from '../../runbooks';
import { regionFailback } from '../../runbooks/region-failback';
import * as workflowBundle from '../../workflows';
import { parseInput } from '../../kit';
import { planOf } from '../../kit/trust';
import { lifeboatInProcess } from '../helpers/cli';

// The worker bundles `workflows/index.ts`; a runbook whose workflow is missing there starts runs no worker can run.
test("every runbook's workflowType is exported by the workflow bundle's entry", () => {
  const exported = workflowBundle as Record<string, unknown>;
  const missing = Object.values(runbooks)
    .filter((r) => typeof exported[r.workflowType] !== 'function')
    .map((r) => `${r.id}: ${r.workflowType}`);
  expect(missing, 'export each from workflows/index.ts').toEqual([]);
});

test("a real run's plan never lists a drill's own steps, and a drill's plan names only steps of the runbook", () => {
  for (const runbook of Object.values(runbooks)) {
    const real = planOf(runbook).map((e) => e.name);
    expect(
      real.filter((name) => name.startsWith('drill')),
      runbook.id,
    ).toEqual([]);
    for (const drill of Object.values(runbook.drills ?? {})) {
      if (!drill || 'refused' in drill) continue;
      for (const name of Object.keys(drill.steps)) expect(drill.steps[name]!.name).toBe(name);
    }
  }
  expect(planOf(runbooks['region-failover']!)).toHaveLength(13);
  expect(planOf(runbooks['region-failover']!, 'isolated').map((e) => e.name)).toEqual([
    'preflight',
    'assess',
    'approve',
    'drillClone',
    'drillPromote',
    'drillVerify',
    'drillRemove',
  ]);
  expect(
    planOf(runbooks['region-failover']!, 'live')
      .map((e) => e.name)
      .slice(-2),
  ).toEqual(['notify', 'drillFailback']);
});

test('lifeboat plan --drill lists the steps a drill runs instead of, or after, the procedure, and a drill a runbook refuses is refused before it starts', async () => {
  const real = await lifeboatInProcess(['plan', 'region-failover']);
  expect(real.code).toBe(0);
  expect(real.stdout).not.toMatch(/^ *\d+\. .*drillClone/m);
  expect(real.stdout).toContain('Drills (lifeboat plan region-failover --drill KIND lists what one runs):');
  const isolated = await lifeboatInProcess(['plan', 'region-failover', '--drill', 'isolated']);
  expect(isolated.stdout).toMatch(/^ 4\. \[drill\] drillClone — /m);
  expect(isolated.stdout).not.toContain('switchTraffic');
  const live = JSON.parse((await lifeboatInProcess(['plan', 'region-failover', '--drill', 'live', '--json'])).stdout) as {
    drill: string;
    plan: { name: string; drillOnly?: boolean }[];
  };
  expect(live.drill).toBe('live');
  expect(live.plan.at(-1)).toMatchObject({ name: 'drillFailback', drillOnly: true });
  const refused = await lifeboatInProcess(['plan', 'region-failback', '--drill', 'isolated']);
  expect(refused.stdout).toContain('region-failback has no isolated drill: it rebuilds real databases');
  const run = await lifeboatInProcess(['run', 'region-failback', '--set', 'service=booking', '--drill', 'isolated', '--as', 'alice', '--dry-run'], {
    TEMPORAL_ADDRESS: '127.0.0.1:1',
  });
  expect(run.code).toBe(2);
  expect(run.stderr).toContain('error: region-failback has no isolated drill: it rebuilds real databases');
  const dry = await lifeboatInProcess(
    ['run', 'region-failover', '--set', 'service=booking', '--set', 'mode=planned', '--drill', 'isolated', '--as', 'alice', '--dry-run'],
    { TEMPORAL_ADDRESS: '127.0.0.1:1' },
  );
  expect(dry.stdout).toContain('[drill] drillRemove');
  const bad = await lifeboatInProcess(['plan', 'region-failover', '--drill', 'dry']);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('use --drill isolated (a throwaway copy) or --drill live (a game day)');
});

test('a removed input is refused by the CLI by name, and ignored by runs that started with it', async () => {
  const set = await lifeboatInProcess(
    ['run', 'region-failback', '--set', 'service=booking', '--set', 'rebuildTimeoutSeconds=300', '--as', 'alice', '--dry-run'],
    {
      TEMPORAL_ADDRESS: '127.0.0.1:1',
    },
  );
  expect(set.code).toBe(2);
  expect(set.stdout).toBe('');
  expect(set.stderr).toMatchInlineSnapshot(`
    "error: region-failback: the input field rebuildTimeoutSeconds was removed: the rebuild's timeout is fixed (the rebuild step's own 31 minutes an attempt), so nothing read it
      fix: drop --set rebuildTimeoutSeconds=… (and the field from any --input file); see lifeboat plan region-failback
    "
  `);
  // A run in flight, a recorded history or an old schedule carries the field: the workflow parses as if it were absent.
  const parsed = parseInput(regionFailback, { service: 'booking', rebuildTimeoutSeconds: 300 });
  expect(parsed).not.toHaveProperty('rebuildTimeoutSeconds');
  expect(parsed.service).toBe('booking');
});

test('lifeboat plan shows the heartbeat timeout of each step that has one, in text and in --json, and none on steps without', async () => {
  const text = await lifeboatInProcess(['plan', 'region-failback']);
  expect(text.code).toBe(0);
  const entry = (name: string) => new RegExp(`^ *\\d+\\. ${name} — .*\\n(.*)$`, 'm').exec(text.stdout)?.[1] ?? '';
  expect(entry('rebuild')).toMatch(/; heartbeat timeout 30s \(a worker that dies mid-step is noticed after that long\)/);
  expect(entry('preflight')).toContain('heartbeat timeout 10s');
  expect(entry('resolve')).not.toContain('heartbeat');
  // A drill's own step carries its own: region-failover's isolated drill clones with a 30 s heartbeat timeout.
  const drill = await lifeboatInProcess(['plan', 'region-failover', '--drill', 'isolated']);
  expect(/^ *\d+\. \[drill\] drillClone — .*\n(.*)$/m.exec(drill.stdout)?.[1]).toContain('heartbeat timeout 30s');

  const json = JSON.parse((await lifeboatInProcess(['plan', 'region-failback', '--json'])).stdout) as { plan: { name: string; heartbeatTimeout?: string }[] };
  const byName = Object.fromEntries(json.plan.map((e) => [e.name, e]));
  expect(byName.rebuild?.heartbeatTimeout).toBe('30 seconds');
  expect(byName.preflight?.heartbeatTimeout).toBe('10 seconds');
  expect(byName.resolve).not.toHaveProperty('heartbeatTimeout');
  expect(byName.approve).not.toHaveProperty('heartbeatTimeout');
});
