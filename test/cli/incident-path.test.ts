import { expect, test } from 'vitest';
import { renderStatus } from '../../cli/render';
import { ganttSvg } from '../../cli/report/gantt-svg';
import { reportMarkdown } from '../../cli/report/markdown';
import { buildReport } from '../../cli/report/model';
import { incidentPath } from '../../cli/report/path';
import type { GateRecord, RunStatus, StepRecord } from '../../kit';

const at = (seconds: number) => new Date(Date.parse('2026-11-25T10:00:00.000Z') + seconds * 1000).toISOString();
const stepAt = (name: string, from: number, to: number): StepRecord => ({
  name,
  title: name,
  kind: 'step',
  status: 'succeeded',
  startedAt: at(from),
  finishedAt: at(to),
  durationMs: (to - from) * 1000,
  attempts: 1,
});

/** A region failover detected 120 s before it started, approved after a 60 s wait, switched at +200 s, verified at +230 s. */
function failover(overrides: Partial<RunStatus> = {}): RunStatus {
  const gate = {
    name: 'approve',
    title: 'Approve',
    status: 'approved',
    openedAt: at(20),
    decidedAt: at(80),
    quorum: 2,
    approvers: { groups: ['sre-leads'] },
    votes: [],
    eligible: [],
    escalations: 0,
    expiresAt: at(3600),
    onExpiry: 'abort',
  } as unknown as GateRecord;
  return {
    runId: 'region-failover/booking',
    runbook: 'region-failover',
    title: 'Region failover',
    target: 'booking',
    state: 'succeeded',
    requestedBy: 'alice',
    objectives: { rtoSeconds: 300 },
    measurements: { rtoSeconds: 230, rtoFromDetectionSeconds: 350 },
    startedAt: at(0),
    updatedAt: at(230),
    finishedAt: at(231),
    steps: [stepAt('preflight', 1, 20), stepAt('promote', 81, 150), stepAt('switchTraffic', 150, 200), stepAt('verify', 200, 230)],
    gates: [gate],
    compensation: [],
    details: { rto: { fromStartSeconds: 230, fromApprovalSeconds: 150, fromDetectionSeconds: 350 } },
    audit: [],
    ...overrides,
  } as RunStatus;
}

test('the path runs from detection through the gate to traffic restored and verified, each leg timed', () => {
  expect(incidentPath(failover()).map((p) => [p.milestone, p.atMs / 1000, p.legSeconds, p.elapsedSeconds])).toEqual([
    ['detected', -120, undefined, 0],
    ['run started', 0, 120, 120],
    ['gate opened', 20, 20, 140],
    ['approved', 80, 60, 200],
    ['traffic restored', 200, 120, 320],
    ['verified', 230, 30, 350],
  ]);
  // A detection time given outright (an alert's startsAt) wins over the one worked out from the RTO.
  expect(incidentPath(failover(), { detectedAt: at(-30) })[0]).toMatchObject({ milestone: 'detected', atMs: -30_000 });
});

test('traffic counts as restored when the run first saw clients served in the target, not when it switched', () => {
  // The target stalled right after the switch (a chaos run found a report claiming restoration 8.6 s too early).
  const stalled = failover({ details: { ...failover().details, servedAt: at(215) } });
  expect(incidentPath(stalled).find((p) => p.milestone === 'traffic restored')).toMatchObject({ atMs: 215_000, legSeconds: 135, earliest: at(150) });
  // A switch that ran twice (its worker lost after HAProxy took it) may have restored traffic from its first start.
  const twice = failover({ steps: [stepAt('preflight', 1, 20), stepAt('promote', 81, 150), { ...stepAt('switchTraffic', 150, 200), attempts: 2 }] });
  expect(incidentPath(twice).find((p) => p.milestone === 'traffic restored')).toMatchObject({ at: at(200), earliest: at(150) });
  expect(incidentPath(failover()).find((p) => p.milestone === 'traffic restored')?.earliest).toBeUndefined();
  // A run recorded before the verify step said when clients were served still reads its switch's end.
  expect(incidentPath(failover()).find((p) => p.milestone === 'traffic restored')?.atMs).toBe(200_000);
});

test('without a detection time the path starts at the run, and a live run shows only what it has reached', () => {
  const live = failover({ state: 'waiting-approval', measurements: {}, details: {}, finishedAt: undefined, steps: [stepAt('preflight', 1, 20)] });
  live.gates = [{ ...live.gates[0]!, status: 'open', decidedAt: undefined }];
  expect(incidentPath(live).map((p) => p.milestone)).toEqual(['run started', 'gate opened']);
  expect(incidentPath({ ...failover(), runbook: 'paging-check' }).map((p) => p.milestone)).toEqual([
    'detected',
    'run started',
    'gate opened',
    'approved',
    'verified',
  ]);
});

test('RTO is judged against the objective from detection when the run has one, and from the start otherwise', () => {
  const report = buildReport(failover());
  expect(report.objectives).toEqual([{ objective: 'rto', targetSeconds: 300, measuredSeconds: 350, met: false, countedFrom: 'detection' }]);
  const md = reportMarkdown(report);
  expect(md).toContain('| RTO from detection | 350s | 300s | MISSED |');
  expect(md).toContain("| RTO from the run's start | 230s | - | - |");
  expect(md).toContain('## Incident path');
  expect(md).toContain(`| detected | ${at(-120)} | - | 0s |`);
  expect(md).toContain(`| traffic restored | ${at(200)} | +120s | 320s |`);

  const fromStart = buildReport(failover({ measurements: { rtoSeconds: 230 }, details: {} }));
  expect(fromStart.objectives).toEqual([{ objective: 'rto', targetSeconds: 300, measuredSeconds: 230, met: true, countedFrom: 'run start' }]);
  expect(reportMarkdown(fromStart)).toContain('| RTO | 230s | 300s | met |');
});

test('status prints the path and the readiness before the run, and judges RTO from detection', () => {
  const status = failover();
  const text = renderStatus(status, 8, {
    path: incidentPath(status),
    readinessBeforeRun: { scheduleId: 'readiness/region-failover/booking', summary: `NOT READY at ${at(-900)}: standby-streaming: lag 9 MB` },
  });
  expect(text).toContain(`readiness before the run: NOT READY at ${at(-900)}: standby-streaming: lag 9 MB`);
  expect(text).toMatch(/path:\n {2}detected +\S+ +\(0s in\)\n {2}run started +\S+ +\+120s +\(120s in\)/);
  expect(text).toContain("measured: RTO 230s from the run's start; RTO from detection 350s (objective 300s: MISSED)");
});

test('the chart draws a marker per point of the path, with the axis reaching back to the detection', () => {
  const report = buildReport(failover());
  const svg = ganttSvg(report.timeline, { path: report.path });
  expect([...svg.matchAll(/data-milestone="([^"]+)"/g)].map((m) => m[1])).toEqual([
    'detected',
    'run started',
    'gate opened',
    'approved',
    'traffic restored',
    'verified',
  ]);
  expect(svg).toContain('>-2m<');
  expect(svg.match(/class="bar"/g)).toHaveLength(report.timeline.length);
});
