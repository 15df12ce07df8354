import { expect, test } from 'vitest';
import { plans } from '../../plans';
import { runbooks } from '../../runbooks';
import { lifeboatInProcess } from '../helpers/cli';

/** Recovery plans through the real CLI, with no server: the catalog, the plan a commander reads, a dry run, bad input. */

test('lifeboat runbooks lists the recovery plans in their own section, after the runbooks', async () => {
  const text = await lifeboatInProcess(['runbooks']);
  expect(text.code).toBe(0);
  const [runbookSection, planSection] = text.stdout.split('\n\n');
  expect(runbookSection).toMatch(/^RUNBOOK +TITLE/);
  expect(runbookSection).not.toContain('evacuate-region');
  expect(planSection).toMatch(/^RECOVERY PLAN +TITLE +MEMBERS \(RUNBOOK\)\n/);
  expect(planSection).toMatch(/^evacuate-region +Evacuate a region.* +booking, checkin, crew, flightStatus \(region-failover\)$/m);
  expect(planSection).toMatch(/^return-home +.*\(region-failback\)$/m);

  const json = JSON.parse((await lifeboatInProcess(['runbooks', '--json'])).stdout) as { id: string; kind?: string; runbook?: string }[];
  expect(json.filter((e) => e.kind !== 'plan').map((e) => e.id)).toEqual(Object.keys(runbooks));
  expect(json.filter((e) => e.kind === 'plan').map((e) => [e.id, e.runbook])).toEqual([
    ['evacuate-region', 'plan/evacuate-region'],
    ['return-home', 'plan/return-home'],
  ]);
});

test('lifeboat plan evacuate-region shows the decision, the members in waves with their targets, the critical path and the objectives', async () => {
  const result = await lifeboatInProcess(['plan', 'evacuate-region']);
  expect(result.code).toBe(0);
  const text = result.stdout;
  expect(text).toContain('evacuate-region: Evacuate a region: move the airline core to the other one');
  // The input fields, with the choices mode takes; the members are shown for the plan's first example.
  expect(text).toMatch(/^ {2}mode +required +planned \| emergency +planned: /m);
  expect(text).toMatch(/^ {2}detectedAt +optional +date-time +when the outage was detected/m);
  expect(text).toContain(`Shown below for {"from":"A","to":"B","mode":"planned"} (the plan's first example`);
  expect(text).toContain('run ID plan/evacuate-region/A; start it with: lifeboat run evacuate-region --set from=A --set to=B --set mode=planned');
  // Who decides, including the groups the decision requires.
  expect(text).toContain(
    'needs 3 approvals from group sre-leads or group airline-ops, including 2 of group sre-leads and 1 of group airline-ops, never the requester; escalates after 5m, then every 5m; expires after 1h',
  );
  expect(text).toContain("it stands for the members' own gates (region-failover: approve)");
  // Crew and booking start together; check-in after booking; the status page last.
  expect(text).toMatch(/^ {2}1 +booking +region-failover +booking +region-failover\/booking +nobody +15m$/m);
  expect(text).toMatch(/^ {2}1 +crew +region-failover +crew +/m);
  expect(text).toMatch(/^ {2}2 +checkin +region-failover +checkin +region-failover\/checkin +booking +15m$/m);
  expect(text).toMatch(/^ {2}3 +flightStatus +region-failover +flight-status +region-failover\/flight-status +booking, checkin, crew +15m$/m);
  expect(text).toContain("Critical path (each member at its runbook's RTO objective): booking (15m) → checkin (15m) → flightStatus (15m) = 45m");
  expect(text).toContain("Objectives: RTO 45m from the plan's start (from detection when --set detectedAt is given); RPO 1m");
  expect(text).toContain("Gates that still wait for their own people: none; the plan's decision stands for every member's gates.");
  expect(text).toContain('Nothing was executed.');

  // Another input moves the other way: the targets and run IDs follow it, by either name of the plan.
  const other = JSON.parse(
    (await lifeboatInProcess(['plan', 'plan/evacuate-region', '--set', 'from=B', '--set', 'to=A', '--set', 'mode=emergency', '--json'])).stdout,
  );
  expect(other).toMatchObject({ plan: 'evacuate-region', runbook: 'plan/evacuate-region', runId: 'plan/evacuate-region/B', inputFrom: 'given' });
  expect(other.waves.map((wave: { name: string }[]) => wave.map((m) => m.name))).toEqual([['booking', 'crew'], ['checkin'], ['flightStatus']]);
  expect(other.criticalPath).toEqual({ members: ['booking', 'checkin', 'flightStatus'], seconds: 45 * 60 });
  expect(other.decision).toMatchObject({ gate: 'approve-plan', policy: { quorum: 3 } });
  expect(other.undelegatedGates).toEqual([]);
});

test('lifeboat plan refuses runbook-only flags on a plan, and --set on a runbook', async () => {
  const drill = await lifeboatInProcess(['plan', 'evacuate-region', '--drill', 'isolated']);
  expect(drill.code).toBe(2);
  expect(drill.stderr).toContain('--drill is for a runbook, and evacuate-region is a recovery plan');
  const set = await lifeboatInProcess(['plan', 'region-failover', '--set', 'service=booking']);
  expect(set.code).toBe(2);
  expect(set.stderr).toContain('--set and --input are for a recovery plan');
});

test('lifeboat run --dry-run of a plan names the plan run and shows its members, starting nothing', async () => {
  const args = ['run', 'evacuate-region', '--set', 'from=A', '--set', 'to=B', '--set', 'mode=planned', '--as', 'alice', '--dry-run'];
  // An unreachable server: a dry run never connects.
  const env = { TEMPORAL_ADDRESS: '127.0.0.1:1' };
  const text = await lifeboatInProcess(args, env);
  expect(text.code).toBe(0);
  expect(text.stdout).toMatch(/^would start plan\/evacuate-region\/A as alice with input \{"from":"A","to":"B","mode":"planned"\}\n/);
  expect(text.stdout).toContain('Decision (gate approve-plan)');
  expect(text.stdout).toMatch(/^ {2}3 +flightStatus +/m);
  const json = JSON.parse((await lifeboatInProcess([...args, '--json'], env)).stdout);
  expect(json).toMatchObject({ runId: 'plan/evacuate-region/A', runbook: 'plan/evacuate-region', target: 'A', requestedBy: 'alice' });
  // The procedure the plan's workflow runs: its gate, then a step per member.
  expect(json.plan.map((e: { name: string }) => e.name)).toEqual(['approve-plan', ...Object.keys(plans['evacuate-region']!.members)]);
  expect(json.recoveryPlan.runId).toBe('plan/evacuate-region/A');
});

test('a bad --set for a plan names the field and the fix; an unknown id lists the runbooks and the plans', async () => {
  const same = await lifeboatInProcess(['run', 'evacuate-region', '--set', 'from=A', '--set', 'to=A', '--set', 'mode=planned', '--as', 'alice', '--dry-run']);
  expect(same.code).toBe(2);
  expect(same.stdout).toBe('');
  expect(same.stderr).toContain('from and to are the same region; name the region to leave and the one to move to\n  → at to');
  expect(same.stderr).toContain('fix: fix the fields above with --set key=value or --input FILE.json; see lifeboat plan plan/evacuate-region');
  const mode = await lifeboatInProcess(['run', 'evacuate-region', '--set', 'from=A', '--set', 'to=B', '--set', 'mode=calm', '--as', 'alice', '--dry-run']);
  expect(mode.code).toBe(2);
  expect(mode.stderr).toContain('expected one of "planned"|"emergency"\n  → at mode');
  const typo = await lifeboatInProcess([
    'run',
    'evacuate-region',
    '--set',
    'from=A',
    '--set',
    'to=B',
    '--set',
    'mode=planned',
    '--set',
    'detected=now',
    '--as',
    'alice',
  ]);
  expect(typo.code).toBe(2);
  expect(typo.stderr).toContain('plan/evacuate-region has no input field detected (did you mean detectedAt?)');
  const unknown = await lifeboatInProcess(['run', 'evacuate-regoin']);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toContain('unknown runbook "evacuate-regoin"');
  expect(unknown.stderr).toContain('plans evacuate-region, return-home (see lifeboat runbooks)');
});
