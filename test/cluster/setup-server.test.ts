import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, expect, inject, test } from 'vitest';
import { CliError } from '../../cli/errors';
import { startScratchPostgres, type ScratchPostgres } from '../support/scratch-postgres';
import { freePort, isListening } from '../../lib/free-port';
import { ensureSearchAttributes } from '../../lib/search-attributes';
import { lifeboatSearchAttributes } from '../../kit/trust';
import { portsFrom, serverFiles, settingsFrom, setUpServer } from '../../scripts/setup-server';
import { installQuietRuntime, testTaskQueue } from '../helpers/temporal';

const dir = mkdtempSync(join(tmpdir(), 'lifeboat-setup-server-'));
chmodSync(dir, 0o755); // the postgres user has to reach its data dir inside
const dataDir = join(dir, 'server');
const password = randomBytes(12).toString('hex');
const passwordEnv = 'LIFEBOAT_TEST_PG_PASSWORD';
let postgres: ScratchPostgres | undefined;

afterAll(async () => {
  const pid = Number(readFileSync(serverFiles(dataDir).pid, 'utf8').trim());
  if (pid > 0) {
    try {
      process.kill(pid, 'SIGTERM');
      for (let i = 0; i < 60; i++) {
        process.kill(pid, 0); // throws once it has exited
        await new Promise((r) => setTimeout(r, 250));
      }
      process.kill(pid, 'SIGKILL');
    } catch {
      /* exited */
    }
  }
  await postgres?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

/** A frontend port whose nine derived ports are all free (and below 32768, as Temporal needs). */
async function freeFrontendPort(): Promise<number> {
  for (;;) {
    const frontend = 10_300 + Math.floor(Math.random() * 21_000);
    const taken = await Promise.all(Object.values(portsFrom(frontend)).map((port) => isListening(port)));
    if (!taken.some(Boolean)) return frontend;
  }
}

test('setup:server creates the databases, config, server, namespace and the five search attributes a worker needs; a second run changes nothing', async () => {
  postgres = await startScratchPostgres(join(dir, 'pgdata'), await freePort(), { password });
  const frontendPort = await freeFrontendPort();
  const argv = [
    ...['--pg-port', String(postgres.port), '--pg-password-env', passwordEnv, '--data-dir', dataDir],
    ...['--frontend-port', String(frontendPort), '--history-shards', '4', '--namespace', 'lifeboat-setup', '--retention', '3d'],
  ];
  const setup = settingsFrom(argv, {});

  // A wrong password is refused, naming the variable to fix, before anything is made.
  const refused = await setUpServer(setup, { [passwordEnv]: 'wrong' }).catch((err: unknown) => err);
  expect(refused).toBeInstanceOf(CliError);
  expect(refused).toMatchObject({ code: 'postgres', suggestion: expect.stringContaining(passwordEnv) });

  const first = await setUpServer(setup, { [passwordEnv]: password });
  expect(first.changed).toBe(true);
  expect(first.lines).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^database temporal: created, schema \d+\.\d+$/),
      expect.stringMatching(/^database temporal_visibility: created, schema \d+\.\d+$/),
      expect.stringMatching(/^server on 127\.0\.0\.1:\d+: started/),
      'namespace lifeboat-setup: created, retention 3d',
      `search attributes: added ${lifeboatSearchAttributes.map((k) => k.name).join(', ')}`,
    ]),
  );
  const config = readFileSync(serverFiles(dataDir).config, 'utf8');
  expect(config).not.toContain(password);
  expect(config).toContain(`{{ env "${passwordEnv}" | quote }}`);

  const address = `127.0.0.1:${frontendPort}`;
  const connection = await Connection.connect({ address });
  try {
    const info = await connection.workflowService.getClusterInfo({});
    expect(info).toMatchObject({ persistenceStore: 'postgres12' });
    expect(Number(info.historyShardCount)).toBe(4);
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'lifeboat-setup' });
    expect(Object.keys(customAttributes ?? {})).toEqual(expect.arrayContaining(lifeboatSearchAttributes.map((k) => k.name)));

    // What `lifeboat worker` checks before it polls passes, and a worker runs a run that sets all five attributes.
    installQuietRuntime();
    const nativeConnection = await NativeConnection.connect({ address });
    try {
      await ensureSearchAttributes(nativeConnection, 'lifeboat-setup', address);
      const taskQueue = testTaskQueue();
      const worker = await Worker.create({
        connection: nativeConnection,
        namespace: 'lifeboat-setup',
        taskQueue,
        workflowBundle: { codePath: inject('testBundlePath') },
        activities: { noop: async () => undefined },
      });
      const client = new Client({ connection, namespace: 'lifeboat-setup' });
      const typedSearchAttributes = new TypedSearchAttributes(lifeboatSearchAttributes.map((key) => ({ key, value: 'setup-test' })));
      const result = await worker.runUntil(
        client.workflow.execute('plainSteps', { taskQueue, workflowId: `setup-${randomUUID()}`, args: [1], typedSearchAttributes }),
      );
      expect(result).toBe(1);
    } finally {
      await nativeConnection.close();
    }
  } finally {
    await connection.close();
  }

  const configWritten = statSync(serverFiles(dataDir).config).mtimeMs;
  const second = await setUpServer(setup, { [passwordEnv]: password });
  expect(second.changed).toBe(false);
  expect(second.lines).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^database temporal: unchanged/),
      expect.stringMatching(/^database temporal_visibility: unchanged/),
      `server on ${address}: already running`,
      'namespace lifeboat-setup: exists, retention 3d',
      'search attributes: all five present',
      'nothing changed: everything was already in place',
    ]),
  );
  expect(statSync(serverFiles(dataDir).config).mtimeMs).toBe(configWritten);

  // The shard count is fixed: a run with another one is refused, naming the flag and the number to pass.
  const reshard = await setUpServer(settingsFrom([...argv, '--history-shards', '8'], {}), { [passwordEnv]: password }).catch((err: unknown) => err);
  expect(reshard).toMatchObject({ code: 'history-shards', suggestion: expect.stringContaining('--history-shards 4') });
}, 150_000);
