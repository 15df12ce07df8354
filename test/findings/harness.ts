import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { bundleWorkflowCode, type Worker } from '@temporalio/worker';
import { expect } from 'vitest';
import { createRosterActivities } from '../../activities/roster';
import type { RunResult } from '../../kit';
import { interveneUpdate } from '../../kit';
import type { ArchiveSettings } from '../../cli/evidence/archive-settings';
import { createArchiverActivities } from '../../cli/evidence/archiver-activities';
import { ensureEvidenceArchiver } from '../../cli/evidence/archiver-start';
import { createFindingsActivities, type FindingsTiming } from '../../cli/findings/activities';
import { openEvidenceStore } from '../../lib/evidence/open-store';
import type { EvidenceStore } from '../../lib/evidence/store';
import type { AuditFinding } from '../../lib/findings/record';
import { lifecycleInterceptorModule } from '../../lib/workflow-bundle';
import { runbooks } from '../../runbooks';
import { kitExercise } from '../workflows/kit-exercise';
import { lifeboatInProcess } from '../helpers/cli';
import { archiveSignerIn } from '../helpers/evidence';
import { testTrustRoot } from '../helpers/roster-seal';
import { createTestWorker, waitForStatus, type TemporalTestContext } from '../helpers/temporal';

// The CLI and the activities run in this process: they look kit-exercise up in the catalog as the bundle does.
runbooks[kitExercise.id] = kitExercise;

/** The bundle with kit-exercise in the catalog (see workflows.ts); made once per test file. */
export async function findingsBundle(): Promise<{ code: string }> {
  const bundle = await bundleWorkflowCode({
    workflowsPath: resolve(__dirname, 'workflows.ts'),
    workflowInterceptorModules: [lifecycleInterceptorModule],
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} },
  });
  return { code: bundle.code };
}

/** A folder archive with its own archive signer, as a worker that keeps findings has. */
export async function findingsArchive(): Promise<{ dir: string; store: EvidenceStore; settings: (env: Record<string, string>) => ArchiveSettings }> {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-findings-'));
  const signer = await archiveSignerIn(dir);
  const store = openEvidenceStore(join(dir, 'archive'));
  return {
    dir,
    store,
    settings: (env) => ({
      store,
      signer: signer.signer,
      rosterPath: join(dir, 'roster.json'),
      targetsPath: join(dir, 'no-targets.json'),
      env: { ...process.env, ...env },
    }),
  };
}

/** A worker that archives every run, keeps findings with `timing`, and the namespace's archiver started. */
export async function findingsWorker(
  ctx: TemporalTestContext,
  taskQueue: string,
  bundle: { code: string },
  settings: ArchiveSettings,
  timing: FindingsTiming,
): Promise<Worker> {
  const { worker } = await createTestWorker(
    ctx,
    taskQueue,
    // The runs load the roster the bundles hold, as a worker's do: evidence verify checks their decisions against it.
    {
      ...createArchiverActivities(settings),
      ...createFindingsActivities(settings, timing, testTrustRoot()),
      ...createRosterActivities({ rosterPath: settings.rosterPath, trustRoot: testTrustRoot() }),
    },
    undefined,
    { workflowBundle: bundle },
  );
  await ensureEvidenceArchiver({ connection: ctx.connection, namespace: ctx.namespace, taskQueue, pollSeconds: 1, settleSeconds: 1 });
  return worker;
}

/** An isolated drill of kit-exercise on `target`, alice asking: it passes, or (failing) its verify step fails and alice aborts it. */
export async function drill(
  ctx: TemporalTestContext,
  taskQueue: string,
  target: string,
  outcome: 'passes' | 'fails',
): Promise<{ runId: string; temporalRunId: string; result: RunResult }> {
  const handle = await ctx.client.workflow.start('kitExercise', {
    taskQueue,
    workflowId: `kit-exercise/${target}`,
    args: [{ input: { target, quorum: 1, failVerify: outcome === 'fails' }, requestedBy: 'alice', drill: { kind: 'isolated', approvals: 'policy' } }],
  });
  if (outcome === 'fails') {
    await waitForStatus(handle, (s) => s.state === 'needs-intervention');
    await handle.executeUpdate(interveneUpdate, { args: [{ action: 'abort', by: 'alice', reason: 'the drill failed its verify step' }] });
  }
  const result = (await handle.result()) as RunResult;
  return { runId: handle.workflowId, temporalRunId: handle.firstExecutionRunId, result };
}

/** What `lifeboat findings --json` lists for kit-exercise on `target`. */
export async function listed(env: Record<string, string>, target: string, ...flags: string[]): Promise<AuditFinding[]> {
  const out = await lifeboatInProcess(['findings', '--runbook', 'kit-exercise', '--target', target, '--json', ...flags], env);
  expect(out.stderr).toBe('');
  expect(out.code).toBe(0);
  return (JSON.parse(out.stdout) as { findings: AuditFinding[] }).findings;
}

/** Polls until `check` returns something; fails after 60 s naming what never happened. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const found = await check();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`never happened: ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
