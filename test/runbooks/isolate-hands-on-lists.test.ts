import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createFleetServer } from '../../estate/fleet/server';
import { createHttpFleet } from '../../providers/http/fleet';
import type { RunResult } from '../../kit';
import type { IsolationReport } from '../../workflows/vendor-isolation/report';
import { handsOnOf, runWaitingForHands } from '../helpers/hands-on';
import { lifeboatInProcess, temporalCli } from '../helpers/cli';
import { decisionStatement, signAs } from '../helpers/signing';
import { connectToTestServer, createTestWorker, testTaskQueue, waitForStatus, type TemporalTestContext } from '../helpers/temporal';

/*
 * A field team's list of repaired kiosks, longer than one signed decision holds, closed with one `lifeboat task done
 * --hosts-file`: the sample fleet of 2,500 hosts leaves about 200 BitLocker kiosks in region A for people to repair.
 */

let ctx: TemporalTestContext;
let fleetServer: ReturnType<typeof createFleetServer>;
let fleetUrl: string;
let dir: string;
beforeAll(async () => {
  ctx = await connectToTestServer();
  fleetServer = createFleetServer(2500);
  await new Promise<void>((r) => fleetServer.server.listen(0, '127.0.0.1', () => r()));
  fleetUrl = `http://127.0.0.1:${(fleetServer.server.address() as AddressInfo).port}`;
  dir = mkdtempSync(join(tmpdir(), 'lifeboat-hands-on-lists-'));
});
afterAll(async () => {
  await fleetServer?.close();
  await ctx?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a list longer than one decision is sent as several signed ones; a refused one says how many hosts already counted', async () => {
  const taskQueue = testTaskQueue();
  const env = { TEMPORAL_ADDRESS: ctx.address, LIFEBOAT_TASK_QUEUE: taskQueue };
  const targetsPath = join(dir, 'lifeboat.targets.json');
  writeFileSync(targetsPath, JSON.stringify({ version: 1, services: {}, fleet: { provider: 'http', url: fleetUrl } }));
  const { worker } = await createTestWorker(ctx, taskQueue, {}, targetsPath);
  await worker.runUntil(async () => {
    const { handle, runId, open } = await runWaitingForHands(ctx, taskQueue, fleetUrl, { region: 'A', tags: ['bitlocker'] });
    expect(open.join(',').length).toBeGreaterThan(2000);

    // The last host was closed by someone else meanwhile: the first decision counts, the one holding it is refused.
    const last = open.at(-1)!;
    expect((await lifeboatInProcess(['task', 'done', runId, last, '--as', 'bob'], env)).code).toBe(0);
    const list = join(dir, 'repaired.txt');
    writeFileSync(list, `${open.join('\n')}\n`);
    const refused = await lifeboatInProcess(['task', 'done', runId, '--hosts-file', list, '--as', 'erin'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      new RegExp(`none of the \\d+ hosts was closed: host ${last} was already done by bob; (\\d+) of ${open.length} hosts were marked done`),
    );
    const counted = Number(/; (\d+) of \d+ hosts were marked done/.exec(refused.stderr)![1]);
    expect(counted).toBeGreaterThan(0);
    expect(counted).toBeLessThan(open.length - 1);
    expect(refused.stderr).toContain(`fix: see what is still open: lifeboat task list ${runId} --open`);
    const after = await waitForStatus(handle, () => true);
    expect(handsOnOf(after)).toMatchObject({ open: open.length - 1 - counted, done: counted + 1 });

    // A list signed by erin and sent with the stock CLI counts once; the same signed message sent again is refused.
    const signed = signAs(
      decisionStatement(after, 'task', 'erin', {
        action: 'done',
        hosts: handsOnOf(after)
          .tasks.filter((t) => t.status === 'open')
          .slice(0, 2)
          .map((t) => t.host)
          .join(','),
      }),
    );
    const send = () => temporalCli(['workflow', 'signal', '--workflow-id', runId, '--name', 'task', '--input', JSON.stringify(signed)], ctx.address);
    expect((await send()).code).toBe(0);
    const once = await waitForStatus(handle, (s) => handsOnOf(s).done === counted + 3);
    expect(handsOnOf(once).open).toBe(open.length - 3 - counted);
    expect((await send()).code).toBe(0);
    const replayed = await waitForStatus(handle, (s) => (s.refused?.count ?? 0) > (once.refused?.count ?? 0));
    expect(replayed.audit.at(-1)).toMatchObject({ action: 'task-refused', detail: 'this signed decision was already used; sign a new one' });
    expect(replayed.refused!.lastBy).toBe('erin');
    expect(handsOnOf(replayed)).toMatchObject({ open: open.length - 3 - counted, done: counted + 3 });

    // A list signed for another run (another scope, or an earlier run of this one) is refused here, closing nothing.
    const nextTwo = handsOnOf(replayed)
      .tasks.filter((t) => t.status === 'open')
      .slice(0, 2)
      .map((t) => t.host)
      .join(',');
    const forThisRun = decisionStatement(replayed, 'task', 'erin', { action: 'done', hosts: nextTwo });
    const elsewhere = [
      [{ ...forThisRun, workflowId: 'isolate-vendor-module/region=B' }, `the statement is for isolate-vendor-module/region=B, not ${runId}`],
      [{ ...forThisRun, runId: 'an-earlier-run' }, `the statement is for run an-earlier-run, not this run ${forThisRun.runId}`],
    ] as const;
    for (const [statement, reason] of elsewhere) {
      const before = await waitForStatus(handle, () => true);
      const message = JSON.stringify(signAs(statement));
      expect((await temporalCli(['workflow', 'signal', '--workflow-id', runId, '--name', 'task', '--input', message], ctx.address)).code).toBe(0);
      const refusedHere = await waitForStatus(handle, (s) => (s.refused?.count ?? 0) > (before.refused?.count ?? 0));
      expect(refusedHere.audit.at(-1)).toMatchObject({ action: 'task-refused', detail: reason });
      expect(handsOnOf(refusedHere)).toMatchObject({ open: open.length - 3 - counted, done: counted + 3 });
    }

    // The rest, as `lifeboat task list --open` gives them, in as many decisions as it takes.
    const rest = JSON.parse((await lifeboatInProcess(['task', 'list', runId, '--open', '--limit', '1000', '--json'], env)).stdout) as {
      tasks: { host: string }[];
    };
    writeFileSync(list, `${rest.tasks.map((t) => t.host).join('\n')}\n`);
    const closed = await lifeboatInProcess(['task', 'done', runId, '--hosts-file', list, '--as', 'erin', '--json'], env);
    expect(closed.stderr).toBe('');
    expect(JSON.parse(closed.stdout)).toMatchObject({ runId, by: 'erin', status: 'done', open: 0, hosts: rest.tasks.map((t) => t.host) });

    const result = (await handle.result()) as RunResult<IsolationReport>;
    expect(result.state).toBe('succeeded');
    expect(result.output).toMatchObject({ affectedHosts: open.length, fixedByHand: open.length, waivers: [] });
    // Every repair reached the fleet console once: each host healthy, none marked repaired twice.
    const api = createHttpFleet({ url: fleetUrl });
    expect((await api.listHosts({ region: 'A', tag: 'bitlocker' })).hosts.every((h) => h.health === 'healthy')).toBe(true);
    const repairs = new Map((await api.counters()).hosts.map((h) => [h.hostId, h.repairs]));
    expect(open.map((host) => repairs.get(host))).toEqual(open.map(() => 1));
  });
}, 120_000);
