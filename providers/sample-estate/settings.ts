import { z } from 'zod';
import { RegionId } from '../targets/fields';

/**
 * The sample estate's own local operations: rebuilding a standby from data directories on this machine, isolated
 * drills on clones, and the load counter that measures lost bookings. Only the sample estate has them.
 */
export const SampleEstateSettings = z.strictObject({
  provider: z.literal('sample-estate'),
  stateDir: z.string().min(1, "the sample estate's state directory (written by npm run estate -- up)"),
  dataDirs: z.record(RegionId, z.string().min(1)).describe("each region's PostgreSQL data directory on this machine"),
});
export type SampleEstateSettings = z.infer<typeof SampleEstateSettings>;
