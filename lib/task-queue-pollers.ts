import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

/** One worker identity seen polling a task queue, with the latest time any partition saw it. */
export interface Poller {
  identity: string;
  lastAccess: Date;
}

const { TaskQueueType, TaskQueueKind, DescribeTaskQueueMode } = temporal.api.enums.v1;

/** Partitions the server makes for a task queue unless its dynamic config says otherwise. */
const DEFAULT_PARTITIONS = 4;

/**
 * Every identity polling a task queue for workflow tasks.
 *
 * A task queue is split into partitions and a worker's long polls land on any of them, so the default DescribeTaskQueue,
 * which reads only the root partition, can miss a live worker for a minute at a time. The enhanced mode asks every
 * partition; where a server refuses it, the root and the default number of child partitions are read one by one.
 */
export async function workflowPollers(client: Client, taskQueue: string): Promise<Poller[]> {
  const namespace = client.options.namespace;
  let infos: temporal.api.taskqueue.v1.IPollerInfo[];
  try {
    const described = await client.workflowService.describeTaskQueue({
      namespace,
      taskQueue: { name: taskQueue, kind: TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      apiMode: DescribeTaskQueueMode.DESCRIBE_TASK_QUEUE_MODE_ENHANCED,
      taskQueueTypes: [TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW],
      reportPollers: true,
    });
    infos = Object.values(described.versionsInfo ?? {}).flatMap((version) => Object.values(version.typesInfo ?? {}).flatMap((type) => type.pollers ?? []));
  } catch {
    const names = [taskQueue, ...Array.from({ length: DEFAULT_PARTITIONS - 1 }, (_, i) => `/_sys/${taskQueue}/${i + 1}`)];
    const described = await Promise.all(
      names.map((name) =>
        client.workflowService.describeTaskQueue({
          namespace,
          taskQueue: { name, kind: TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
          taskQueueType: TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        }),
      ),
    );
    infos = described.flatMap((d) => d.pollers ?? []);
  }
  const latest = new Map<string, number>();
  for (const info of infos) {
    if (!info.identity) continue;
    const ms = Number(info.lastAccessTime?.seconds ?? 0) * 1000 + Math.floor((info.lastAccessTime?.nanos ?? 0) / 1e6);
    latest.set(info.identity, Math.max(ms, latest.get(info.identity) ?? 0));
  }
  return [...latest].map(([identity, ms]) => ({ identity, lastAccess: new Date(ms) })).sort((a, b) => a.identity.localeCompare(b.identity));
}
