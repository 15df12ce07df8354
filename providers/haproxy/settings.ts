import { z } from 'zod';
import { HostPort, RegionId } from '../targets/fields';

/**
 * HAProxy steered at runtime: the active region is the value of `map.key` in the map file `map.file`, changed through
 * the runtime API at `runtimeApi` (no reload). Each region's server is drained or readied with `set server`.
 */
export const HaproxySettings = z.strictObject({
  provider: z.literal('haproxy'),
  runtimeApi: HostPort.describe('the admin socket (stats socket ... level admin) on TCP'),
  map: z.strictObject({ file: z.string().min(1, 'the map file path as HAProxy knows it'), key: z.string().min(1, 'the map key the frontend looks up') }),
  backends: z.record(RegionId, z.strictObject({ backend: z.string().min(1), server: z.string().min(1) })).describe('each region: its backend and server names'),
  entryUrl: z.url().optional().describe('where clients enter (the frontend), so verification can book through it'),
});
export type HaproxySettings = z.infer<typeof HaproxySettings>;
