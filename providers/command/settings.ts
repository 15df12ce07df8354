import { z } from 'zod';
import { Argv } from '../targets/fields';

/**
 * A program the user writes, for systems Lifeboat has no provider for (SSM Run Command, Rundeck, a vendor CLI).
 * See docs/adding-a-provider.md for the calling convention: capability and operation as arguments, JSON in, JSON out.
 */
export const CommandSettings = z.strictObject({
  provider: z.literal('command'),
  command: Argv,
  timeoutSeconds: z.number().int().min(1).max(3600).default(60),
  passEnv: z
    .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name'))
    .default([])
    .describe("the worker's environment variables the program may see (e.g. SSH_AUTH_SOCK, AWS_PROFILE); everything else stays behind"),
  describe: z.string().min(1).max(200).optional().describe('how plans and status name it, e.g. "rundeck job failover-dns"'),
});
export type CommandSettings = z.infer<typeof CommandSettings>;
