import { expect, test } from 'vitest';
import { CliError } from '../../cli/errors';
import { clusterList } from '../../cli/orchestrator/clusters';
import { orchestratorProblems } from '../../cli/orchestrator/problems';
import type { ClusterView } from '../../cli/orchestrator/survey';

test('the clusters come from --cluster, else from LIFEBOAT_CLUSTERS, as NAME=HOST:PORT', () => {
  const env = { LIFEBOAT_CLUSTERS: 'region-a=10.0.0.1:7233, region-b=10.1.0.1:7233' };
  expect(clusterList(undefined, env)).toEqual([
    { name: 'region-a', address: '10.0.0.1:7233' },
    { name: 'region-b', address: '10.1.0.1:7233' },
  ]);
  expect(clusterList(['region-c=temporal.c.example:7233'], env)).toEqual([{ name: 'region-c', address: 'temporal.c.example:7233' }]);
});

test('no cluster, a cluster without its name or port, or a name given twice is bad usage (exit 2) with the form to use', () => {
  const refusal = (flags: string[] | undefined, env: NodeJS.ProcessEnv = {}) => {
    try {
      clusterList(flags, env);
    } catch (err) {
      return { message: (err as CliError).message, exitCode: (err as CliError).exitCode };
    }
    throw new Error('accepted');
  };
  expect(refusal(undefined)).toEqual({ message: 'no Temporal clusters to survey', exitCode: 2 });
  expect(refusal(['10.0.0.1:7233']).message).toBe('cluster "10.0.0.1:7233": expected NAME=HOST:PORT, such as region-a=temporal.a.example:7233');
  expect(refusal(['region-a=10.0.0.1']).exitCode).toBe(2);
  expect(refusal(['region-a=10.0.0.1:7233', 'region-a=10.1.0.1:7233']).message).toBe('cluster region-a is named twice');
});

const namespace = { global: true, activeCluster: 'region-a', clusters: ['region-a', 'region-b'], failoverVersion: 1, lastFailoverAt: null };
const answering = (name: string, over: Partial<Extract<ClusterView, { answers: true }>> = {}): ClusterView => ({
  name,
  address: `${name}.example:7233`,
  answers: true,
  clusterName: name,
  serverVersion: '1.32.1',
  namespace,
  peers: [],
  workers: [{ identity: `lifeboat@${name}`, lastPolledAt: null }],
  ...over,
});

test('two clusters that answer, agree on the active one and each have a worker have no problem', () => {
  expect(orchestratorProblems([answering('region-a'), answering('region-b')], 'lifeboat')).toEqual([]);
});

test('a lost active cluster is named with the command that fails the namespace over to one that answers', () => {
  const lost: ClusterView = { name: 'region-a', address: 'region-a.example:7233', answers: false, error: 'connection refused' };
  expect(orchestratorProblems([lost, answering('region-b')], 'lifeboat')).toEqual([
    'cluster region-a (region-a.example:7233) does not answer: connection refused',
    'namespace lifeboat is active in region-a, which does not answer; fail over with: temporal operator namespace update --address region-b.example:7233 -n lifeboat --active-cluster region-b',
  ]);
});

test('a region with no worker, a server under another name, and clusters that disagree are each named', () => {
  const problems = orchestratorProblems(
    [answering('region-a', { workers: [] }), answering('region-b', { clusterName: 'region-c', namespace: { ...namespace, activeCluster: 'region-b' } })],
    'lifeboat',
  );
  expect(problems).toEqual([
    'no worker polls cluster region-a: that region could not run anything after a failover to it',
    'region-b.example:7233 is cluster region-c, not region-b as given',
    'the clusters disagree on the active cluster (region-a, region-b): a failover may still be replicating',
  ]);
});
