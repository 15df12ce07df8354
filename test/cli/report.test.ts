import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { approveUpdate, interveneUpdate, type RunStatus } from '../../kit';
import { reportHtml } from '../../cli/report/html';
import { reportMarkdown } from '../../cli/report/markdown';
import { buildReport } from '../../cli/report/model';
import type { RunReport } from '../../cli/report/model';
import { renderedDom } from '../helpers/browser';
import { lifeboatInProcess } from '../helpers/cli';
import { connectToTestServer, createTestWorker, testTaskQueue, waitForStatus, type TemporalTestContext } from '../helpers/temporal';

let ctx: TemporalTestContext;
let dir: string;
beforeAll(async () => {
  ctx = await connectToTestServer();
  dir = mkdtempSync(join(tmpdir(), 'lifeboat-report-'));
});
afterAll(async () => {
  await ctx?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a report shows the timeline with waits apart from work, approvals with response times, interventions, and renders in a browser', async () => {
  const taskQueue = testTaskQueue();
  const { worker } = await createTestWorker(ctx, taskQueue);
  const env = { TEMPORAL_ADDRESS: ctx.address, LIFEBOAT_TASK_QUEUE: taskQueue };
  const runId = `kit-exercise/report-${taskQueue}`;
  await worker.runUntil(async () => {
    const handle = await ctx.client.workflow.start('kitExercise', {
      taskQueue,
      workflowId: runId,
      args: [{ input: { target: `report-${taskQueue}`, flakyFailures: 3, quorum: 2 }, requestedBy: 'alice' }],
    });
    await waitForStatus(handle, (s) => s.state === 'needs-intervention');
    await handle.executeUpdate(interveneUpdate, { args: [{ action: 'retry', by: 'erin', reason: 'network blip' }] });
    await waitForStatus(handle, (s) => s.state === 'waiting-approval');
    await handle.executeUpdate(approveUpdate, { args: [{ by: 'bob', comment: 'go' }] });
    await handle.executeUpdate(approveUpdate, { args: [{ by: 'carol' }] });
    await handle.result();
  });

  const json = await lifeboatInProcess(['report', runId, '--format', 'json'], env);
  expect(json.code).toBe(0);
  const report = JSON.parse(json.stdout) as RunReport;
  expect(report.state).toBe('succeeded');
  expect(report.timeline.map((b) => [b.label, b.kind])).toEqual(
    expect.arrayContaining([
      ['prepare', 'work'],
      ['flaky', 'work'],
      ['operator: flaky', 'operator-wait'],
      ['gate approve', 'gate-wait'],
      ['apply', 'work'],
    ]),
  );
  expect(report.approvals.map((a) => [a.by, a.decision, a.comment])).toEqual([
    ['bob', 'approve', 'go'],
    ['carol', 'approve', undefined],
  ]);
  expect(report.approvals.every((a) => a.responseSeconds >= 0)).toBe(true);
  expect(report.interventions).toEqual([
    expect.objectContaining({ step: 'flaky', error: 'flaky failure 2 of 3', action: 'retry', by: 'erin', reason: 'network blip' }),
  ]);
  expect(report.totals.gateWaitSeconds + report.totals.operatorWaitSeconds + report.totals.workSeconds).toBeCloseTo(report.durationSeconds, 0);

  // The path as far as a kit exercise has it: no detection time, and `apply` is what restores service.
  expect(report.path.map((p) => p.milestone)).toEqual(['run started', 'gate opened', 'approved', 'traffic restored', 'verified']);
  expect(report.path.slice(1).every((p) => p.legSeconds! >= 0)).toBe(true);
  expect(report.path.at(-1)!.elapsedSeconds).toBeCloseTo(
    report.path.slice(1).reduce((sum, p) => sum + p.legSeconds!, 0),
    0,
  );
  expect(report.objectives).toEqual([]);
  expect(report.readinessBeforeRun).toMatchObject({
    scheduleId: `readiness/kit-exercise/report-${taskQueue}`,
    summary: 'no readiness evaluation before this run',
  });

  const status = await lifeboatInProcess(['status', runId], env);
  expect(status.code).toBe(0);
  expect(status.stdout).toContain('readiness before the run: no readiness evaluation before this run');
  expect(status.stdout).toMatch(/path:\n {2}run started .*\n {2}gate opened .*\+\d+(\.\d)?s .*\n {2}approved .*\n {2}traffic restored .*\n {2}verified /);

  const md = await lifeboatInProcess(['report', runId], env);
  expect(md.stdout).toContain('## Incident path');
  expect(md.stdout).toMatch(/\| traffic restored \| \S+ \| \+\d+(\.\d)?s \| \d+(\.\d)?s \|/);
  expect(md.stdout).toContain(`# Kit exercise: ${runId}`);
  expect(md.stdout).toMatch(/\| approve \| bob \| approve \| \d+(\.\d)?s \| verified, key SHA256:[A-Za-z0-9+\/]+ \| go \|/);
  expect(md.stdout).toMatch(/\| flaky \| flaky failure 2 of 3 \| retry \| erin \|/);

  const htmlFile = join(dir, 'report.html');
  const html = await lifeboatInProcess(['report', runId, '--format', 'html', '--out', htmlFile], env);
  expect(html.code).toBe(0);
  expect(readFileSync(htmlFile, 'utf8')).not.toMatch(/<(link|img)[^>]+(href|src)=["']https?:/);
  const dom = await renderedDom(htmlFile);
  const drawn = Number(/data-drawn-bars="(\d+)"/.exec(dom)?.[1]);
  expect(drawn).toBe(report.timeline.length);
  expect(dom).toContain('waiting for approvers');
  expect([...dom.matchAll(/data-milestone="([^"]+)"/g)].map((m) => m[1])).toEqual(report.path.map((p) => p.milestone));

  const bad = await lifeboatInProcess(['report', runId, '--format', 'pdf'], env);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/choose md, html or json\n\s+→ at format/);
});

test('a Markdown report escapes HTML and link syntax in what people and runs wrote, and links only to http(s) or a file beside it', () => {
  const at = (s: number) => new Date(Date.parse('2026-11-25T10:00:00.000Z') + s * 1000).toISOString();
  const hostile = '<img src=x onerror=alert(1)> [x](javascript:alert(1))';
  const status = {
    runId: 'kit-exercise/hostile',
    runbook: 'kit-exercise',
    title: 'Kit <b>exercise</b>',
    target: 'hostile',
    state: 'aborted',
    requestedBy: 'alice',
    startedAt: at(0),
    updatedAt: at(60),
    finishedAt: at(60),
    outcome: `aborted by erin: ${hostile}`,
    steps: [{ name: 'prepare', title: 'Prepare', kind: 'step', status: 'succeeded', startedAt: at(1), finishedAt: at(2), durationMs: 1000, attempts: 1 }],
    gates: [
      {
        name: 'approve',
        title: 'Approve',
        status: 'rejected',
        openedAt: at(3),
        decidedAt: at(30),
        quorum: 2,
        approvers: { groups: ['sre-leads'] },
        eligible: ['bob', 'carol'],
        votes: [{ by: 'bob', decision: 'reject', at: at(30), comment: hostile }],
        escalations: 0,
        expiresAt: at(3600),
        onExpiry: 'abort',
      },
    ],
    // A backslash typed before a bracket cannot cancel its escape.
    compensation: [{ step: 'prepare', status: 'failed', error: 'undo refused: \\[y](javascript:alert(4))' }],
    details: {},
    audit: [
      { at: at(10), actor: 'lifeboat', action: 'intervention-needed', detail: `prepare: ${hostile}` },
      { at: at(20), actor: 'erin', action: 'retry', comment: '![pic](javascript:alert(2)) <script>alert(3)</script>' },
    ],
  } as unknown as RunStatus;
  const md = reportMarkdown(buildReport(status), 'javascript:alert(1).svg');
  expect(md).not.toMatch(/<(img|script|b)\b/i);
  // A link opens with a `[` no backslash escapes; every one left points at ./ or http(s).
  expect(md).not.toMatch(/(?<!\\)\[[^\]]*\]\((?!\.\/|https?:)/);
  expect(md).toContain('| approve | bob | reject | 27s | none | &lt;img src=x onerror=alert(1)&gt; \\[x](javascript:alert(1)) |');
  expect(md).toContain('| prepare | &lt;img src=x onerror=alert(1)&gt; \\[x](javascript:alert(1)) | retry | erin |');
  expect(md).toContain('!\\[pic](javascript:alert(2)) &lt;script&gt;alert(3)&lt;/script&gt;');
  expect(md).toContain('# Kit &lt;b&gt;exercise&lt;/b&gt;: kit-exercise/hostile');
  expect(md).toContain('| prepare | failed | undo refused: \\\\\\[y](javascript:alert(4)) |');
  // The chart beside the report is linked as a relative file, whatever its name.
  expect(md).toContain('![Timeline of kit-exercise/hostile](./javascript%3Aalert%281%29.svg)');
  // The HTML report escapes the same text once, not twice.
  const html = reportHtml(buildReport(status));
  expect(html).toContain('&lt;img src=x onerror=alert(1)&gt; [x](javascript:alert(1))');
  expect(html).not.toMatch(/<img|&amp;lt;|href="javascript/i);
});

test('report --format md refuses an --out where its chart would go (X.svg), naming the flag, and writes nothing', async () => {
  const out = join(dir, 'same.svg');
  const refused = await lifeboatInProcess(['report', 'kit-exercise/any', '--format', 'md', '--out', out], { TEMPORAL_ADDRESS: ctx.address });
  expect(refused.code).toBe(2);
  expect(refused.stderr).toContain(`--out ${out} is also where the Markdown report's chart goes (${out}): one would overwrite the other`);
  expect(refused.stderr).toContain(`--out ${join(dir, 'same.md')}`);
  expect(existsSync(out)).toBe(false);
});
