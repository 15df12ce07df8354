import { z } from 'zod';
import { HostPort, PostgresAddress, RegionId, SecretEnvName } from '../targets/fields';

/** Basic authentication for Patroni's unsafe REST endpoints (`restapi.authentication`): PATCH /config needs it when set. */
export const PatroniRestAuth = z.strictObject({
  username: z.string().min(1, "name the user of Patroni's restapi.authentication"),
  passwordEnv: SecretEnvName.describe("environment variable holding restapi.authentication's password"),
});
export type PatroniRestAuth = z.infer<typeof PatroniRestAuth>;

/** One region's Patroni cluster: its REST API, its leader over libpq, and where other regions stream from it. */
export const PatroniRegion = z.strictObject({
  restUrl: z
    .url({ protocol: /^https?$/, error: 'give the http(s) URL of a Patroni REST API, e.g. "http://db-a1:8008"' })
    .describe("the REST API of the region's Patroni (any member); the leader is found from /cluster"),
  postgres: PostgresAddress.describe("the region's leader over libpq (a service address that follows the leader)"),
  replication: HostPort.optional().describe(
    "where another region's standby cluster streams from while this region is primary (its standby_cluster host and port); " +
      'defaults to postgres.host and postgres.port. The standby cluster logs in with its own postgresql.authentication.replication',
  ),
  restAuth: PatroniRestAuth.optional().describe("leave out when Patroni's REST API has no restapi.authentication"),
});
export type PatroniRegion = z.infer<typeof PatroniRegion>;

/**
 * One Patroni cluster per region; the cluster outside the active region runs as a standby cluster of it. Patroni's
 * REST API changes roles (through the clusters' dynamic configuration, so Patroni keeps them); libpq reads WAL
 * positions and ends sessions.
 */
export const PatroniSettings = z.strictObject({
  provider: z.literal('patroni'),
  regions: z.record(RegionId, PatroniRegion).describe("each region's Patroni cluster"),
  timeoutMs: z.number().int().min(100).max(60_000).default(3_000).describe('per REST call and libpq connection'),
  rebuildTimeoutSeconds: z
    .number()
    .int()
    .min(10, 'allow a rebuild at least 10 s')
    .max(86_400, 'a rebuild waits at most a day (86400 s); a larger database needs a base backup outside the runbook')
    .default(900)
    .describe('how long a rebuild waits for the old primary to stream again (Patroni demotes it, then pg_rewind or a base backup)'),
});
export type PatroniSettings = z.infer<typeof PatroniSettings>;
