import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { startClusterServer } from '../support/cluster-server';
import { startDevServer } from '../../dev/dev-server';
import { freePort } from '../../lib/free-port';
import { sampleRosterPath } from '../../lib/paths';
import { lifecycleInterceptorModule } from '../../lib/workflow-bundle';
import { generateEd25519KeyPair } from '../../lib/ssh-keys';
import { testNamespaces } from './namespaces';
import { sealRosterWithKeys, writeTestTrustRoot } from './roster-seal-core';
import { requireTemporalCli } from '../../dev/temporal-binaries';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    testBundlePath: string;
    /** One unencrypted ed25519 key per test person, named by roster id. */
    testKeysDir: string;
    /** The sample roster with the test people's public keys (mallory's is in no roster), sealed by the test roster admins. */
    testRosterPath: string;
    /** The trust root naming the test roster admins (root-a, root-b, quorum 2); also in LIFEBOAT_TRUST_ROOT. */
    testTrustRootPath: string;
  }
}

let server: { address: string; stop(): Promise<void> } | undefined;

/**
 * One real dev server and one workflow bundle for the whole run; each test file connects to them.
 * `LIFEBOAT_TEST_SERVER=cluster` (`npm run test:cluster`) starts a real Temporal server on PostgreSQL instead.
 */
export async function setup(project: TestProject): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-test-'));
  const [started, bundle, keys] = await Promise.all([
    process.env.LIFEBOAT_TEST_SERVER === 'cluster'
      ? startClusterServer({ namespaces: testNamespaces })
      : (async () =>
          startDevServer({ binary: requireTemporalCli().path, port: await freePort(), logFile: join(dir, 'temporal.log'), namespaces: testNamespaces }))(),
    bundleWorkflowCode({ workflowsPath: resolve(__dirname, '../workflows'), workflowInterceptorModules: [lifecycleInterceptorModule], logger: silent }),
    makeTestKeys(join(dir, 'keys')),
  ]);
  server = started;
  const bundlePath = join(dir, 'test-workflows.js');
  writeFileSync(bundlePath, bundle.code);
  project.provide('temporalAddress', server.address);
  project.provide('testBundlePath', bundlePath);
  const roster = JSON.parse(readFileSync(sampleRosterPath, 'utf8')) as { people: { id: string; keys?: string[] }[] };
  for (const person of roster.people) person.keys = [keys[person.id]!];
  const rosterPath = join(dir, 'roster.json');
  writeFileSync(rosterPath, JSON.stringify(roster, null, 2));
  const trustRootPath = join(dir, 'trust-root.json');
  await writeTestTrustRoot(join(dir, 'keys'), trustRootPath);
  await sealRosterWithKeys(rosterPath, join(dir, 'keys'));
  // Every worker a test starts (in process, as a child, or through `lifeboat worker`) is given the test trust root,
  // as a deployment gives its workers theirs; a test about a missing trust root unsets it.
  process.env.LIFEBOAT_TRUST_ROOT = trustRootPath;
  project.provide('testKeysDir', join(dir, 'keys'));
  project.provide('testRosterPath', rosterPath);
  project.provide('testTrustRootPath', trustRootPath);
}

/** Real ssh-keygen keys for the test people, so tests sign exactly as users do. */
async function makeTestKeys(dir: string): Promise<Record<string, string>> {
  const lines: Record<string, string> = {};
  for (const id of ['alice', 'bob', 'carol', 'dave', 'erin', 'mallory']) lines[id] = (await generateEd25519KeyPair(dir, id)).publicKeyLine;
  return lines;
}

export async function teardown(): Promise<void> {
  await server?.stop();
}

const noop = () => undefined;
const silent = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: (m: string) => console.error(m) };
