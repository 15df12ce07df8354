import { msToNumber } from '@temporalio/common/lib/time';
import { z } from 'zod';
import { defineRunbook, drillCheck, gate, step } from '../kit';
import { ranged, type InputRanges } from './ranges';
import { Region } from './region';
import { list, text } from './text';

/** A duration as Temporal writes it (`30 seconds`, `4h`), checked here so a typo fails before the run starts. */
const Duration = z
  .string()
  .max(64, 'a duration is at most 64 characters, such as "30 seconds"')
  .refine((text) => {
    try {
      return msToNumber(text as Parameters<typeof msToNumber>[0]) >= 0;
    } catch {
      return false;
    }
  }, 'write a duration such as "30 seconds", "15m" or "4 hours"');

/** Which hosts the run covers; every given field must match. Scope membership never changes during a run. */
export const HostScope = z.object({
  region: Region.optional().describe('hosts of this region, as the fleet API names it; a filter, so a region with no hosts selects none'),
  role: z.enum(['kiosk', 'gate', 'booking']).optional(),
  /** Every tag must be on the host. */
  tags: list('scope.tags', text('scope.tags[]').min(1), 32).default([]).describe('tags every host must carry; at most 32'),
});
export type HostScope = z.infer<typeof HostScope>;

/** A share of the affected hosts, such as `"25%"`: at most a hundred waves, however large the fleet. */
/** Each wave's fleet calls: Temporal tries one up to 5 times before the step's own attempt counts as failed. */
const waveActivityRetry = { maximumAttempts: 5, initialInterval: '1 second' } as const;
/** The isolated drill's calls on its scratch fleet, likewise up to 3 times. */
const scratchFleetActivityRetry = { maximumAttempts: 3, initialInterval: '1 second' } as const;

const Share = z.string().regex(/^(100|[1-9]\d?)%$/, 'a share in waves.sizes is from "1%" to "100%", such as "25%"');

/**
 * A wave's size: a number of hosts, or a share of the affected hosts such as `"25%"`. Each wave is a step of the run, a
 * few events in its history: one host a wave would make 10,000 affected hosts 10,000 steps, past Temporal's event
 * limit; five a wave keeps them at 2,000 waves, under a quarter of it.
 */
function waveSize(r: InputRanges) {
  const fix = 'give waves.sizes host counts from 5 to 100000, or shares from "1%" to "100%"';
  const count = r.number('a host count in waves.sizes', {
    min: 5,
    max: 100_000,
    unit: 'hosts',
    integer: true,
    belowMin: "smaller waves make a step per host or two, and a large fleet would then outgrow the run's history",
    aboveMax: 'no fleet here is that large',
    fix,
  });
  return z.union([count, Share], { error: `each of waves.sizes is a host count or a share: ${fix}` });
}
export const WaveSize = waveSize(ranged);
export type WaveSize = z.infer<typeof WaveSize>;

/** How the fix is rolled out: a canary, then waves; the last size repeats until every affected host had its wave. */
function wavePlan(r: InputRanges) {
  return z.object({
    canary: r
      .number('waves.canary', {
        min: 1,
        max: 1000,
        unit: 'hosts',
        integer: true,
        belowMin: 'the canary proves the fix on at least one host before anyone approves the rest',
        aboveMax: 'a canary that large is a wave; use waves.sizes',
      })
      .default(2)
      .describe('affected hosts in the canary wave'),
    sizes: z
      .array(waveSize(r))
      .min(1)
      .max(100, 'waves.sizes takes at most 100 sizes; the last one repeats until every affected host had its wave')
      .default(['10%', '30%', '100%'])
      .describe('each later wave: a host count (at least 5) or a share of the affected hosts (1% to 100%)'),
    concurrency: r
      .number('waves.concurrency', {
        min: 1,
        max: 1000,
        unit: 'hosts',
        integer: true,
        belowMin: 'a wave acts on at least one host at a time',
        aboveMax: 'the fleet console takes at most 1000 actions at once',
      })
      .default(100)
      .describe('hosts acted on at once within a wave'),
    soak: r
      .duration('waves.soak', {
        min: '0 seconds',
        max: '10 minutes',
        belowMin: 'a pause is never negative',
        aboveMax: "a wave's batches and pauses must fit in its 2-hour step timeout",
      })
      .default('0 seconds')
      .describe('pause after each batch so hosts can report back before the next one'),
  });
}
export const WavePlan = wavePlan(ranged);
export type WavePlan = z.infer<typeof WavePlan>;

function isolateVendorModuleInput(r: InputRanges) {
  return z
    .object({
      module: text('module').min(1).default('falcon-sensor-content').describe("the vendor's module that is quarantined"),
      badVersion: text('badVersion').min(1).describe('the faulty content version or id, e.g. C-00000291'),
      goodVersion: text('goodVersion').min(1).describe('the last-known-good version the hosts roll back and stay pinned to'),
      scope: HostScope.prefault({}),
      waves: wavePlan(r).prefault({}),
      failureThreshold: r
        .number('failureThreshold', {
          min: 0,
          max: 1,
          belowMin: 'it is a share of a wave (0 stops at the first failure)',
          aboveMax: 'it is a share of a wave (1 never stops)',
        })
        .default(0.2)
        .describe('share of a wave that may fail remotely before the rollout stops'),
      handsOnDeadline: r
        .duration('handsOnDeadline', {
          min: '0 seconds',
          max: '14 days',
          belowMin: 'a deadline is never in the past',
          aboveMax: 'a run that waits longer for hands-on repairs is better closed, with waivers',
        })
        .default('4 hours')
        .describe('how long the run waits for hands-on repairs'),
      drillCrashRate: r
        .number('drillCrashRate', {
          min: 0,
          max: 1,
          belowMin: 'it is a share of the scratch hosts',
          aboveMax: 'it is a share of the scratch hosts (1 crashes them all)',
        })
        .default(0.3)
        .describe('isolated drills only: share of the scratch hosts the reproduced faulty update crashes'),
    })
    .refine((input) => input.badVersion !== input.goodVersion, { message: 'the good version must differ from the bad one', path: ['goodVersion'] });
}

export const IsolateVendorModuleInput = isolateVendorModuleInput(ranged);
export type IsolateVendorModuleInput = z.infer<typeof IsolateVendorModuleInput>;

/** The scope as a run target: `fleet`, `A`, `A-kiosk`, `kiosk-bitlocker`; one run per scope at a time. */
export function scopeLabel(scope: HostScope): string {
  return [scope.region, scope.role, ...scope.tags].filter(Boolean).join('-') || 'fleet';
}

/**
 * The CrowdStrike case: a vendor's content update crashes hosts. Stop the spread first (no meeting needed),
 * then bring hosts back in controlled waves, and track the hosts that need a person's hands.
 */
export const isolateVendorModule = defineRunbook({
  id: 'isolate-vendor-module',
  title: 'Isolate a faulty vendor module across the fleet',
  description:
    'Pin the update channel to the last-known-good version, fix a canary, then the rest in waves (quarantine, roll back, reboot, verify), track hands-on repairs, and report recovery times.',
  workflowType: 'isolateVendorModule',
  input: IsolateVendorModuleInput,
  target: (input) => scopeLabel(input.scope),
  objectives: { rtoSeconds: 4 * 60 * 60 },
  // Not `cyber`: it treats the update as faulty, not hostile. It rolls back to the same vendor's last-known-good
  // content and does no forensics, credential rotation or check that the rollback itself is clean, so claiming a
  // cyber rehearsal for it would overstate what was tested.
  scenarios: ['vendor-fault'],
  readinessTarget: 'fleet',
  readiness: [
    {
      name: 'fleet-api',
      verifies: "the fleet manager's API answers",
      fix: 'restore the fleet manager or its network path; containment needs it',
      probe: { kind: 'fleet-api' },
    },
    {
      name: 'last-known-good',
      verifies: 'the hosts name a last-known-good content version to pin the update channel to and roll back to',
      fix: 'record a last-known-good version with the vendor console before the next update',
      probe: { kind: 'last-known-good' },
    },
    drillCheck(7),
  ],
  procedure: {
    assess: step({ uses: ['fleet'], title: 'Assess the blast radius: hosts in scope that are down or carry the bad version', timeout: '5 minutes' }),
    contain: step({
      uses: ['fleet'],
      title: 'Contain: pin the update channel of every host in scope to the last-known-good version, and verify',
      timeout: '5 minutes',
    }),
    canary: step({
      uses: ['fleet'],
      title: 'Canary wave: quarantine the module, roll back, reboot, verify health',
      timeout: '2 hours',
      heartbeatTimeout: '10 seconds',
      // Temporal retries the wave's activity itself, and a retry resumes from the last heartbeat on the same request ids.
      activityRetry: waveActivityRetry,
      retry: { maximumAttempts: 2 },
      skippable: true,
    }),
    continueRollout: gate({
      title: 'Continue the rollout after the canary',
      policy: {
        approvers: { groups: ['sre-oncall', 'sre-leads'] },
        quorum: 1,
        escalateAfter: '10 minutes',
        escalateEvery: '10 minutes',
        expireAfter: '2 hours',
      },
    }),
    wave: step({
      uses: ['fleet'],
      title: 'Wave: quarantine the module, roll back, reboot, verify health; stops over the failure threshold',
      timeout: '2 hours',
      heartbeatTimeout: '10 seconds',
      // Temporal retries the wave's activity itself, and a retry resumes from the last heartbeat on the same request ids.
      activityRetry: waveActivityRetry,
      retry: { maximumAttempts: 2 },
      skippable: true,
    }),
    handsOn: step({
      uses: ['fleet'],
      title: 'Hands-on queue: wait until each host that needs a person is done or waived, or the deadline',
      retry: { maximumAttempts: 1 },
    }),
    verify: step({
      uses: ['fleet'],
      title: 'Verify: every host in scope healthy or waived, and the channel pinned to the last-known-good version',
      timeout: '5 minutes',
      retry: { maximumAttempts: 2 },
    }),
    report: step({ title: 'Report: time to containment and to recovery, fixed remotely against by hand, waivers', timeout: '1 minute', skippable: true }),
  },
  drills: {
    // It rehearses on a scratch copy of the scope's hosts that production selectors never match, and removes it at
    // the end; removing it is also the build's undo, so it always runs.
    isolated: {
      summary:
        "runs the procedure on a scratch copy of the scope's hosts, in a namespace of their own, with the faulty update reproduced on it; production's hosts are never touched",
      steps: {
        drillBuild: step({
          uses: ['fleet'],
          title: "Drill: build a scratch fleet, a fresh copy of the scope's hosts in a namespace of its own",
          undo: 'Remove the scratch fleet and its hosts',
          timeout: '1 minute',
          activityRetry: scratchFleetActivityRetry,
          retry: { maximumAttempts: 3 },
        }),
        drillReproduce: step({
          uses: ['fleet'],
          title: 'Drill: reproduce the faulty update on the scratch fleet only',
          timeout: '1 minute',
          activityRetry: scratchFleetActivityRetry,
          retry: { maximumAttempts: 3 },
        }),
        drillCleanup: step({
          uses: ['fleet'],
          title: 'Drill: remove the scratch fleet and its hosts',
          timeout: '1 minute',
          activityRetry: scratchFleetActivityRetry,
          retry: { maximumAttempts: 5 },
        }),
      },
      order: ['drillBuild', 'drillReproduce', 'assess', 'contain', 'canary', 'continueRollout', 'wave', 'handsOn', 'verify', 'report', 'drillCleanup'],
    },
  },
});
