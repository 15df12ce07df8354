import { z } from 'zod';

/** A region's name as the targets file spells it: `A`, `eu-west-1`, `westeurope`. */
export const RegionId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'a region name is letters, digits, ".", "_" or "-" (at most 63), starting with a letter or digit');

/** A TCP port. */
export const Port = z.number().int().min(1, 'a port is 1 to 65535').max(65535, 'a port is 1 to 65535');

/** Host and port of a TCP service. */
export const HostPort = z.strictObject({ host: z.string().min(1, 'name the host'), port: Port });

/** The name of an environment variable that holds a secret: the targets file never holds the secret itself. */
export const SecretEnvName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'name an environment variable (A-Z, 0-9, _) that holds the secret, not the secret itself');

/** A program and its arguments, run without a shell. */
export const Argv = z.array(z.string().min(1)).min(1, 'give the program to run, then its arguments, e.g. ["/usr/local/bin/lb-switch", "--profile", "prod"]');

/** How to reach one PostgreSQL node over libpq. The password, if any, comes from `passwordEnv`. */
export const PostgresAddress = z.strictObject({
  host: z.string().min(1, 'name the host'),
  port: Port.default(5432),
  user: z.string().min(1, 'name the database user'),
  database: z.string().min(1, 'name the database'),
  passwordEnv: SecretEnvName.optional().describe('environment variable holding the password; leave out for trust, peer or .pgpass authentication'),
});
export type PostgresAddress = z.infer<typeof PostgresAddress>;
