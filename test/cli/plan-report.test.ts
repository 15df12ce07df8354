import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { planGanttText } from '../../cli/report/plan-gantt';
import { planReportHtml } from '../../cli/report/plan-html';
import { planReportMarkdown } from '../../cli/report/plan-markdown';
import { splitWork } from '../../cli/report/plan-member-row';
import { actualCriticalPath, buildPlanReport } from '../../cli/report/plan-model';
import { renderedDom } from '../helpers/browser';
import { finishedEvacuation, runningEvacuation } from '../helpers/plan-statuses';

test("a plan's report has a row per member, its work apart from the waits for people read from the member's own run", () => {
  const { plan, members } = finishedEvacuation();
  const report = buildPlanReport(plan, members);
  expect(report.members.map((m) => [m.member, m.state])).toEqual([
    ['booking', 'succeeded'],
    ['checkin', 'succeeded'],
    ['crew', 'succeeded'],
    ['flightStatus', 'skipped'],
  ]);
  const checkin = report.members.find((m) => m.member === 'checkin')!;
  // Checkin's own run waited a minute for an operator (300 s to 360 s after the plan's start): drawn apart from its work.
  expect(checkin.bars.map((b) => [b.kind, b.startMs / 1000, b.endMs / 1000])).toEqual([
    ['work', 241, 300],
    ['operator-wait', 300, 360],
    ['work', 360, 480],
  ]);
  expect(checkin.totals).toEqual({ workSeconds: 179, gateWaitSeconds: 0, operatorWaitSeconds: 60 });
  // Its gate was taken by the plan's decision: listed, not drawn as a wait.
  expect(checkin.gates).toEqual([expect.objectContaining({ name: 'approve', delegated: true, status: 'approved' })]);
  // The plan's own wait for its decision is a row of its own.
  expect(report.decisionBar).toEqual({ kind: 'gate-wait', startMs: 1000, endMs: 121_000, label: 'gate approve-plan' });
  expect(report.criticalPath).toEqual(['booking', 'checkin', 'flightStatus']);
  expect(report.skipped).toEqual([{ member: 'flightStatus', by: 'erin', reason: 'status page moved by hand' }]);
  expect(report.decision.signers.map((s) => [s.by, s.fingerprint])).toEqual([
    ['bob', 'SHA256:key-of-signer-1'],
    ['carol', 'SHA256:key-of-signer-2'],
    ['dave', 'SHA256:key-of-signer-3'],
  ]);
  expect(report.decision.requires).toEqual([
    { group: 'sre-leads', atLeast: 2 },
    { group: 'airline-ops', atLeast: 1 },
  ]);
  // The forecast counts work only, so the actual RTO is set against it less the two minutes the decision took.
  expect(report.forecast).toMatchObject({ medianSeconds: 340, actualSeconds: 500, actualAfterDecisionSeconds: 380, errorSeconds: 40, withinRange: true });
});

test("the Markdown report shows the chart across services, the members' rows, the signers and their keys, the skip and the forecast", () => {
  const { plan, members } = finishedEvacuation();
  const md = planReportMarkdown(buildPlanReport(plan, members));
  expect(md).toContain('| RTO from detection | 560s | 2700s | met |');
  expect(md).toContain('| RPO (worst member) | 2s | 60s | met |');
  expect(md).toContain('| bob | approve | 2024-07-19T04:10:30.000Z | 29s | verified ssh-ed25519 key SHA256:key-of-signer-1 | go |');
  expect(md).toContain('requires 2 of sre-leads and 1 of airline-ops');
  expect(md).toMatch(/\| checkin \| region-failover\/checkin \| booking \| succeeded \| \+241\.0s \| \+480\.0s \| 179s \| 0s \| 60s \| 230s \| 0s \| yes \|/);
  expect(md).toContain('Critical path: booking → checkin → flightStatus.');
  expect(md).toContain('- flightStatus: skipped by erin: status page moved by hand');
  expect(md).toContain('| error (actual less forecast) | +40s, within the range |');
  // The text chart: checkin's row shows work, then an operator's wait, then work; the critical path is starred.
  const chart = md.slice(md.indexOf('```text'), md.indexOf('```', md.indexOf('```text') + 3));
  const checkinRow = chart.split('\n').find((l) => l.includes(' checkin '))!;
  expect(checkinRow.startsWith('* checkin')).toBe(true);
  expect(checkinRow).toMatch(/\|\s+#+O+#+\s*\| succeeded$/);
  expect(
    chart
      .split('\n')
      .find((l) => l.includes('crew'))!
      .startsWith('  crew'),
  ).toBe(true);
  expect(chart).toMatch(/decision: approve-plan\s+\|A+\s+\| approved/);
});

test('the HTML report is self-contained, escapes what people wrote, and draws every bar in a browser', async () => {
  const { plan, members } = finishedEvacuation();
  plan.gates[0]!.votes[0]!.comment = '<img src=x onerror=alert(1)>';
  const html = planReportHtml(buildPlanReport(plan, members));
  expect(html).not.toContain('<img');
  expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  expect(html).toContain('<tr data-member="checkin" class="critical">');
  expect(html).toMatch(/<rect class="bar critical" data-kind="operator-wait" data-member="checkin"/);
  expect(html).toContain('verified ssh-ed25519 key SHA256:key-of-signer-3');
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-plan-report-'));
  try {
    const file = join(dir, 'plan.html');
    writeFileSync(file, html);
    const dom = await renderedDom(file);
    // The decision, booking 1, checkin 3 (work, operator, work), crew 1, flight-status 1 (the operator's wait before the skip).
    expect(dom).toMatch(/data-drawn-bars="7"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a running plan's report names the gate that waits for its own people, the members not started and a status it could not read", () => {
  const { plan, members } = runningEvacuation();
  const report = buildPlanReport(plan, members);
  expect(report.openGates).toEqual([
    { member: 'crew', runId: 'region-failover/crew', gate: 'return-to-normal', title: 'return-to-normal gate', openedAt: '2024-07-19T04:11:40.000Z' },
  ]);
  expect(report.members.find((m) => m.member === 'crew')!.bars.map((b) => b.kind)).toEqual(['work', 'gate-wait']);
  expect(report.notStarted).toEqual(['flightStatus']);
  const md = planReportMarkdown(report);
  expect(md).toContain('- **crew** waits for its own approvers at gate return-to-normal (not delegable): lifeboat approve region-failover/crew');
  expect(md).toContain('- checkin: its own status could not be read (no worker answered)');
  expect(md).toContain('- flightStatus: not started');
  expect(md).toContain('(still running)');
  expect(planGanttText(report)).toMatch(/crew\s+\|\s+#+A+\| running/);
});

test('the critical path follows the member each one waited for that ended last; work is what no wait covers', () => {
  const rows = [
    { member: 'a', after: [], startMs: 0, endMs: 10 },
    { member: 'b', after: [], startMs: 0, endMs: 30 },
    { member: 'c', after: ['a', 'b'], startMs: 30, endMs: 40 },
    { member: 'd', after: ['a'], startMs: 10, endMs: 20 },
  ];
  expect(actualCriticalPath(rows)).toEqual(['b', 'c']);
  expect(actualCriticalPath([...rows, { member: 'e', after: ['d'], startMs: 20 }])).toEqual(['a', 'd', 'e']);
  const waits = [
    { kind: 'gate-wait' as const, startMs: 5, endMs: 8, label: 'gate g' },
    { kind: 'operator-wait' as const, startMs: 7, endMs: 12, label: 'operator: s' },
  ];
  expect(splitWork(0, 20, waits).map((b) => [b.kind, b.startMs, b.endMs])).toEqual([
    ['work', 0, 5],
    ['gate-wait', 5, 8],
    ['operator-wait', 8, 12],
    ['work', 12, 20],
  ]);
});
