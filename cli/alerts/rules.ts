import { readFileSync } from 'node:fs';
import type { Duration } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import { z } from 'zod';
import { runbooks } from '../../runbooks';
import { plans } from '../../plans';
import { planIdOf, planRunbookOf, type RunbookDefinition } from '../../kit';
import { CliError, ExitCode } from '../errors';

const DurationText = z
  .string()
  .refine(
    (s) => {
      try {
        return msToNumber(s as Duration) >= 0;
      } catch {
        return false;
      }
    },
    { message: 'a duration such as "90s", "2m" or "1h"' },
  )
  .transform((s) => msToNumber(s as Duration));

const LabelName = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'a Prometheus label name such as "region"');

/**
 * How many runs one rule may start within a sliding window, across all its targets. A burst of alerts with many
 * label values (25 teams at once) is a storm or a forgery, not 25 incidents: past the limit the rule starts nothing
 * and pages once. The default is safe for a rule with one target and bounds one with many.
 */
export const RateLimit = z
  .strictObject({
    starts: z
      .number({ error: 'a whole number of starts, such as 3' })
      .int('a whole number of starts, such as 3')
      .min(1, 'at least 1 start')
      .max(1000, 'at most 1000 starts'),
    perSeconds: z
      .number({ error: 'the window in seconds, such as 600' })
      .int('a whole number of seconds, such as 600')
      .min(1, 'a window of at least 1 second')
      .max(7 * 24 * 3600, 'a window of at most a week (604800 seconds)'),
  })
  .describe('at most `starts` runs started by this rule within any `perSeconds` seconds, whatever their targets');
export type RateLimit = z.infer<typeof RateLimit>;

/** Three starts in ten minutes: enough for a region, a retry and one more; never a run per team of a storm. */
export const defaultRateLimit: RateLimit = { starts: 3, perSeconds: 600 };

/** A plan named as `evacuate-region` or as its runbook id `plan/evacuate-region`: both mean the same plan. */
const PlanId = z
  .string()
  .transform((id) => planIdOf(id) ?? id)
  .refine((id) => Object.hasOwn(plans, id), { message: `a recovery plan id: one of ${Object.keys(plans).join(', ')}` });

/** One rule: which alerts it takes, and whether it starts a runbook or a recovery plan, or only pages. */
export const AlertRule = z
  .strictObject({
    name: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,63}$/, 'a lowercase name such as "booking-region-down"; it is recorded as the reason for every run the rule starts')
      .describe('recorded in the signed start and the receiver log'),
    match: z
      .record(LabelName, z.string())
      .refine((m) => typeof m.alertname === 'string', { message: 'name the alert: "match": {"alertname": "BookingRegionDown", ...}' })
      .describe('labels the alert must carry, with these exact values'),
    for: DurationText.default(0).describe('how long the alert must have been firing (since its startsAt) before the rule acts'),
    action: z.enum(['start', 'notify'], { error: 'use "start" (start the runbook) or "notify" (page people, start nothing)' }).default('start'),
    runbook: z
      .string()
      .refine((id) => Object.hasOwn(runbooks, id), { message: `a runbook id: one of ${Object.keys(runbooks).join(', ')}` })
      .optional()
      .describe('the runbook to start; required when action is "start"'),
    plan: PlanId.optional().describe('the recovery plan to start instead of a runbook (its run is plan/<plan>/<target>); it waits at its one gate for people'),
    input: z.record(z.string(), z.unknown()).default({}).describe("the runbook's or plan's input, as `lifeboat run --set` would give it"),
    inputFromLabels: z.record(z.string(), LabelName).default({}).describe('input fields taken from the alert\'s labels: {"team": "team"}'),
    minInterval: DurationText.default(15 * 60_000).describe('the least time between two starts of this rule on one target (anti-flap)'),
    requireReady: z.boolean().default(false).describe('check readiness first; when not ready, page instead of starting'),
    rateLimit: RateLimit.default(defaultRateLimit).describe('starts per window across targets; past it the rule starts nothing and pages once'),
  })
  .superRefine((rule, ctx) => {
    if (rule.action === 'start' && !rule.runbook && !rule.plan) {
      ctx.addIssue({ code: 'custom', path: ['runbook'], message: 'a "start" rule names the runbook it starts, such as "region-failover"' });
    }
    if (rule.runbook !== undefined && rule.plan !== undefined) {
      const message = `a rule starts one thing: keep "runbook": "${rule.runbook}" or "plan": "${rule.plan}", not both`;
      ctx.addIssue({ code: 'custom', path: ['plan'], message });
    }
    const planInRunbook = rule.runbook !== undefined && !Object.hasOwn(runbooks, rule.runbook) ? (planIdOf(rule.runbook) ?? rule.runbook) : undefined;
    if (planInRunbook !== undefined && Object.hasOwn(plans, planInRunbook)) {
      ctx.addIssue({ code: 'custom', path: ['runbook'], message: `${planInRunbook} is a recovery plan: write "plan": "${planInRunbook}" instead` });
    }
    if (rule.plan !== undefined && rule.requireReady) {
      // The receiver's readiness check (the readinessCheck workflow) evaluates one runbook, not a plan's members.
      const message = `the receiver checks readiness of runbooks only; drop requireReady, and see lifeboat readiness ${rule.plan} for the plan's`;
      ctx.addIssue({ code: 'custom', path: ['requireReady'], message });
    }
    const runbook = rule.runbook !== undefined && Object.hasOwn(runbooks, rule.runbook) ? runbooks[rule.runbook] : undefined;
    const plan = rule.plan !== undefined && Object.hasOwn(plans, rule.plan) ? plans[rule.plan] : undefined;
    const input = (runbook ?? plan)?.input;
    const shape = (input as unknown as { shape?: Record<string, unknown> } | undefined)?.shape;
    if ((!runbook && !plan) || (runbook && plan) || !shape) return;
    const named = runbook ? runbook.id : `plan ${plan!.id}`;
    const seeId = runbook ? runbook.id : plan!.id;
    for (const [where, fields] of [
      ['input', Object.keys(rule.input)],
      ['inputFromLabels', Object.keys(rule.inputFromLabels)],
    ] as const) {
      for (const field of fields) {
        if (!Object.hasOwn(shape, field)) {
          const message = `${named} has no input field "${field}"; its fields are ${Object.keys(shape).join(', ')} (see lifeboat plan ${seeId})`;
          ctx.addIssue({ code: 'custom', path: [where, field], message });
        }
      }
    }
  });
export type AlertRule = z.infer<typeof AlertRule>;

/** The rules file `lifeboat alerts serve --rules FILE` reads. */
export const AlertRules = z.strictObject({ rules: z.array(AlertRule).min(1, 'list at least one rule') }).superRefine((file, ctx) => {
  const seen = new Set<string>();
  file.rules.forEach((rule, i) => {
    if (seen.has(rule.name)) {
      ctx.addIssue({ code: 'custom', path: ['rules', i, 'name'], message: `"${rule.name}" is used twice; give each rule its own name` });
    }
    seen.add(rule.name);
  });
});
export type AlertRules = z.infer<typeof AlertRules>;

/** Reads and checks a rules file; every error names the file, the path inside it and the fix. Exit 2. */
export function loadAlertRules(file: string): AlertRules {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(`cannot read the rules file ${file}: ${code ?? (err as Error).message}`, {
      code: 'rules-file',
      suggestion: code
        ? 'pass an existing file with --rules (or LIFEBOAT_ALERT_RULES)'
        : 'write it as JSON: {"rules": [{"name": ..., "match": {"alertname": ...}, ...}]}',
      exitCode: ExitCode.usage,
    });
  }
  const parsed = AlertRules.safeParse(json);
  if (!parsed.success) {
    throw new CliError(`invalid rules file ${file}:\n${z.prettifyError(parsed.error)}`, {
      code: 'rules-file',
      suggestion: 'fix the fields named above; see "Alert-triggered runs" in the README for an example',
      exitCode: ExitCode.usage,
    });
  }
  return parsed.data;
}

/**
 * What a "start" rule starts, as a runbook: its runbook, or its plan as the runbook the plan runs as (`plan/<id>`,
 * workflow type recoveryPlan), so the receiver starts, signs and dedupes both alike. Undefined for a "notify" rule.
 */
export function startedBy(rule: AlertRule): RunbookDefinition | undefined {
  if (rule.plan !== undefined) return planRunbookOf(plans[rule.plan]!);
  return rule.runbook !== undefined ? runbooks[rule.runbook] : undefined;
}

/** The first rule whose labels all match the alert's, or undefined. */
export function ruleFor(rules: AlertRules, labels: Record<string, string>): AlertRule | undefined {
  return rules.rules.find((rule) => Object.entries(rule.match).every(([k, v]) => labels[k] === v));
}
