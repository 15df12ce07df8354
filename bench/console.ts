import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { chromium } from 'playwright-core';
import { createActivities } from '../activities';
import { createRosterActivities } from '../activities/roster';
import { startConsoleServer } from '../cli/console/server';
import { approveUpdate, statusQuery, type RunStatus } from '../kit';
import { digestOf, Roster, verifySignedDecision } from '../kit/trust';
import { createExerciseActivities } from '../test/helpers/exercise-activities';
import { enrolledPasskey, SoftPasskey } from '../test/helpers/passkeys';
import { decisionStatement, statementOf } from '../test/helpers/signing-core';
import type { BenchContext, BenchSection } from './section';
import { ms, quantile } from './stats';

const ROUNDS = 15;
const entry = resolve(__dirname, '..', 'bin', 'lifeboat.js');

/**
 * The console's approval path against the CLI's, side by side on one dev server: from the approve tap in Chromium (a
 * virtual passkey signs, the console relays the update, the workflow verifies) to the start of the next step; the
 * same from `lifeboat approve` as a person runs it (a new process signing with an SSH key file); and the in-process
 * signed update, the floor both share.
 */
export async function consoleBenchmark(ctx: BenchContext): Promise<BenchSection> {
  const connection = await Connection.connect({ address: ctx.address });
  const native = await NativeConnection.connect({ address: ctx.address });
  const client = ctx.signing.client(connection);
  const rawClient = new Client({ connection });
  const taskQueue = `bench-console-${Date.now()}`;
  const rosterPath = join(mkdtempSync(join(tmpdir(), 'lifeboat-bench-console-')), 'roster.json');
  writeFileSync(rosterPath, readFileSync(ctx.signing.rosterPath));
  await ctx.signing.seal(rosterPath);
  const worker = await Worker.create({
    connection: native,
    taskQueue,
    workflowBundle: { codePath: ctx.bundlePath },
    activities: {
      ...createActivities({ rosterPath, notify: { log: () => undefined }, targetsPath: '/nonexistent/lifeboat.targets.json' }),
      ...createRosterActivities({ rosterPath }),
      ...createExerciseActivities().activities,
    },
  });
  const server = await startConsoleServer({
    client: rawClient,
    namespace: 'default',
    taskQueue,
    host: '127.0.0.1',
    port: 0,
    rosterPath,
    rpId: 'localhost',
    drillControls: false,
    pollMs: 250,
  });
  const browser = await chromium.launch({
    executablePath: process.env.LIFEBOAT_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  const tap: number[] = [];
  const cliWall: number[] = [];
  const inProcess: number[] = [];
  try {
    const page = await browser.newPage();
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });
    // bob makes a passkey on the Passkeys page; his SSH key vouches for it in the roster, as lifeboat passkey add does.
    await page.goto(`${server.url}/enrol`);
    await page.locator('#whoami').selectOption('bob');
    await page.locator('#create-passkey').click();
    const request = JSON.parse((await page.locator('#passkey-request').textContent())!) as Parameters<typeof enrolledPasskey>[0];
    const roster = JSON.parse(readFileSync(rosterPath, 'utf8')) as { people: { id: string; passkeys?: unknown[] }[] };
    roster.people.find((p) => p.id === 'bob')!.passkeys = [enrolledPasskey(request, 'bob', 'bob', ctx.signing.keys.keysDir)];
    writeFileSync(rosterPath, JSON.stringify(roster, null, 2));
    await ctx.signing.seal(rosterPath);

    await worker.runUntil(async () => {
      for (let i = 0; i < ROUNDS; i++) {
        ctx.log(`console approvals: round ${i + 1}/${ROUNDS}`);
        // Console: the page is open on the gate; timed from the tap.
        const viaPage = await atGate(`bench-console-page-${i}`);
        await page.goto(`${server.url}/run/${viaPage.workflowId}`);
        await page.locator('#whoami').selectOption('bob');
        await page.locator('#may-vote').filter({ hasText: 'bob' }).waitFor();
        const tapped = Date.now();
        await page.locator('#approve').click();
        tap.push((await nextStepStart(viaPage.workflowId)) - tapped);

        // CLI: `lifeboat approve` in a new process, timed from its spawn.
        const viaCli = await atGate(`bench-console-cli-${i}`);
        const spawned = Date.now();
        await cli(['approve', viaCli.workflowId, '--as', 'bob'], {
          TEMPORAL_ADDRESS: ctx.address,
          LIFEBOAT_TASK_QUEUE: taskQueue,
          LIFEBOAT_KEYS_DIR: ctx.signing.keys.keysDir,
        });
        cliWall.push((await nextStepStart(viaCli.workflowId)) - spawned);

        // In process: sign and send the update, the floor under both.
        const direct = await atGate(`bench-console-direct-${i}`);
        const sent = Date.now();
        await rawClient.workflow
          .getHandle(direct.workflowId)
          .executeUpdate(approveUpdate, { args: [ctx.signing.keys.sign(decisionStatement(direct.status, 'approve', 'bob', { gate: 'approve' }))] });
        inProcess.push((await nextStepStart(direct.workflowId)) - sent);
      }
    });
  } finally {
    await browser.close();
    await server.close();
    await native.close().catch(() => undefined);
    await connection.close();
  }

  async function atGate(target: string): Promise<{ workflowId: string; status: RunStatus }> {
    const handle = await client.workflow.start('kitExercise', {
      taskQueue,
      workflowId: `kit-exercise/${target}`,
      args: [{ input: { target, quorum: 1 }, requestedBy: 'alice' }],
    });
    return {
      workflowId: handle.workflowId,
      status: await waitFor(
        () => handle.query(statusQuery),
        (s) => s.state === 'waiting-approval',
      ),
    };
  }

  async function nextStepStart(workflowId: string): Promise<number> {
    const handle = client.workflow.getHandle(workflowId);
    const status = await waitFor(
      () => handle.query(statusQuery),
      (s) => s.steps.some((x) => x.name === 'apply'),
    );
    await handle.result();
    return Date.parse(status.steps.find((x) => x.name === 'apply')!.startedAt);
  }

  const verify = passkeyVerificationCost(ctx);
  const row = (what: string, values: number[], note: string) => [what, ms(quantile(values, 0.5)), ms(quantile(values, 0.95)), note];
  return {
    title: 'Approve from the console against the CLI (dev server, Chromium with a virtual passkey)',
    header: ['path: approve -> next step starts', 'p50', 'p95', 'what is in it'],
    rows: [
      row(
        `console: tap Approve (${ROUNDS} runs)`,
        tap,
        'prepare the statement, passkey assertion (virtual authenticator), relay the update, verify ES256 in the workflow',
      ),
      row(
        `CLI: lifeboat approve, new process (${ROUNDS} runs)`,
        cliWall,
        'node start, read status, sign with an SSH key file, send the update, verify ed25519',
      ),
      row(`in process: sign and send the update (${ROUNDS} runs)`, inProcess, 'the floor both share'),
    ],
    notes: [
      `verify one passkey decision in process, as the workflow does (and again on every replay): ES256 ${verify.es256.toFixed(2)} ms, Ed25519 ${verify.ed25519.toFixed(2)} ms (mean of ${verify.count})`,
      "clock: the step start is the worker's time, on the same machine as the tap; the three paths alternate per round, so noise hits all alike",
    ],
  };
}

async function waitFor(query: () => Promise<RunStatus>, predicate: (s: RunStatus) => boolean): Promise<RunStatus> {
  for (let i = 0; ; i++) {
    try {
      const status = await query();
      if (predicate(status)) return status;
    } catch {
      // not started yet
    }
    if (i > 4000) throw new Error('status never matched');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The workflow's check of one passkey-signed decision, as pure code, for ES256 and Ed25519 passkeys. */
function passkeyVerificationCost(ctx: BenchContext): { es256: number; ed25519: number; count: number } {
  const count = 50;
  const keys = { es256: new SoftPasskey('ES256'), ed25519: new SoftPasskey('Ed25519') };
  const roster = Roster.parse(JSON.parse(readFileSync(ctx.signing.rosterPath, 'utf8')));
  const bob = roster.people.find((p) => p.id === 'bob')!;
  bob.passkeys = [keys.es256.entry('bob', ctx.signing.keys.keysDir), keys.ed25519.entry('bob', ctx.signing.keys.keysDir)];
  const identity = { namespace: 'default', workflowId: 'kit-exercise/bench', runId: 'bench-run', inputDigest: digestOf({ target: 'bench' }) };
  const mean = (key: SoftPasskey) => {
    const signed = Array.from({ length: count + 10 }, () => key.sign(statementOf({ kind: 'approve', ...identity, by: 'bob', body: { gate: 'approve' } })));
    for (const d of signed.slice(0, 10)) verifySignedDecision(['approve'], d, { ...identity, nowMs: Date.now(), roster, used: new Set() });
    const start = performance.now();
    for (const d of signed.slice(10)) {
      if (!verifySignedDecision(['approve'], d, { ...identity, nowMs: Date.now(), roster, used: new Set() }).ok)
        throw new Error('a bench passkey decision did not verify');
    }
    return (performance.now() - start) / count;
  };
  return { es256: mean(keys.es256), ed25519: mean(keys.ed25519), count };
}

function cli(args: string[], env: Record<string, string>): Promise<void> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [entry, ...args], { env: { ...process.env, ...env }, stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolveRun() : reject(new Error(`lifeboat ${args.join(' ')} exited ${code}`))));
  });
}
