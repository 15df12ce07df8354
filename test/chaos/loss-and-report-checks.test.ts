import { expect, test } from 'vitest';
import {
  checkLostWrites,
  checkReportNumbers,
  EMERGENCY_WITHIN_RPO,
  LOSS_UNCHECKED,
  PLANNED_LOSES_NOTHING,
  recordedRpoOf,
  REPORT_MATCHES_WORLD,
  type ServiceLoadMeasure,
} from '../../chaos/invariants';
import { lostSeconds } from '../../chaos/invariants/load';
import type { RunReport } from '../../cli/report/model';

const load = (over: Partial<ServiceLoadMeasure> = {}): ServiceLoadMeasure => ({
  service: 'booking',
  acknowledged: 200,
  lost: 0,
  lostKeys: [],
  lostSeconds: 0,
  outages: [],
  ...over,
});
const lossy = load({ lost: 2, lostKeys: ['load-AB12-198', 'load-AB12-199'], lostSeconds: 0.1 });

test('a planned failover passes when nothing acknowledged was lost, and fails naming the keys when something was', () => {
  expect(checkLostWrites([load()], { mode: 'planned' })).toEqual([]);
  expect(checkLostWrites([lossy], { mode: 'planned' })).toEqual([
    { invariant: PLANNED_LOSES_NOTHING, evidence: 'booking: 2 of 200 acknowledged writes lost (first: load-AB12-198, load-AB12-199)' },
  ]);
});

test('an emergency failover may lose what it recorded, not one write more, and not for a service it recorded nothing for', () => {
  const emergency = (recordedRpo: { service: string; lostWrites?: number; seconds?: number }[]) => checkLostWrites([lossy], { mode: 'emergency', recordedRpo });
  expect(emergency([{ service: 'booking', lostWrites: 2, seconds: 0.1 }])).toEqual([]);
  expect(emergency([{ service: 'booking', lostWrites: 1 }])).toEqual([
    { invariant: EMERGENCY_WITHIN_RPO, evidence: expect.stringMatching(/^booking: 2 of 200 acknowledged writes lost .*; the run recorded 1 lost writes$/) },
  ]);
  expect(emergency([{ service: 'checkin', lostWrites: 2 }])).toEqual([
    { invariant: EMERGENCY_WITHIN_RPO, evidence: expect.stringContaining('the run recorded no RPO for it') },
  ]);
  expect(checkLostWrites([load()], { mode: 'emergency', recordedRpo: [] })).toEqual([]);
});

test("the RPO a run recorded is read from its report's measurements, under the service it moved", () => {
  const recorded = recordedRpoOf({ target: 'booking', measurements: { rtoSeconds: 20, rpoWrites: 2, rpoSeconds: 0.4, rpoBytes: 512 } });
  expect(recorded).toEqual({ service: 'booking', lostWrites: 2, seconds: 0.4 });
  expect(checkLostWrites([lossy], { mode: 'emergency', recordedRpo: [recorded] })).toEqual([]);
  expect(recordedRpoOf({ target: 'booking', measurements: {} })).toEqual({ service: 'booking' });
});

test("an emergency failover's loss may reach back as far as its recorded RPO in seconds, within a second's slack, not further", () => {
  const reaching = (seconds: number) =>
    checkLostWrites([load({ ...lossy, lostSeconds: seconds })], { mode: 'emergency', recordedRpo: [{ service: 'booking', seconds: 2 }] });
  expect(reaching(2.8)).toEqual([]);
  expect(reaching(3.5)).toEqual([
    { invariant: EMERGENCY_WITHIN_RPO, evidence: expect.stringContaining('the loss reaches back 3.500 s, the run recorded 2 s') },
  ]);
});

test('writes the load could not check are a violation of their own, whatever the mode', () => {
  const unchecked = load({ uncheckable: 'HTTP 503' });
  const expected = [{ invariant: LOSS_UNCHECKED, evidence: 'booking: 200 acknowledged writes, unchecked: HTTP 503' }];
  expect(checkLostWrites([unchecked], { mode: 'planned' })).toEqual(expected);
  expect(checkLostWrites([unchecked], { mode: 'emergency', recordedRpo: [{ service: 'booking', lostWrites: 5 }] })).toEqual(expected);
});

test('a loss reaches from the newest write that survived before it to the newest lost write; an unnoted time is the next noted one', () => {
  const keys = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5'];
  const noted = new Map(keys.map((k, i) => [k, 1_000 + i * 100]));
  expect(lostSeconds(keys, new Set(['k3', 'k4']), noted, 0)).toBe(0.2);
  noted.delete('k4');
  expect(lostSeconds(keys, new Set(['k3', 'k4']), noted, 0)).toBe(0.3);
  // Nothing survived before the loss: it reaches back to the load's start.
  expect(lostSeconds(keys, new Set(['k0']), noted, 500)).toBe(0.5);
  expect(lostSeconds(keys, new Set(), noted, 0)).toBe(0);
});

// A planned switch: the run starts at 12:00:00, drains at +10 s, restores traffic at +14 s (a 4 s outage).
const t0 = Date.parse('2026-12-05T12:00:00.000Z');
const at = (s: number) => new Date(t0 + s * 1000).toISOString();
const report = (over: Partial<RunReport> = {}) => ({
  runId: 'region-failover/booking',
  target: 'booking',
  startedAt: at(0),
  path: [
    { milestone: 'run started' as const, at: at(0), atMs: 0, elapsedSeconds: 0 },
    { milestone: 'traffic restored' as const, at: at(14), atMs: 14_000, elapsedSeconds: 14 },
  ],
  timeline: [{ label: 'drain', kind: 'work' as const, startMs: 10_000, endMs: 10_200, outcome: 'succeeded' }],
  measurements: { rtoSeconds: 20, rpoWrites: 0 },
  ...over,
});
const outage = (from: number, to: number | null) => ({ from: at(from), to: to === null ? null : at(to), durationMs: to === null ? 0 : (to - from) * 1000 });

test("the report's outage, drain to traffic restored, agrees with the load's within a second; a longer or unended one does not", () => {
  expect(checkReportNumbers(report(), [load({ outages: [outage(10.05, 14.3)] })])).toEqual([]);
  // An earlier blip far from the switch is another outage, not this one.
  expect(checkReportNumbers(report(), [load({ outages: [outage(2, 2.5), outage(10.05, 14.3)] })])).toEqual([]);
  expect(checkReportNumbers(report(), [load({ outages: [outage(10.05, 16.5)] })])).toEqual([
    {
      invariant: REPORT_MATCHES_WORLD,
      evidence:
        "region-failover/booking (booking): the report's outage lasted 4.000 s (2026-12-05T12:00:10.000Z to 2026-12-05T12:00:14.000Z), " +
        "the load's 6.450 s (2026-12-05T12:00:10.050Z to 2026-12-05T12:00:16.500Z): more than 1 s apart",
    },
  ]);
  expect(checkReportNumbers(report(), [load({ outages: [outage(10.05, null)] })])).toEqual([
    { invariant: REPORT_MATCHES_WORLD, evidence: expect.stringContaining("the load's still open") },
  ]);
  // A report of a 4 s outage the load never saw is as wrong as one it saw longer.
  expect(checkReportNumbers(report(), [load()])).toEqual([{ invariant: REPORT_MATCHES_WORLD, evidence: expect.stringContaining("the load's 0.000 s") }]);
});

test('a report whose switch ran twice gives its restoration as a window, and agrees when the load recovered inside it', () => {
  // The worker died inside the switch at +10.3 s, after HAProxy took it; the rerun finished at +30 s.
  const rerun = report({
    path: [
      { milestone: 'run started', at: at(0), atMs: 0, elapsedSeconds: 0 },
      { milestone: 'traffic restored', at: at(30), atMs: 30_000, elapsedSeconds: 30, earliest: at(10.3) },
    ],
  });
  expect(checkReportNumbers(rerun, [load({ outages: [outage(10.05, 10.8)] })])).toEqual([]);
  expect(checkReportNumbers(rerun, [load({ outages: [outage(10.05, 29.5)] })])).toEqual([]);
  // Clients down past the window's end: the report still claims too early.
  expect(checkReportNumbers(rerun, [load({ outages: [outage(10.05, 33)] })])).toEqual([
    { invariant: REPORT_MATCHES_WORLD, evidence: expect.stringContaining('or from 2026-12-05T12:00:10.300Z on') },
  ]);
});

test('a drain that took long (its first attempt lost with a dead worker) took clients away somewhere within its bar', () => {
  const slowDrain = report({ timeline: [{ label: 'drain', kind: 'work' as const, startMs: 10_000, endMs: 13_500, outcome: 'succeeded' }] });
  // Clients lost service only when the retried drain took effect at +13.4 s; the report's outage still agrees.
  expect(checkReportNumbers(slowDrain, [load({ outages: [outage(13.4, 14.2)] })])).toEqual([]);
  // A quick drain leaves no such room: the same load outage is too short for it.
  expect(checkReportNumbers(report(), [load({ outages: [outage(13.4, 14.2)] })])).toHaveLength(1);
});

test('an emergency report counts its outage from detection, as the load saw it from the failure', () => {
  const detected = report({
    path: [{ milestone: 'detected', at: at(-30), atMs: -30_000, elapsedSeconds: 0 }, ...report().path],
    measurements: { rtoSeconds: 20, rtoFromDetectionSeconds: 50, rpoWrites: 0 },
  });
  expect(checkReportNumbers(detected, [load({ outages: [outage(-29.9, 14.2)] })])).toEqual([]);
  expect(checkReportNumbers(report(), [load({ outages: [outage(-29.9, 14.2)] })])).toHaveLength(1);
});

test('the lost writes the report gives are exactly those the load found missing; no count is right only when nothing was lost', () => {
  const switched = [outage(10.05, 14.3)];
  expect(checkReportNumbers(report({ measurements: { rpoWrites: 2 } }), [load({ ...lossy, outages: switched })])).toEqual([]);
  expect(checkReportNumbers(report({ measurements: { rpoWrites: 1 } }), [load({ ...lossy, outages: switched })])).toEqual([
    { invariant: REPORT_MATCHES_WORLD, evidence: 'region-failover/booking (booking): the report says 1 lost writes, the load found 2 of 200 missing' },
  ]);
  expect(checkReportNumbers(report({ measurements: { rpoWrites: 3 } }), [load({ outages: switched })])).toHaveLength(1);
  expect(checkReportNumbers(report({ measurements: {} }), [load({ outages: switched })])).toEqual([]);
  expect(checkReportNumbers(report({ measurements: {} }), [load({ ...lossy, outages: switched })])).toEqual([
    { invariant: REPORT_MATCHES_WORLD, evidence: expect.stringContaining('the report says nothing about lost writes, the load found 2 of 200 missing') },
  ]);
});

test('a run that never restored traffic has no outage to compare, and a service the load did not drive has nothing', () => {
  const unrestored = report({ path: [report().path[0]!] });
  expect(checkReportNumbers(unrestored, [load({ outages: [outage(10, null)] })])).toEqual([]);
  expect(checkReportNumbers(report({ target: 'checkin' }), [load({ lost: 9 })])).toEqual([]);
});
