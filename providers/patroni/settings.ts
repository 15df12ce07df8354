import { z } from 'zod';
import { PostgresAddress, RegionId } from '../targets/fields';

/**
 * One Patroni cluster per region; the cluster outside the active region runs as a standby cluster of it. Patroni's
 * REST API changes roles; libpq reads WAL positions and fences sessions.
 */
export const PatroniSettings = z.strictObject({
  provider: z.literal('patroni'),
  regions: z
    .record(
      RegionId,
      z.strictObject({
        restUrl: z.url().describe("the REST API of the region's Patroni (any member); the leader is found from /cluster"),
        postgres: PostgresAddress.describe("the region's leader over libpq (a service address that follows the leader)"),
      }),
    )
    .describe("each region's Patroni cluster"),
  timeoutMs: z.number().int().min(100).max(60_000).default(3_000),
});
export type PatroniSettings = z.infer<typeof PatroniSettings>;
