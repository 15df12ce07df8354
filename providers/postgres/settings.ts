import { z } from 'zod';
import { PostgresAddress, RegionId } from '../targets/fields';

/** A streaming-replication pair (or more) reached over libpq: status, lag, fencing and `pg_promote()` in SQL only. */
export const PostgresSettings = z.strictObject({
  provider: z.literal('postgres'),
  regions: z.record(RegionId, PostgresAddress).describe("each region's node"),
  timeoutMs: z.number().int().min(100).max(60_000).default(3_000).describe('per connection; statements get four times this'),
});
export type PostgresSettings = z.infer<typeof PostgresSettings>;
