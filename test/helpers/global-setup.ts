import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { startDevServer, type DevServer } from '../../lib/dev-server';
import { freePort } from '../../lib/free-port';
import { requireTemporalCli } from '../../lib/temporal-binaries';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    testBundlePath: string;
  }
}

let server: DevServer | undefined;

/** One real dev server and one workflow bundle for the whole run; each test file connects to them. */
export async function setup(project: TestProject): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-test-'));
  const [started, bundle] = await Promise.all([
    (async () =>
      startDevServer({ binary: requireTemporalCli().path, port: await freePort(), logFile: join(dir, 'temporal.log') }))(),
    bundleWorkflowCode({ workflowsPath: resolve(__dirname, '../workflows'), logger: silent }),
  ]);
  server = started;
  const bundlePath = join(dir, 'test-workflows.js');
  writeFileSync(bundlePath, bundle.code);
  project.provide('temporalAddress', server.address);
  project.provide('testBundlePath', bundlePath);
}

export async function teardown(): Promise<void> {
  await server?.stop();
}

const noop = () => undefined;
const silent = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: (m: string) => console.error(m) };
