import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { clusterCandidates } from '../../cli/cluster-candidates';
import { CliError } from '../../cli/errors';
import { FollowingConnection, NoClusterAnswers, type ClusterConnection } from '../../cli/following-connection';
import { connectionSettings } from '../../lib/connection';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** No Temporal config file and a state folder of its own, so only the variables given here count. */
function isolated(env: Record<string, string> = {}): NodeJS.ProcessEnv {
  const stateDir = mkdtempSync(join(tmpdir(), 'lifeboat-follow-'));
  dirs.push(stateDir);
  return { LIFEBOAT_STATE_DIR: stateDir, TEMPORAL_CONFIG_FILE: join(stateDir, 'no-temporal.toml'), ...env };
}

function candidatesOf(env: Record<string, string>) {
  const e = isolated(env);
  return clusterCandidates(connectionSettings(e), e);
}

describe('the list of cluster addresses', () => {
  test('TEMPORAL_ADDRESS may list a cluster per region; the first is the one a worker polls', () => {
    const settings = connectionSettings(isolated({ TEMPORAL_ADDRESS: 'temporal.a.example:7233, temporal.b.example:7233' }));
    expect(settings.connectionOptions.address).toBe('temporal.a.example:7233');
    expect(settings.addresses).toEqual(['temporal.a.example:7233', 'temporal.b.example:7233']);
    expect(settings.source).toBe('TEMPORAL_ADDRESS');
  });

  test('a single address is one candidate, as before', () => {
    expect(candidatesOf({ TEMPORAL_ADDRESS: 'temporal.example:7233' })).toEqual([{ address: 'temporal.example:7233' }]);
    expect(candidatesOf({})).toEqual([{ address: 'localhost:7233' }]);
  });

  test('LIFEBOAT_CLUSTERS adds the clusters it names after TEMPORAL_ADDRESS, and names the ones already listed', () => {
    expect(
      candidatesOf({ TEMPORAL_ADDRESS: 'temporal.b.example:7233', LIFEBOAT_CLUSTERS: 'region-a=temporal.a.example:7233,region-b=temporal.b.example:7233' }),
    ).toEqual([
      { address: 'temporal.b.example:7233', name: 'region-b' },
      { address: 'temporal.a.example:7233', name: 'region-a' },
    ]);
  });

  test('LIFEBOAT_CLUSTERS alone replaces the embedded dev server', () => {
    expect(candidatesOf({ LIFEBOAT_CLUSTERS: 'region-a=temporal.a.example:7233,region-b=temporal.b.example:7233' })).toEqual([
      { address: 'temporal.a.example:7233', name: 'region-a' },
      { address: 'temporal.b.example:7233', name: 'region-b' },
    ]);
  });

  test('a malformed LIFEBOAT_CLUSTERS is bad usage, with its fix', () => {
    let error: unknown;
    try {
      candidatesOf({ TEMPORAL_ADDRESS: 'temporal.example:7233', LIFEBOAT_CLUSTERS: 'temporal.a.example:7233' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).message).toMatch(/expected NAME=HOST:PORT/);
  });
});

/** A gRPC error as the client sees one: a code, details and metadata. */
function grpcError(code: number, details: string): Error {
  return Object.assign(new Error(`${code} ${details}`), { code, details, metadata: {} });
}
const namespaceNotActive = (on: string, active: string) =>
  grpcError(9, `Namespace: orchestrator-dr is active in cluster: ${active}, while current cluster ${on} is a standby cluster.`);
const unavailable = () => grpcError(14, 'connect ECONNREFUSED 127.0.0.1:7233');

/** The namespace as every cluster's copy of it stands: which cluster is active, at which failover version. */
interface World {
  active: string;
  version: number;
  /** A cluster whose copy has not yet heard of the latest failover. */
  stale?: Record<string, { active: string; version: number }>;
  dead: Set<string>;
}

/** A stubbed cluster: answers who it is and the namespace, and takes signals only where the namespace is active. */
function stubCluster(
  name: string,
  world: World,
  log: { signals: { cluster: string; request: unknown }[]; metadata: unknown[]; lookups: number },
): ClusterConnection {
  const alive = () => {
    if (world.dead.has(name)) throw unavailable();
  };
  const service = {
    getClusterInfo: async () => (alive(), { clusterName: name }),
    describeNamespace: async () => {
      alive();
      const copy = world.stale?.[name] ?? world;
      return { replicationConfig: { activeClusterName: copy.active }, failoverVersion: copy.version };
    },
    signalWorkflowExecution: async (request: unknown) => {
      alive();
      // selected-apis forwarding: a standby sends the signal on to the cluster its copy names active.
      const active = (world.stale?.[name] ?? world).active;
      if (active !== name) throw world.dead.has(active) ? unavailable() : namespaceNotActive(name, active);
      log.signals.push({ cluster: name, request });
      return {};
    },
    describeWorkflowExecution: async () => {
      log.lookups++;
      throw grpcError(5, 'workflow not found');
    },
  };
  return {
    workflowService: service as unknown as ClusterConnection['workflowService'],
    operatorService: {} as ClusterConnection['operatorService'],
    withDeadline: (_deadline, fn) => fn(),
    withAbortSignal: (_signal, fn) => fn(),
    withMetadata: (metadata, fn) => (log.metadata.push({ cluster: name, metadata }), fn()),
    close: async () => undefined,
  };
}

function follower(world: World, options: { unreachable?: string[]; hanging?: string[]; followMs?: number } = {}) {
  const log = { signals: [] as { cluster: string; request: unknown }[], metadata: [] as unknown[], said: [] as string[], lookups: 0 };
  const addresses: Record<string, string> = { 'a:7233': 'region-a', 'b:7233': 'region-b' };
  const connection = new FollowingConnection({
    candidates: [
      { address: 'a:7233', name: 'region-a' },
      { address: 'b:7233', name: 'region-b' },
    ],
    namespace: 'orchestrator-dr',
    dial: async (address) => {
      if (options.unreachable?.includes(addresses[address]!)) throw new Error('Failed to connect before the deadline');
      // A dead host that neither answers nor refuses: the dial fails only at its connect timeout.
      if (options.hanging?.includes(addresses[address]!)) await new Promise((_, reject) => setTimeout(() => reject(new Error('timed out')), 5_000));
      return stubCluster(addresses[address]!, world, log);
    },
    say: (line) => log.said.push(line),
    followMs: options.followMs ?? 2_000,
    retryDelayMs: 10,
    graceMs: 100,
  });
  return { connection, log };
}

const signal = { namespace: 'orchestrator-dr', workflowExecution: { workflowId: 'run-1' }, signalName: 'approve', requestId: 'same-request' };

describe('following the active cluster', () => {
  test('talks to the first cluster when the namespace is active there, and says nothing', async () => {
    const { connection, log } = follower({ active: 'region-a', version: 1, dead: new Set() });
    await connection.workflowService.signalWorkflowExecution(signal);
    expect(log.signals.map((s) => s.cluster)).toEqual(['region-a']);
    expect(log.said).toEqual([]);
  });

  test('goes to the cluster where the namespace is active, and says so', async () => {
    const { connection, log } = follower({ active: 'region-b', version: 12, dead: new Set() });
    expect(await connection.activeAddress()).toBe('b:7233');
    await connection.workflowService.signalWorkflowExecution(signal);
    expect(log.signals.map((s) => s.cluster)).toEqual(['region-b']);
    expect(log.said).toEqual(['# followed the active cluster: namespace orchestrator-dr is active on region-b (b:7233); region-a (a:7233) is a standby']);
  });

  test('skips a cluster that does not answer', async () => {
    const { connection, log } = follower({ active: 'region-b', version: 12, dead: new Set() }, { unreachable: ['region-a'] });
    await connection.workflowService.signalWorkflowExecution(signal);
    expect(log.signals.map((s) => s.cluster)).toEqual(['region-b']);
    expect(log.said[0]).toMatch(/^# followed the active cluster: .* active on region-b \(b:7233\); region-a \(a:7233\) does not answer: Failed to connect/);
  });

  test('once a cluster says the namespace is active on itself, one that does not answer is waited for only briefly', async () => {
    const { connection, log } = follower({ active: 'region-b', version: 12, dead: new Set() }, { hanging: ['region-a'] });
    expect(await connection.activeAddress()).toBe('b:7233');
    expect(log.said[0]).toMatch(/region-a \(a:7233\) does not answer: no answer within 100 ms/);
  });

  test('believes the copy that saw the latest failover when the clusters disagree', async () => {
    const { connection } = follower({ active: 'region-b', version: 12, stale: { 'region-a': { active: 'region-a', version: 1 } }, dead: new Set() });
    expect(await connection.activeAddress()).toBe('b:7233');
  });

  test('a call refused with NamespaceNotActive is sent again, the same request, to the newly active cluster, and the switch is said', async () => {
    const world: World = { active: 'region-a', version: 1, dead: new Set() };
    const { connection, log } = follower(world);
    await connection.workflowService.signalWorkflowExecution(signal);
    world.active = 'region-b';
    world.version = 12;
    await connection.workflowService.signalWorkflowExecution(signal);
    expect(log.signals).toEqual([
      { cluster: 'region-a', request: signal },
      { cluster: 'region-b', request: signal },
    ]);
    expect(log.said).toEqual(['# followed the active cluster: namespace orchestrator-dr is active on region-b (b:7233); region-a (a:7233) is a standby']);
  });

  test('when the active cluster dies and the namespace fails over, the next call goes to the survivor', async () => {
    const world: World = { active: 'region-a', version: 1, dead: new Set() };
    const { connection, log } = follower(world);
    await connection.workflowService.signalWorkflowExecution(signal);
    world.dead.add('region-a');
    world.active = 'region-b';
    world.version = 12;
    await connection.workflowService.signalWorkflowExecution(signal);
    expect(log.signals.map((s) => s.cluster)).toEqual(['region-a', 'region-b']);
    expect(log.said.at(-1)).toMatch(/^# followed the active cluster: .* active on region-b \(b:7233\); region-a \(a:7233\) does not answer/);
  });

  test('right after a failover, a call the survivor forwards to the dead cluster is tried again until it lands', async () => {
    // The survivor's namespace cache still names the dead cluster for a moment: it forwards there, and fails.
    const world: World = { active: 'region-b', version: 12, stale: { 'region-b': { active: 'region-a', version: 1 } }, dead: new Set(['region-a']) };
    const { connection, log } = follower(world);
    setTimeout(() => delete world.stale, 50);
    await connection.workflowService.signalWorkflowExecution(signal);
    expect(log.signals.map((s) => s.cluster)).toEqual(['region-b']);
    expect(log.said[0]).toMatch(/^# namespace orchestrator-dr is active on region-a, which does not answer here; talking to region-b \(b:7233\)/);
  });

  test('gives up after the follow time with the last error, and when no cluster answers says what each said', async () => {
    const world: World = { active: 'region-c', version: 22, dead: new Set() };
    const { connection, log } = follower(world, { followMs: 100 });
    await expect(connection.workflowService.signalWorkflowExecution(signal)).rejects.toThrow(/is active in cluster: region-c/);
    expect(log.said[0]).toMatch(/^# namespace orchestrator-dr is active on region-c, which does not answer here; talking to region-a \(a:7233\)/);

    const gone = follower({ active: 'region-a', version: 1, dead: new Set() }, { unreachable: ['region-a', 'region-b'], followMs: 100 });
    const failure = await gone.connection.ensureConnected().catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(NoClusterAnswers);
    expect((failure as Error).message).toBe(
      'region-a (a:7233): Failed to connect before the deadline; region-b (b:7233): Failed to connect before the deadline',
    );
  });

  test('any other error is the caller’s at once, never sent again', async () => {
    const { connection, log } = follower({ active: 'region-a', version: 1, dead: new Set() });
    await expect(connection.workflowService.describeWorkflowExecution({ namespace: 'orchestrator-dr' })).rejects.toThrow(/workflow not found/);
    expect(log.lookups).toBe(1);
  });

  test('metadata the caller sets reaches the cluster the call goes to', async () => {
    const { connection, log } = follower({ active: 'region-b', version: 12, dead: new Set() });
    await connection.withMetadata({ 'x-lifeboat': 'yes' }, () => connection.workflowService.signalWorkflowExecution(signal));
    expect(log.metadata).toEqual([{ cluster: 'region-b', metadata: { 'x-lifeboat': 'yes' } }]);
  });
});
