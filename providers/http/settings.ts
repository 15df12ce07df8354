import { z } from 'zod';
import { RegionId } from '../targets/fields';

/** A service implementing docs/api/service-mode.openapi.json in each region. */
export const HttpServiceModeSettings = z.strictObject({
  provider: z.literal('http'),
  regions: z.record(RegionId, z.strictObject({ url: z.url() })).describe("each region's service base URL"),
  timeoutMs: z.number().int().min(100).max(60_000).default(5_000),
});
export type HttpServiceModeSettings = z.infer<typeof HttpServiceModeSettings>;

/** A fleet management API implementing docs/api/fleet.openapi.json. */
export const HttpFleetSettings = z.strictObject({
  provider: z.literal('http'),
  url: z.url(),
  timeoutMs: z.number().int().min(100).max(120_000).default(30_000),
});
export type HttpFleetSettings = z.infer<typeof HttpFleetSettings>;
