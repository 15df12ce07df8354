import { afterAll, beforeAll, expect, test } from 'vitest';
import { FINDING_NUMBERS_ID } from '../../lib/findings/names';
import { lifeboatInProcess, temporalCli } from '../helpers/cli';
import { connectToTestServer, testTaskQueue, type TemporalTestContext } from '../helpers/temporal';

let ctx: TemporalTestContext;

beforeAll(async () => {
  ctx = await connectToTestServer('findings-squat');
});

afterAll(async () => {
  await ctx?.close();
});

test("lifeboat findings names a workflow an insider started under the numberer's ID with the stock CLI, exits 1, and says how to free it", async () => {
  const env = { TEMPORAL_ADDRESS: ctx.address, LIFEBOAT_TASK_QUEUE: testTaskQueue() };
  const clean = await lifeboatInProcess(['findings'], env);
  expect(clean.code, clean.stderr).toBe(0);
  expect(clean.stdout).not.toContain('HELD');

  // No worker polls the insider's queue: the workflow just sits under the ID, and the real numberer cannot start there.
  const started = await temporalCli(
    ['workflow', 'start', '--type', 'notANumberer', '--task-queue', 'insider', '--workflow-id', FINDING_NUMBERS_ID],
    ctx.address,
  );
  expect(started.code, started.stderr).toBe(0);
  try {
    const squatted = await lifeboatInProcess(['findings'], env);
    expect(squatted.code).toBe(1);
    expect(squatted.stdout).toContain(
      `HELD: ${FINDING_NUMBERS_ID} is held by a notANumberer workflow on task queue insider, not Lifeboat's findingNumbers on ${env.LIFEBOAT_TASK_QUEUE}: no finding can be numbered`,
    );
    expect(squatted.stderr).toContain(`temporal workflow terminate --workflow-id ${FINDING_NUMBERS_ID}`);
    const json = await lifeboatInProcess(['findings', '--json'], env);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ squatted: [{ workflowId: FINDING_NUMBERS_ID, type: 'notANumberer', taskQueue: 'insider' }] });
  } finally {
    await ctx.client.workflow.getHandle(FINDING_NUMBERS_ID).terminate('test over');
  }
});
