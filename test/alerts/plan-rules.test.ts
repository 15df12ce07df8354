import { expect, test } from 'vitest';
import { z } from 'zod';
import { AlertRules, startedBy } from '../../cli/alerts/rules';

/** Alert rules that start a recovery plan, checked as the receiver checks its rules file at start. */

const planRule = {
  name: 'region-a-down',
  match: { alertname: 'BookingRegionDown', region: 'A' },
  for: '2m',
  plan: 'evacuate-region',
  input: { to: 'B', mode: 'emergency' },
  inputFromLabels: { from: 'region' },
};

/** What a person reads when the rules file is refused: each problem with its path. */
function refusal(rules: unknown[]): string {
  const parsed = AlertRules.safeParse({ rules });
  expect(parsed.success).toBe(false);
  return z.prettifyError(parsed.error!);
}

test('a rule can start a plan by its id or as plan/<id>, and starts it as the runbook the plan runs as', () => {
  const [byId, byRunbookId] = AlertRules.parse({ rules: [planRule, { ...planRule, name: 'region-a-down-2', plan: 'plan/evacuate-region' }] }).rules;
  expect(byId!.plan).toBe('evacuate-region');
  expect(byRunbookId!.plan).toBe('evacuate-region');
  expect(startedBy(byId!)).toMatchObject({ id: 'plan/evacuate-region', workflowType: 'recoveryPlan' });
  // A runbook rule starts its runbook as before.
  const [runbookRule] = AlertRules.parse({ rules: [{ name: 'pager', match: { alertname: 'TeamPagerDown' }, runbook: 'paging-check' }] }).rules;
  expect(startedBy(runbookRule!)).toMatchObject({ id: 'paging-check', workflowType: 'pagingCheck' });
});

test('an unknown plan is refused with the plans there are', () => {
  expect(refusal([{ ...planRule, plan: 'evacuate-everything' }])).toContain('✖ a recovery plan id: one of evacuate-region, return-home\n  → at rules[0].plan');
});

test('a plan named as a runbook is refused with the field to use instead', () => {
  const { plan: _plan, ...rest } = planRule;
  const text = refusal([{ ...rest, runbook: 'evacuate-region' }]);
  expect(text).toContain('✖ evacuate-region is a recovery plan: write "plan": "evacuate-region" instead\n  → at rules[0].runbook');
});

test("an input field the plan lacks is refused, in input and in inputFromLabels, naming the plan's fields", () => {
  const text = refusal([{ ...planRule, input: { to: 'B', mode: 'emergency', service: 'booking' }, inputFromLabels: { source: 'region' } }]);
  expect(text).toContain(
    '✖ plan evacuate-region has no input field "service"; its fields are from, to, mode, detectedAt (see lifeboat plan evacuate-region)\n  → at rules[0].input.service',
  );
  expect(text).toContain('✖ plan evacuate-region has no input field "source"; its fields are from, to, mode, detectedAt (see lifeboat plan evacuate-region)');
  expect(text).toContain('→ at rules[0].inputFromLabels.source');
});

test('a rule names a runbook or a plan, not both; and a plan rule cannot require readiness', () => {
  expect(refusal([{ ...planRule, runbook: 'region-failover' }])).toContain(
    '✖ a rule starts one thing: keep "runbook": "region-failover" or "plan": "evacuate-region", not both\n  → at rules[0].plan',
  );
  expect(refusal([{ ...planRule, requireReady: true }])).toContain(
    "✖ the receiver checks readiness of runbooks only; drop requireReady, and see lifeboat readiness evacuate-region for the plan's\n  → at rules[0].requireReady",
  );
});
