import { z } from 'zod';
import { RegionId } from '../targets/fields';

/** One region's record set in the record's routing policy. */
export const Route53RegionRecord = z.strictObject({
  setIdentifier: z.string().min(1, "the record's set identifier for this region, as Route 53 shows it (SetIdentifier)"),
  value: z.string().min(1, "the region's endpoint: an IP for A/AAAA, a host name for CNAME (an alias record's DNS name)"),
  healthCheckId: z
    .string()
    .min(1, 'the health check id, e.g. 0f3c…-…; leave the field out for a region without one')
    .optional()
    .describe("the health check Route 53 evaluates for this region's record; left out: the record keeps the one it has"),
});
export type Route53RegionRecord = z.infer<typeof Route53RegionRecord>;

/**
 * A Route 53 record set that points clients at one region: failover records (PRIMARY/SECONDARY) or weighted ones.
 * Credentials come from AWS's standard chain (environment, shared profiles, instance roles), never from this file.
 * The record sets must already exist: a switch changes which one is primary (or carries the weight), nothing else.
 */
export const Route53Settings = z
  .strictObject({
    provider: z.literal('route53'),
    hostedZoneId: z.string().regex(/^(\/hostedzone\/)?[A-Z0-9]{1,32}$/, 'the hosted zone id, e.g. Z0123456789ABC (aws route53 list-hosted-zones)'),
    recordName: z.string().min(1, 'the record clients resolve, e.g. booking.example.com'),
    recordType: z.enum(['A', 'AAAA', 'CNAME'], 'the record type: "A", "AAAA" or "CNAME"').default('CNAME'),
    ttl: z
      .number()
      .int()
      .min(0)
      .max(86_400, 'a TTL is 0 to 86400 seconds')
      .optional()
      .describe("when set, a switch also writes this TTL to every region's record; left out, each record keeps its own"),
    routing: z.enum(['failover', 'weighted'], 'routing is "failover" (PRIMARY/SECONDARY records) or "weighted"').default('failover'),
    regions: z.record(RegionId, Route53RegionRecord).describe('each region: its record set identifier, endpoint value and health check'),
    awsRegion: z.string().min(1).default('us-east-1'),
    profile: z.string().min(1).optional().describe('a shared-config profile; default: the standard credential chain (AWS_PROFILE, environment, roles)'),
    endpoint: z
      .url('an http(s) URL of an AWS API emulator, e.g. http://127.0.0.1:5000; leave it out for AWS')
      .optional()
      .describe('an API endpoint other than AWS (an emulator in tests)'),
    changeTimeoutSeconds: z
      .number()
      .int()
      .min(0)
      .max(600, 'wait at most 600 s for a change; give the step a longer timeout instead')
      .default(45)
      .describe('how long a switch waits for Route 53 to report the change INSYNC; keep it under the step timeout'),
  })
  .superRefine((s, ctx) => {
    const regions = Object.entries(s.regions);
    if (s.routing === 'failover' && regions.length !== 2) {
      ctx.addIssue({
        code: 'custom',
        path: ['regions'],
        message:
          `failover routing has one PRIMARY and one SECONDARY record, so exactly two regions (found ${regions.length}); ` +
          'use "routing": "weighted" for more',
      });
    }
    const seen = new Map<string, string>();
    for (const [region, r] of regions) {
      const other = seen.get(r.setIdentifier);
      if (other !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['regions', region, 'setIdentifier'],
          message: `regions "${other}" and "${region}" share set identifier "${r.setIdentifier}"; each region has its own record set`,
        });
      }
      seen.set(r.setIdentifier, region);
    }
  });
export type Route53Settings = z.infer<typeof Route53Settings>;
