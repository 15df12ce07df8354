import { rmSync } from 'node:fs';
import type { Worker } from '@temporalio/worker';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { readManifest } from '../../lib/evidence/manifest';
import type { EvidenceStore } from '../../lib/evidence/store';
import { ArchivedCloses, CLOSES_FILE, findingsQuery } from '../../lib/findings/messages';
import { FINDING_NUMBERS_ID, findingsIdentityDigest, findingsWorkflowId } from '../../lib/findings/names';
import { FINDINGS_FILE, FindingsSnapshot } from '../../lib/findings/record';
import { EVIDENCE_ARCHIVER_ID } from '../../workflows/evidence-archiver';
import { lifeboat, lifeboatInProcess, temporalCli } from '../helpers/cli';
import { signAs, statementOf } from '../helpers/signing';
import { connectToTestServer, testTaskQueue, type TemporalTestContext } from '../helpers/temporal';
import { drill, eventually, findingsArchive, findingsBundle, findingsWorker, listed } from './harness';

let ctx: TemporalTestContext;
let bundle: { code: string };
let archive: Awaited<ReturnType<typeof findingsArchive>>;

beforeAll(async () => {
  ctx = await connectToTestServer('findings');
  [bundle, archive] = await Promise.all([findingsBundle(), findingsArchive()]);
}, 120_000);

afterAll(async () => {
  await ctx?.close();
  rmSync(archive.dir, { recursive: true, force: true });
});

// One archiver and one finding numberer per namespace, on the queue of the worker that started them: each test's own.
afterEach(async () => {
  for (const workflowId of [EVIDENCE_ARCHIVER_ID, FINDING_NUMBERS_ID])
    await ctx.client.workflow
      .getHandle(workflowId)
      .terminate('test over')
      .catch(() => undefined);
});

const cliEnv = (taskQueue: string) => ({ TEMPORAL_ADDRESS: ctx.address, LIFEBOAT_TASK_QUEUE: taskQueue });

async function worker(taskQueue: string): Promise<Worker> {
  return findingsWorker(ctx, taskQueue, bundle, archive.settings(cliEnv(taskQueue)), { deadlineSeconds: 30 * 24 * 3600, notReadySeconds: 24 * 3600 });
}

/** The sealed findings snapshots of kit-exercise on `target` in the archive, oldest first. */
async function sealedSnapshots(store: EvidenceStore, target: string): Promise<FindingsSnapshot[]> {
  const addresses = await store.list({ runbook: 'findings/kit-exercise', target });
  return Promise.all(
    addresses.map(async (a) => {
      const stored = (await store.get(a.key))!;
      const manifest = readManifest(stored.files['manifest.json']!);
      expect(manifest.ok && manifest.manifest.kind).toBe('findings');
      return FindingsSnapshot.parse(JSON.parse(new TextDecoder().decode(stored.files[FINDINGS_FILE])));
    }),
  );
}

test('a failed drill opens findings; a close without proof, or with a failed drill, is refused; a later passing drill closes it', async () => {
  const taskQueue = testTaskQueue();
  const target = `close-${taskQueue}`;
  const env = cliEnv(taskQueue);
  await (
    await worker(taskQueue)
  ).runUntil(async () => {
    const failed = await drill(ctx, taskQueue, target, 'fails');
    expect(failed.result.state).toBe('aborted');
    const opened = await eventually('findings of the failed drill', async () => {
      const found = await listed(env, target, '--open');
      return found.length >= 2 ? found : undefined;
    });
    expect(opened.map((f) => f.reason).sort()).toEqual(['drill-failed', 'operator-needed']);
    const failedDrill = opened.find((f) => f.reason === 'drill-failed')!;
    expect(failedDrill).toMatchObject({ runbook: 'kit-exercise', target, state: 'open', run: { runId: failed.runId } });
    expect(failedDrill.what).toContain('ended aborted');
    expect(failedDrill.evidence).toMatch(/^kit-exercise\//);
    expect(new Set(opened.map((f) => f.id)).size).toBe(2);
    const id = failedDrill.id;
    // Without --runbook and --target, every findings workflow of the task queue is listed.
    await eventually(`${id} in the list of every runbook's findings`, async () => {
      const out = await lifeboatInProcess(['findings', '--open'], env);
      const row = new RegExp(`^${id}\\s+kit-exercise\\s+${target}\\s+drill-failed\\s+open\\s`, 'm');
      return out.code === 0 && row.test(out.stdout) ? true : undefined;
    });

    const noProof = await lifeboatInProcess(['finding', 'close', id, '--as', 'bob', '--comment', 'fixed, trust me'], env);
    expect(noProof.code).toBe(1);
    expect(noProof.stderr).toContain(`${id} cannot be closed without proof`);
    expect(noProof.stderr).toContain('fix: pass --proof');

    // The drill that opened it proves nothing: it failed, and it finished before the finding opened.
    const failedProof = await lifeboatInProcess(
      ['finding', 'close', id, '--as', 'bob', '--comment', 'fixed', '--proof', `${failed.runId}@${failed.temporalRunId}`],
      env,
    );
    expect(failedProof.code).toBe(1);
    expect(failedProof.stderr).toContain('did not pass');
    expect(failedProof.stderr).toContain('fix: run a drill of kit-exercise');

    const passed = await drill(ctx, taskQueue, target, 'passes');
    expect(passed.result.state).toBe('succeeded');
    // dave is in no group that operates kit-exercise: a valid signature of his closes nothing.
    const notOperator = await lifeboatInProcess(['finding', 'close', id, '--as', 'dave', '--comment', 'fixed', '--proof', passed.runId], env);
    expect(notOperator.code).toBe(1);
    expect(notOperator.stderr).toContain("dave may not close findings of kit-exercise: it needs the runbook's operator role");

    const closed = await lifeboatInProcess(
      ['finding', 'close', id, '--as', 'bob', '--comment', 'verify step fixed, see change 4711', '--proof', passed.runId],
      env,
    );
    expect(closed.stderr).toBe('');
    expect(closed.code).toBe(0);
    expect(closed.stdout).toContain(`${id} closed by bob: drill ${passed.runId} passed`);

    const after = await listed(env, target);
    expect(after.find((f) => f.id === id)).toMatchObject({
      state: 'closed',
      closed: { by: 'bob', comment: 'verify step fixed, see change 4711', proof: { kind: 'passing-drill', runId: passed.runId } },
    });
    expect((await listed(env, target, '--open')).map((f) => f.reason)).toEqual(['operator-needed']);
  });

  // Every change was sealed, chained, and verifies from the archive alone.
  const snapshots = await sealedSnapshots(archive.store, target);
  expect(
    snapshots
      .at(-1)!
      .findings.map((f) => f.state)
      .sort(),
  ).toEqual(['closed', 'open']);
  // The signed close itself is archived too, for an auditor to check the signature again.
  const newest = (await archive.store.list({ runbook: 'findings/kit-exercise', target })).at(-1)!;
  const closes = ArchivedCloses.parse(JSON.parse(new TextDecoder().decode((await archive.store.get(newest.key))!.files[CLOSES_FILE])));
  const closedId = snapshots.at(-1)!.findings.find((f) => f.state === 'closed')!.id;
  expect(closes.map((c) => [c.finding, (JSON.parse(c.decision.statement) as { by: string }).by])).toEqual([[closedId, 'bob']]);
  // In process, where kit-exercise is in the catalog as it is in the worker's: the re-check of the close needs its operator role.
  const verified = await lifeboatInProcess(['evidence', 'verify', '--all', '--store', `${archive.dir}/archive`]);
  expect(verified.stderr).toBe('');
  expect(verified.code).toBe(0);
});

test("an insider's forged signals change nothing (an unsigned close, a close signed by a non-operator, a drill-failed claim for a drill that passed), nor does restarting the numberer at 1", async () => {
  const taskQueue = testTaskQueue();
  const target = `forged-${taskQueue}`;
  const env = cliEnv(taskQueue);
  const workflowId = findingsWorkflowId('kit-exercise', target);
  const signal = (name: string, input: unknown) =>
    temporalCli(['workflow', 'signal', '--workflow-id', workflowId, '--name', name, '--input', JSON.stringify(input)], ctx.address);
  await (
    await worker(taskQueue)
  ).runUntil(async () => {
    await drill(ctx, taskQueue, target, 'fails');
    const found = await eventually("the failed drill's findings", async () => {
      const all = await listed(env, target);
      return all.length >= 2 ? all : undefined;
    });
    const finding = found.find((f) => f.reason === 'drill-failed');
    const handle = ctx.client.workflow.getHandle(workflowId);
    const before = await handle.query(findingsQuery);
    const passed = await drill(ctx, taskQueue, target, 'passes');
    await eventually('the passing drill archived and told', async () => ((await archive.store.list({ runId: passed.runId })).length >= 2 ? true : undefined));

    // Through the stock CLI: an unsigned close, and a close dave signed properly but may not make.
    expect((await signal('closeFinding', { statement: 'close F-1 please', signature: 'trust me' })).code).toBe(0);
    const daves = statementOf({
      kind: 'resolve',
      namespace: ctx.namespace,
      workflowId,
      runId: before.identity.runId,
      inputDigest: findingsIdentityDigest('kit-exercise', target),
      by: 'dave',
      body: {
        action: 'close-finding',
        finding: finding!.id,
        comment: 'closing it myself',
        proof: 'drill',
        drill: passed.runId,
        drillRun: passed.temporalRunId,
      },
    });
    expect((await signal('closeFinding', signAs(daves))).code).toBe(0);
    // A claim that the passing drill failed, and one for a run that is not a drill of this runbook at all.
    expect((await signal('drillEnded', { workflowId: passed.runId, temporalRunId: passed.temporalRunId })).code).toBe(0);
    expect((await signal('drillEnded', { workflowId: EVIDENCE_ARCHIVER_ID, temporalRunId: 'not-a-run' })).code).toBe(0);

    const after = await eventually('three refusals', async () => {
      const view = await handle.query(findingsQuery);
      return view.refused.count >= before.refused.count + 3 ? view : undefined;
    });
    expect(after.findings).toEqual(before.findings);
    expect(after.findings.find((f) => f.id === finding!.id)!.state).toBe('open');
    const listing = await lifeboatInProcess(['findings', '--runbook', 'kit-exercise', '--target', target], env);
    expect(listing.stdout).toContain('message(s) refused');

    // The insider restarts the finding numberer with a count of 1: it still numbers past what the archive holds.
    await ctx.client.workflow.getHandle(FINDING_NUMBERS_ID).terminate('an insider resets the count');
    const restarted = await temporalCli(
      ['workflow', 'start', '--type', 'findingNumbers', '--task-queue', taskQueue, '--workflow-id', FINDING_NUMBERS_ID, '--input', JSON.stringify({ next: 1 })],
      ctx.address,
    );
    expect(restarted.code).toBe(0);
    await drill(ctx, taskQueue, target, 'fails');
    const all = await eventually("the second failed drill's findings", async () => {
      const listedNow = await listed(env, target);
      return listedNow.length >= 4 ? listedNow : undefined;
    });
    const numbers = all.map((f) => Number(f.id.slice(2)));
    expect(new Set(numbers).size).toBe(numbers.length);
    expect(Math.min(...numbers.slice(2))).toBeGreaterThan(Math.max(...numbers.slice(0, 2)));
  });
});
