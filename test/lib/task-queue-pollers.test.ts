import type { Client } from '@temporalio/client';
import { expect, test } from 'vitest';
import { workflowPollers } from '../../lib/task-queue-pollers';

/*
 * The real server's answer is covered by test/cli/workers.test.ts. This covers a server that refuses the enhanced
 * describe: the root and the child partitions are read one by one, and a worker seen on several keeps its latest poll.
 */

interface Request {
  taskQueue: { name: string };
  apiMode?: number;
}

function serverWithoutEnhancedMode(pollersByPartition: Record<string, { identity: string; seconds: number }[]>) {
  const asked: string[] = [];
  const client = {
    options: { namespace: 'default' },
    workflowService: {
      describeTaskQueue: async (req: Request) => {
        if (req.apiMode) throw new Error('3 INVALID_ARGUMENT: enhanced mode is not supported');
        asked.push(req.taskQueue.name);
        const pollers = (pollersByPartition[req.taskQueue.name] ?? []).map((p) => ({
          identity: p.identity,
          lastAccessTime: { seconds: p.seconds, nanos: 0 },
        }));
        return { pollers };
      },
    },
  } as unknown as Client;
  return { client, asked };
}

test('a server without the enhanced describe: every partition is read, and each worker is listed once with its latest poll', async () => {
  const { client, asked } = serverWithoutEnhancedMode({
    lifeboat: [{ identity: 'region-a', seconds: 100 }],
    '/_sys/lifeboat/2': [
      { identity: 'region-b', seconds: 300 },
      { identity: 'region-a', seconds: 200 },
    ],
  });
  const pollers = await workflowPollers(client, 'lifeboat');
  expect(asked.sort()).toEqual(['/_sys/lifeboat/1', '/_sys/lifeboat/2', '/_sys/lifeboat/3', 'lifeboat']);
  expect(pollers).toEqual([
    { identity: 'region-a', lastAccess: new Date(200_000) },
    { identity: 'region-b', lastAccess: new Date(300_000) },
  ]);
});
