import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ensureSearchAttributes, missingNamespaceError } from '../../lib/search-attributes';
import { requireTemporalCli } from '../../dev/temporal-binaries';
import { lifeboat } from '../helpers/cli';
import { connectToTestServer, testTaskQueue, type TemporalTestContext } from '../helpers/temporal';

let ctx: TemporalTestContext;
beforeAll(async () => {
  ctx = await connectToTestServer();
});
afterAll(async () => ctx?.close());

test('a worker pointed at a namespace the server lacks says so, exits 1, and the fix it prints creates the namespace', { timeout: 120_000 }, async () => {
  const namespace = `lifeboat-missing-${randomUUID().slice(0, 8)}`;
  const result = await lifeboat(['worker', '--task-queue', testTaskQueue()], { TEMPORAL_ADDRESS: ctx.address, TEMPORAL_NAMESPACE: namespace });
  expect(result.code, result.stderr).toBe(1);
  expect(result.stderr).toMatch(new RegExp(`^error: Temporal namespace ${namespace} does not exist on ${ctx.address.replace(/\./g, '\\.')}\n`));
  expect(result.stderr).toContain(`  fix: create it once with: temporal operator namespace create --namespace ${namespace} --retention 30d`);
  // The old advice (adding search attributes) fails the same way on a missing namespace; and no doubled full stop.
  expect(result.stderr).not.toMatch(/search-attribute create|\.\./);

  // The printed fix works as printed; afterwards the worker's own check passes and registers the attributes.
  const fix = /temporal operator namespace create [^\n(]*/.exec(result.stderr)![0].trim().split(/\s+/).slice(1);
  await promisify(execFile)(requireTemporalCli().path, fix);
  await expect
    .poll(
      () =>
        ensureSearchAttributes(ctx.nativeConnection, namespace, ctx.address).then(
          () => 'registered',
          (err: Error) => err.message,
        ),
      {
        timeout: 30_000,
        interval: 500,
      },
    )
    .toBe('registered');
  const listed = await ctx.nativeConnection.operatorService.listSearchAttributes({ namespace });
  expect(Object.keys(listed.customAttributes ?? {})).toContain('LifeboatRunbook');
});

test('on Temporal Cloud a missing namespace points at TEMPORAL_NAMESPACE, since namespaces are made in Cloud', () => {
  const cloud = missingNamespaceError('lifeboat', 'eu-west-1.aws.api.tmprl.cloud:7233');
  expect(cloud.message).toBe('Temporal namespace lifeboat does not exist on eu-west-1.aws.api.tmprl.cloud:7233');
  expect(cloud.suggestion).toMatch(/^check TEMPORAL_NAMESPACE/);
  expect(cloud.suggestion).not.toContain('temporal operator');
  expect(cloud.exitCode).toBe(1);
  expect(missingNamespaceError('lifeboat', 'temporal.internal:7233').suggestion).toMatch(/^create it once with: temporal operator namespace create/);
});
