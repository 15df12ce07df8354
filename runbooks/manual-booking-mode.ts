import { z } from 'zod';
import { defineRunbook, drillCheck, gate, step } from '../kit';
import { ranged, type InputRanges } from './ranges';
import { Region } from './region';
import { text } from './text';

/** The one service manual booking mode acts on: booking goes to the counters; the services sharing its database stay online. */
export const MANUAL_BOOKING_SERVICE = 'booking';

const station = z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'a station id like ATL-T1-03');

/**
 * The input, with its numbers built by `r`. While the mode lasts the run refreshes status on a timer, and each refresh
 * adds about a dozen events to its history: at the floor of one a minute a hold can last about three days before
 * Temporal's 51,200-event limit (status warns at 60%), at the default of 15 over six weeks.
 */
function manualBookingModeInput(r: InputRanges) {
  return z.object({
    service: z.enum([MANUAL_BOOKING_SERVICE]).default(MANUAL_BOOKING_SERVICE).describe('the service switched to manual mode'),
    reason: text('reason', 1000)
      .trim()
      .min(1, 'say why booking goes manual (it is told to the stations)')
      .describe('why booking goes manual, told to every station; up to 1000 characters, since it is the paragraph counter staff act on'),
    incident: text('incident').trim().min(1, 'the incident id, such as INC-4711').describe('the incident this run belongs to, such as INC-4711'),
    stations: z
      .preprocess(
        (v) =>
          typeof v === 'string'
            ? v
                .split(',')
                .map((s) => s.trim())
                .filter(Boolean)
            : v,
        z.array(station).min(1, 'name at least one station to notify').max(1000, 'stations takes at most 1000 stations; run once per group of stations'),
      )
      .describe(
        'stations told to switch to the counter ledger: a list, or comma-separated; up to 1000 a run, so a larger network runs once per group of stations',
      ),
    mode: z.enum(['manual', 'read-only']).default('manual').describe('read-only when the database still serves reads'),
    region: Region.optional().describe('the region to act on, as the targets file names it; by default the one booking is served from'),
    refreshMinutes: r
      .number('refreshMinutes', {
        min: 1,
        max: 24 * 60,
        unit: 'minutes',
        belowMin: "every refresh adds to the run's history, and faster ones would reach Temporal's history limit while the stations still book by hand",
        aboveMax: 'status would go more than a day without news of the ledger and the database',
      })
      .default(15)
      .describe('how often status refreshes the ledger and database health while the mode lasts'),
    databaseRecheckSeconds: r
      .number('databaseRecheckSeconds', {
        min: 1,
        max: 3600,
        unit: 'seconds',
        belowMin: 'a database that is down is not back within a second',
        aboveMax: 'the return would wait more than an hour to notice a database that is back',
      })
      .default(30)
      .describe('after resume, the first wait before an unhealthy database is checked again; it doubles up to the refresh interval'),
    drillHoldSeconds: r
      .number('drillHoldSeconds', {
        min: 1,
        max: 24 * 3600,
        unit: 'seconds',
        belowMin: 'the drill must hold in the mode for a moment',
        aboveMax: 'an unattended drill holding for more than a day keeps its scratch service up for nothing',
      })
      .default(60)
      .describe('in an isolated drill approved by policy, how long the scratch service holds in the mode before the policy resumes it'),
  });
}

export const ManualBookingModeInput = manualBookingModeInput(ranged);
export type ManualBookingModeInput = z.infer<typeof ManualBookingModeInput>;

const approvalPolicy = {
  approvers: { groups: ['airline-ops'] },
  quorum: 1,
  escalateAfter: '10 minutes',
  escalateEvery: '10 minutes',
  expireAfter: '4 hours',
} as const;

/**
 * The fallback of July 2024 as a controlled procedure: stations take bookings by hand in the offline ledger while
 * booking is down, and the way back applies each of those bookings exactly once, with every conflict decided by
 * a person and reported.
 */
export const manualBookingMode = defineRunbook({
  id: 'manual-booking-mode',
  title: 'Manual booking mode, then reconcile and return to normal',
  description:
    'Switch booking to manual (or read-only) mode so stations record bookings in the offline ledger; hold until `lifeboat resume`; then reconcile the ledger into the database, resolve conflicts with the operator, and return to normal.',
  workflowType: 'manualBookingMode',
  input: ManualBookingModeInput,
  target: (input) => input.service,
  /** Stations booking at the counter within 15 minutes of the call: the July 2024 lesson. */
  objectives: { rtoSeconds: 15 * 60 },
  // What the counters did when a vendor's update took the booking hosts down (July 2024).
  scenarios: ['vendor-fault'],
  readinessTarget: 'booking',
  readiness: [
    {
      name: 'ledger-writable',
      verifies: 'the offline ledger of the region booking is served from can be written by the counter staff',
      fix: "make the ledger folder writable by the booking service's user, and check its disk has room",
      probe: { kind: 'ledger-writable' },
    },
    {
      name: 'stations-known',
      verifies: 'the estate lists the stations to tell when booking goes manual',
      fix: 'list the stations in the estate catalog (stations: ["ATL-T1-03", ...]); until then each run names them in --set stations=',
      probe: { kind: 'stations-known' },
    },
    drillCheck(7),
  ],
  procedure: {
    findRegion: step({ uses: ['traffic', 'serviceMode'], title: 'Find the region booking is served from', timeout: '30 seconds' }),
    approveEntry: gate({ title: 'Airline operations approves switching stations to manual booking', policy: approvalPolicy }),
    switchMode: step({
      uses: ['serviceMode'],
      title: 'Switch booking to the fallback mode',
      timeout: '30 seconds',
      undo: 'Restore the mode booking had before',
    }),
    verifyRefused: step({ uses: ['serviceMode'], title: 'Verify online booking is refused, naming the mode', timeout: '30 seconds' }),
    verifyLedger: step({ uses: ['serviceMode'], title: 'Verify counter staff can record in the offline ledger (a marked check entry)', timeout: '30 seconds' }),
    notifyStations: step({ title: 'Tell the stations to book at the counter', timeout: '30 seconds', skippable: true }),
    checkDatabase: step({ uses: ['serviceMode'], title: 'Check the booking database is reachable and writable', timeout: '30 seconds' }),
    // The return belongs to the people at the desks, who know when the counters are ready to go back online: a plan's
    // approval never stands for it.
    approveReturn: gate({ title: 'Airline operations approves the return to online booking', policy: approvalPolicy, delegable: false }),
    reconcile: step({
      uses: ['serviceMode'],
      title: 'Apply the offline ledger to the database, once per idempotency key',
      timeout: '2 hours',
      heartbeatTimeout: '10 seconds',
      // Retried as the same activity, so a new attempt after a worker crash resumes from the last heartbeat.
      activityRetry: { maximumAttempts: 5, initialInterval: '2 seconds', maximumInterval: '30 seconds' },
    }),
    applyResolutions: step({ uses: ['serviceMode'], title: 'Carry out the decided conflicts', timeout: '10 minutes' }),
    switchBack: step({ uses: ['serviceMode'], title: 'Switch booking back to normal', timeout: '30 seconds' }),
    verifyOnline: step({ uses: ['serviceMode'], title: 'Verify an online booking succeeds', timeout: '30 seconds' }),
    notifyBack: step({ title: 'Tell the stations online booking is back: stop recording in the ledger', timeout: '30 seconds', skippable: true }),
    account: step({ uses: ['serviceMode'], title: 'Sweep the lines recorded meanwhile, and account for every ledger line', timeout: '10 minutes' }),
    notifyReturn: step({ title: 'Report: time in the mode, entries applied, conflicts and how each was resolved', timeout: '30 seconds', skippable: true }),
  },
  drills: {
    // It runs on a scratch booking service (its own port, database and ledger) that it builds first and removes
    // last, and records counter bookings there as stations would.
    isolated: {
      summary: 'runs the procedure on a scratch booking service with its own database and ledger, which it builds first and removes last; no station is paged',
      steps: {
        drillBuild: step({
          title: 'Drill: start a scratch booking service with its own database and ledger',
          undo: 'Stop the scratch booking service, drop its database and delete its ledger',
          timeout: '2 minutes',
          activityRetry: { maximumAttempts: 3, initialInterval: '1 second' },
          retry: { maximumAttempts: 3 },
        }),
        drillSeedLedger: step({
          title: 'Drill: record counter bookings in the scratch ledger, as the stations would',
          timeout: '2 minutes',
          activityRetry: { maximumAttempts: 3, initialInterval: '1 second' },
          retry: { maximumAttempts: 3 },
        }),
        drillCleanup: step({
          title: 'Drill: stop the scratch booking service, drop its database and delete its ledger',
          timeout: '2 minutes',
          activityRetry: { maximumAttempts: 3, initialInterval: '1 second' },
          retry: { maximumAttempts: 5 },
        }),
      },
      order: [
        'findRegion',
        'drillBuild',
        'approveEntry',
        'switchMode',
        'verifyRefused',
        'verifyLedger',
        'notifyStations',
        'drillSeedLedger',
        'checkDatabase',
        'approveReturn',
        'reconcile',
        'applyResolutions',
        'switchBack',
        'verifyOnline',
        'notifyBack',
        'account',
        'notifyReturn',
        'drillCleanup',
      ],
    },
  },
});
