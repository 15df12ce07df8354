import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoKeysDir, demoTrustRootPath, prepareDemoRoster } from '../dev/demo-keys';
import { startEstate, stopEstate } from '../estate/estate';
import { sampleEstateAwsEnv } from '../estate/flight-status-service';
import type { EstateService } from '../estate/services';
import { Client, Connection } from '@temporalio/client';
import { statusQuery, type RunStatus } from '../kit';
import { freePort } from '../lib/free-port';
import { repoRoot } from '../lib/paths';
import { buildBundle, freshBundlePath } from '../lib/workflow-bundle';
import { ChaosClusterServer, ChaosTemporalServer, type ChaosServer } from './temporal-server';
import { startToxiproxy, type Toxiproxy } from './toxiproxy';
import { writeProxiedTargets, type ProxiedEndpoint } from './proxied-targets';
import { WorkerPool } from './workers';
import type { ChaosWorld, CliOutcome } from './world-types';

const entry = join(repoRoot, 'bin', 'lifeboat.js');
/** Just under the servers' 512 KiB payload limit: about twenty of these make a waiting run carry itself over. */
const FORGED_BYTES = 500 * 1024;
const STATUS_READ_MS = 5_000;
/** The Toxiproxy link between the worker and the Temporal frontend (the CLI and the checkers go direct). */
export const TEMPORAL_LINK = 'temporal';

/** The world plus the handles the fault injectors need: the server, the workers and the network between. */
export interface ChaosRig extends ChaosWorld {
  server: ChaosServer;
  workers: WorkerPool;
  toxiproxy: Toxiproxy;
  /** Every estate endpoint the worker reaches, each behind its own proxy. */
  proxies: ProxiedEndpoint[];
  estateDir: string;
  services: readonly EstateService[];
  stop(): Promise<void>;
}

/**
 * Brings up one chaos world on loopback: the embedded Temporal dev server on a file, the sample estate with the
 * services asked for, Toxiproxy between the worker and every estate endpoint, the demo roster with a key per person,
 * and one Lifeboat worker. Everything lives in one temp dir, which `stop()` removes (unless `keep`).
 */
export async function startChaosWorld(opts: {
  services: readonly EstateService[];
  log: (line: string) => void;
  keep?: boolean;
  /** `dev` (the embedded default) or `cluster` (the real server `npm run setup:cluster` builds, on PostgreSQL). */
  server?: 'dev' | 'cluster';
}): Promise<ChaosRig> {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-chaos-'));
  // The estate's PostgreSQL runs as its own OS user, which must reach the estate dir inside this one.
  chmodSync(dir, 0o755);
  const estateDir = join(dir, 'estate');
  const namespace = 'chaos';
  const taskQueue = 'lifeboat-chaos';
  const stateEnv = { ...process.env, LIFEBOAT_STATE_DIR: join(dir, 'state') };
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch((err: unknown) => opts.log(`stop: ${String(err)}`));
    if (!opts.keep) rmSync(dir, { recursive: true, force: true });
  };
  try {
    const server: ChaosServer = opts.server === 'cluster' ? new ChaosClusterServer(namespace) : new ChaosTemporalServer(dir, await freePort(), namespace);
    stops.push(() => server.stop());
    const [rosterPath, running] = await Promise.all([
      prepareDemoRoster(stateEnv),
      startEstate({ dir: estateDir, services: opts.services, fleetHosts: 12 }),
      server.start(),
      freshBundlePath() ? Promise.resolve() : buildBundle().then(() => undefined),
    ]).then(([roster, estate]) => [roster, estate] as const);
    stops.push(() => stopEstate(estateDir));
    if (running.warnings.length) throw new Error(running.warnings.join('; '));
    const catalog = running.catalog;
    const toxiproxy = await startToxiproxy({ dir });
    stops.push(() => toxiproxy.stop());
    const directTargetsPath = join(estateDir, 'lifeboat.targets.json');
    const targetsPath = join(dir, 'lifeboat.targets.proxied.json');
    const proxies = await writeProxiedTargets(directTargetsPath, targetsPath, toxiproxy, { haproxyRuntimeApi: true });

    const keysDir = demoKeysDir(stateEnv);
    const trustRoot = demoTrustRootPath(stateEnv);
    const baseEnv: NodeJS.ProcessEnv = {
      ...stateEnv,
      ...sampleEstateAwsEnv(catalog, process.env),
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_NAMESPACE: namespace,
      LIFEBOAT_TASK_QUEUE: taskQueue,
      LIFEBOAT_ROSTER: rosterPath,
      LIFEBOAT_TRUST_ROOT: trustRoot,
      LIFEBOAT_KEYS_DIR: keysDir,
      LIFEBOAT_TARGETS: directTargetsPath,
    };
    delete baseEnv.LIFEBOAT_USER;
    // The worker reaches Temporal through a link of its own too: cut it right after a step took effect, and the
    // step's completion never reaches the server, which runs the step again (every step must be safe to repeat).
    const temporalLink = await toxiproxy.createProxy(TEMPORAL_LINK, server.address);
    const workers = new WorkerPool(dir, { ...baseEnv, LIFEBOAT_TARGETS: targetsPath, TEMPORAL_ADDRESS: temporalLink.listen }, ['--targets', targetsPath]);
    stops.push(() => workers.stopAll());
    await workers.start();

    const cli = (args: string[], o: { as?: string; timeoutMs?: number } = {}) =>
      runCli([...args, ...(o.as ? ['--as', o.as] : [])], baseEnv, o.timeoutMs ?? 60_000);
    // The run's status is read in process, as often as faults need it; decisions always go through the CLI.
    const connection = await Connection.connect({ address: server.address });
    const inflight = new Set<Promise<unknown>>();
    // Reads still in flight when the world stops are let finish first: a closed channel under a pending retry throws.
    stops.push(async () => {
      await Promise.allSettled([...inflight]);
      await connection.close();
    });
    const client = new Client({ connection, namespace });
    const status = async (runId: string): Promise<RunStatus | undefined> => {
      // A deadline, so a read while the server is down answers "unknown" in seconds instead of retrying on.
      const read = connection.withDeadline(Date.now() + STATUS_READ_MS, () => client.workflow.getHandle(runId).query(statusQuery));
      inflight.add(read);
      try {
        return await read;
      } catch {
        return undefined;
      } finally {
        inflight.delete(read);
      }
    };
    const forgeFlood = async (runId: string, count: number) => {
      const handle = client.workflow.getHandle(runId);
      for (let i = 0; i < count; i++) await handle.signal('approve', { by: `${'m'.repeat(FORGED_BYTES)}${i}` });
    };
    return {
      dir,
      catalog,
      forgeFlood,
      targetsPath,
      directTargetsPath,
      temporalAddress: server.address,
      namespace,
      taskQueue,
      keysDir,
      rosterPath,
      cli,
      status,
      log: opts.log,
      server,
      workers,
      toxiproxy,
      proxies,
      estateDir,
      services: opts.services,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Runs the real CLI to its end; a command that hangs past `timeoutMs` is killed and reported as exit 124. */
function runCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<CliOutcome> {
  return new Promise((done) => {
    // Detached like the rest of the world, so a Ctrl-C at the runner does not cut a person's command off mid-run.
    const child = spawn(process.execPath, [entry, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      done({ code: signal === 'SIGKILL' ? 124 : (code ?? 1), stdout, stderr });
    });
  });
}
