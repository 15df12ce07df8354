import { join } from 'node:path';
import type { EstateOptions } from '../../estate/estate';
import { startTestEstate, type TestEstate } from '../../estate/testing';
import { recordingHistories } from './histories';
import type { TestNamespace } from './namespaces';
import { connectToTestServer, type TemporalTestContext } from './temporal';

/** What a runbook test file works with: the test server, its own estate, and that estate's catalog. */
export interface RunbookSuite {
  ctx: TemporalTestContext;
  estate: TestEstate;
  targetsPath: string;
}

/**
 * Connects to the test server and starts an estate for one test file, both at once. While it records histories the
 * file runs in `default`, the only namespace the replayer knows (see test/helpers/histories.ts).
 */
export async function openRunbookSuite(estateOptions: Omit<EstateOptions, 'dir'>, namespace: TestNamespace | 'default' = 'default'): Promise<RunbookSuite> {
  const [ctx, estate] = await Promise.all([connectToTestServer(recordingHistories() ? 'default' : namespace), startTestEstate(estateOptions)]);
  return { ctx, estate, targetsPath: join(estate.dir, 'lifeboat.targets.json') };
}

/**
 * Ends what `openRunbookSuite` opened, whatever got opened before a failure: terminates the named runs a failed test
 * may have left waiting (their fixed workflow ids would refuse the next file's start), stops the estate, disconnects.
 */
export async function closeRunbookSuite(suite: Partial<Omit<RunbookSuite, 'targetsPath'>>, runIds: string[] = []): Promise<void> {
  for (const id of runIds)
    await suite.ctx?.client.workflow
      .getHandle(id)
      .terminate('test cleanup')
      .catch(() => undefined);
  await suite.estate?.stop();
  await suite.ctx?.close();
}
