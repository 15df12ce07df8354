import { z } from 'zod';
import { usageError } from '../errors';

/**
 * One Temporal cluster of the orchestrator, as an operator names it: `region-a=temporal.a.example:7233`. The name is
 * the cluster's own (`clusterMetadata.currentClusterName`), which `--active-cluster` takes; the status checks that the
 * server at the address says the same.
 */
export const ClusterAddress = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*=[^\s=]+:\d+$/, 'expected NAME=HOST:PORT, such as region-a=temporal.a.example:7233')
  .transform((text) => {
    const [name, address] = text.split('=') as [string, string];
    return { name, address };
  });
export type ClusterAddress = z.infer<typeof ClusterAddress>;

const example =
  'lifeboat orchestrator status --cluster region-a=HOST:PORT --cluster region-b=HOST:PORT (or LIFEBOAT_CLUSTERS=region-a=HOST:PORT,region-b=HOST:PORT)';

/**
 * The clusters to survey: each `--cluster`, or else LIFEBOAT_CLUSTERS (comma-separated). At least one, each name
 * once; a malformed entry is bad usage, named with its fix.
 */
export function clusterList(flags: string[] | undefined, env: NodeJS.ProcessEnv): ClusterAddress[] {
  const given = flags?.length ? flags : (env.LIFEBOAT_CLUSTERS ?? '').split(',').filter((s) => s.trim() !== '');
  if (given.length === 0) throw usageError('no Temporal clusters to survey', example);
  const clusters = given.map((text) => {
    const parsed = ClusterAddress.safeParse(text.trim());
    if (!parsed.success) throw usageError(`cluster "${text}": ${parsed.error.issues[0]!.message}`, example);
    return parsed.data;
  });
  const names = clusters.map((c) => c.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw usageError(`cluster ${twice} is named twice`, example);
  return clusters;
}
