import { expect, test } from 'vitest';
import { compactDetail, renderStatus, table } from '../../cli/render';
import { ganttSvg } from '../../cli/report/gantt-svg';
import { reportHtml } from '../../cli/report/html';
import { reportMarkdown } from '../../cli/report/markdown';
import { buildReport } from '../../cli/report/model';
import type { RunStatus } from '../../kit';
import { expectInert, hostile, hostileStatus } from '../helpers/hostile-status';

test('status shows a long list in a detail as its first entries and a count, nested or not', () => {
  const hosts = Array.from({ length: 500 }, (_, i) => `kiosk-${i}`);
  expect(compactDetail({ open: hosts, waived: ['gate-1'] })).toBe(
    JSON.stringify({ open: [...hosts.slice(0, 8), '... 492 more (--json for all)'], waived: ['gate-1'] }),
  );
  expect(compactDetail(['a', 'b'])).toBe('["a","b"]');
  expect(compactDetail('plain text')).toBe('plain text');
});

test('status lists the open hands-on hosts and the command that closes one, while the run goes on', () => {
  const status = {
    runId: 'isolate-vendor-module/fleet',
    runbook: 'isolate-vendor-module',
    title: 'Isolate',
    target: 'fleet',
    state: 'running',
    requestedBy: 'alice',
    startedAt: '2026-11-25T00:00:00.000Z',
    updatedAt: '2026-11-25T00:00:01.000Z',
    steps: [],
    gates: [],
    compensation: [],
    audit: [],
    details: {
      handsOn: {
        open: 1,
        done: 1,
        waived: 0,
        deadline: '2026-11-25T04:00:00.000Z',
        tasks: [
          { host: 'b-kiosk-05', reason: 'boot loop (BitLocker)', status: 'open' },
          { host: 'b-gate-05', reason: 'boot loop (BitLocker)', status: 'done' },
        ],
      },
    },
  } as RunStatus;
  const text = renderStatus(status);
  expect(text).toContain('  hands-on: 1 open, 1 done, 0 waived; deadline 2026-11-25T04:00:00.000Z\n    b-kiosk-05: boot loop (BitLocker)\n');
  expect(text).not.toContain('b-gate-05');
  expect(text).toContain('next: lifeboat task done isolate-vendor-module/fleet <host> --as <you>');
  expect(renderStatus({ ...status, state: 'aborted' })).not.toContain('next: lifeboat task');
});

test('status shows control characters from comments, reasons, names and errors as escapes, never sends them', () => {
  const text = renderStatus(hostileStatus());
  expectInert(text);
  // Each kind of field is still there, made visible: an auditor sees that something was sent.
  expect(text).toContain('requested by mallory\\x1b]0;pwned\\x07\\x1b[2J\\x1b[H\\x1b]8;;https://evil.example/\\x1b\\click');
  expect(text).toContain('\\x9b2J\\x9d0;t\\x9c\\x08\\r\\x7f\\x00\\u202egnp.exe');
  expect(text).toContain('error: boom \\x1b]0;pwned');
  // A table cell stays on one line: a newline in an error or a comment cannot forge a row of the audit trail.
  expect(text).toContain('last error: INC-1 \\x1b]0;pwned');
  expect(text).toContain('\\nsecond line');
  expect(text).not.toContain('\nsecond line');
  expect(text).toContain('note\\x1b]0;pwned');
});

test('tables (list, drill list) show control characters in a cell as escapes and keep their columns', () => {
  const text = table([
    ['RUN', 'REQUESTED BY'],
    ['a/b', `mallory${hostile}`],
    ['c/d', 'alice'],
  ]);
  expectInert(text);
  expect(text.split('\n')).toHaveLength(3);
});

test('the report, as Markdown, HTML and SVG, shows control characters as escapes, never sends them', () => {
  const report = buildReport(hostileStatus());
  const markdown = reportMarkdown(report);
  expectInert(markdown);
  expect(markdown).toContain('| approve | bob\\x1b]0;pwned');
  const html = reportHtml(report);
  expectInert(html);
  expect(html).not.toContain('<script>alert');
  const svg = ganttSvg(
    buildReport({
      ...hostileStatus(),
      steps: [{ name: `step${hostile}`, title: 't', kind: 'step', status: 'failed', startedAt: '2026-11-25T00:00:01.000Z', attempts: 1 }],
    }).timeline,
  );
  expectInert(svg);
});

test('the HTML report escapes markup in free text', () => {
  const status = hostileStatus();
  status.gates[0]!.votes[0]!.comment = '<script>alert(1)</script> & <img src=x onerror=alert(2)>';
  const html = reportHtml(buildReport(status));
  expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;img src=x onerror=alert(2)&gt;');
  expect(html).not.toMatch(/<script>alert|<img src=x/);
});
