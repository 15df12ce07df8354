import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { expect, test } from 'vitest';
import { createRosterActivities } from '../../activities/roster';
import { lifeboatInProcess } from '../helpers/cli';
import { archiveSignerIn } from '../helpers/evidence';
import { testTrustRoot } from '../helpers/roster-seal';
import { connectToTestServer, createTestWorker, testTaskQueue } from '../helpers/temporal';
import { recordedRunsDir, type RecordedYearRun } from './evidence-year-histories';

/**
 * Records the real runs whose histories the simulated evidence year (evidence-year.ts) puts in its bundles:
 * `LIFEBOAT_RECORD_EVIDENCE_YEAR=1 npx vitest run test/support/evidence-year-record.test.ts`. Without that variable it
 * is skipped: the recorded runs are committed under test/fixtures/evidence-year and replaced only on purpose.
 *
 * Each subject of the year (a runbook on its target, and the evacuate-region plan) is run once by each requester of the
 * year through the real CLI, on the test server's `default` namespace, under the workflow ID the year archives it by,
 * and aborted by its requester with a signed decision; the plan at its gate, a runbook while its first steps work
 * against a targets file whose hosts do not exist. So every run holds two signed decisions, a start and an abort, made
 * with the test people's keys and checked by the run against a roster that also lists the year's archive signer: the
 * roster and the signer's key are kept beside the histories, since a bundle's roster.json must be the one its run loaded.
 */

const recording = process.env.LIFEBOAT_RECORD_EVIDENCE_YEAR === '1';

/** What the year runs, and the `lifeboat run` flags that start it there. */
const subjects = [
  { workflowId: 'region-failover/booking', run: ['region-failover', '--set', 'service=booking', '--set', 'mode=planned'] },
  { workflowId: 'region-failover/checkin', run: ['region-failover', '--set', 'service=checkin', '--set', 'mode=planned'] },
  { workflowId: 'region-failover/loyalty', run: ['region-failover', '--set', 'service=loyalty', '--set', 'mode=planned'] },
  { workflowId: 'region-failback/booking', run: ['region-failback', '--set', 'service=booking'] },
  { workflowId: 'isolate-vendor-module/fleet', run: ['isolate-vendor-module', '--set', 'badVersion=C-00000291', '--set', 'goodVersion=C-00000290'] },
  { workflowId: 'plan/evacuate-region/A', run: ['evacuate-region', '--set', 'from=A', '--set', 'to=B', '--set', 'mode=planned'] },
] as const;

const requesters = ['alice', 'erin'] as const;

test.skipIf(!recording)(
  'records a run of each subject of the evidence year by each requester, each aborted by a signed decision that verifies',
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lifeboat-record-year-'));
    const ctx = await connectToTestServer('default');
    try {
      const { signer } = await archiveSignerIn(dir);
      const rosterPath = join(dir, 'roster.json');
      const targetsPath = join(dir, 'lifeboat.targets.json');
      const service = { regions: ['A', 'B'] };
      writeFileSync(targetsPath, JSON.stringify({ version: 1, services: { booking: service, checkin: service, loyalty: service } }));
      const taskQueue = testTaskQueue();
      const env = { TEMPORAL_ADDRESS: ctx.address, LIFEBOAT_TASK_QUEUE: taskQueue };
      const { worker } = await createTestWorker(ctx, taskQueue, createRosterActivities({ rosterPath, trustRoot: testTrustRoot() }), targetsPath);
      const recorded: RecordedYearRun[] = [];
      mkdirSync(join(recordedRunsDir, 'histories'), { recursive: true });
      await worker.runUntil(async () => {
        for (const subject of subjects) {
          for (const requester of requesters) {
            const started = await lifeboatInProcess(['run', ...subject.run, '--as', requester], env);
            expect(started.code, started.stdout + started.stderr).toBe(0);
            const handle = ctx.client.workflow.getHandle(subject.workflowId);
            // Long enough for the run to take its start and begin its first step or gate.
            await new Promise((r) => setTimeout(r, 1500));
            const aborted = await lifeboatInProcess(['abort', subject.workflowId, '--as', requester, '--reason', 'recorded for the evidence year'], env);
            expect(aborted.code, aborted.stdout + aborted.stderr).toBe(0);
            await handle.result().catch(() => undefined);
            const { runId: temporalRunId } = await handle.describe();
            const verified = await lifeboatInProcess(['verify', subject.workflowId, '--json'], env);
            expect(verified.code, verified.stdout + verified.stderr).toBe(0);
            const report = JSON.parse(verified.stdout) as { decisions: { verified: boolean }[] };
            expect(report.decisions.filter((d) => d.verified).length).toBeGreaterThanOrEqual(2);
            const file = `${subject.workflowId.replace(/\//g, '-')}-${requester}.json`;
            writeFileSync(join(recordedRunsDir, 'histories', file), `${historyToJSON(await handle.fetchHistory())}\n`);
            recorded.push({ file, workflowId: subject.workflowId, requestedBy: requester, namespace: 'default', temporalRunId });
          }
        }
      });
      copyFileSync(rosterPath, join(recordedRunsDir, 'roster.json'));
      copyFileSync(signer.keyFile, join(recordedRunsDir, 'archive-key'));
      writeFileSync(join(recordedRunsDir, 'runs.json'), `${JSON.stringify(recorded, null, 2)}\n`);
    } finally {
      await ctx.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
  300_000,
);
