import { z } from 'zod';
import { RegionId } from '../targets/fields';

/**
 * A Route 53 record set that points clients at one region: failover records (PRIMARY/SECONDARY) or weighted ones.
 * Credentials come from AWS's standard chain (environment, shared profiles, instance roles), never from this file.
 */
export const Route53Settings = z.strictObject({
  provider: z.literal('route53'),
  hostedZoneId: z.string().min(1, 'the hosted zone id, e.g. Z0123456789ABC'),
  recordName: z.string().min(1, 'the record clients resolve, e.g. booking.example.com'),
  recordType: z.enum(['A', 'AAAA', 'CNAME']).default('CNAME'),
  ttl: z.number().int().min(0).max(86_400).default(60),
  routing: z.enum(['failover', 'weighted']).default('failover'),
  regions: z
    .record(
      RegionId,
      z.strictObject({
        setIdentifier: z.string().min(1, "the record's set identifier for this region"),
        value: z.string().min(1, "the region's endpoint: an IP for A/AAAA, a host name for CNAME"),
        healthCheckId: z.string().min(1).optional(),
      }),
    )
    .describe('each region: its record set identifier, endpoint value and health check'),
  awsRegion: z.string().min(1).default('us-east-1'),
  profile: z.string().min(1).optional().describe('a shared-config profile; default: the standard credential chain'),
  endpoint: z.url().optional().describe('an API endpoint other than AWS (an emulator in tests)'),
});
export type Route53Settings = z.infer<typeof Route53Settings>;
