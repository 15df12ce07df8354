import { ListResourceRecordSetsCommand, type ResourceRecordSet, type Route53Client } from '@aws-sdk/client-route-53';
import type { RegionName } from '../contracts/provider';
import { call } from './client';
import type { Route53Settings } from './settings';

/** The zone id as the API takes it: the targets file may copy it with the `/hostedzone/` prefix the API returns. */
export const zoneIdOf = (settings: Route53Settings) => settings.hostedZoneId.replace(/^\/hostedzone\//, '');

/** A DNS name compared the way Route 53 does: case-insensitive, trailing dot optional, `\052`-style escapes decoded. */
export function dnsName(name: string): string {
  return name
    .replace(/\\(\d{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)))
    .toLowerCase()
    .replace(/\.$/, '');
}

/** The values a record set answers with: its resource records, or an alias record's target. */
export function valuesOf(set: ResourceRecordSet): string[] {
  if (set.AliasTarget?.DNSName) return [dnsName(set.AliasTarget.DNSName)];
  return (set.ResourceRecords ?? []).map((r) => r.Value ?? '');
}

/** Whether a record set's answer is the value the targets file gives (host names compared as DNS names). */
export function answersWith(set: ResourceRecordSet, value: string): boolean {
  return valuesOf(set).some((v) => v === value || dnsName(v) === dnsName(value));
}

/**
 * Every record set of the settings' name and type (one per region when the zone is set up right). Route 53 lists a
 * zone sorted by name from a starting point, so the listing starts at our record and stops at the first other name.
 */
export async function readRecordSets(client: Route53Client, settings: Route53Settings): Promise<ResourceRecordSet[]> {
  const name = dnsName(settings.recordName);
  const found: ResourceRecordSet[] = [];
  let start: { name: string; type: string; id?: string } | undefined = { name: settings.recordName, type: settings.recordType };
  while (start) {
    const page = await call(settings, 'route53:ListResourceRecordSets', () =>
      client.send(
        new ListResourceRecordSetsCommand({
          HostedZoneId: zoneIdOf(settings),
          StartRecordName: start!.name,
          StartRecordType: start!.type as ResourceRecordSet['Type'],
          ...(start!.id ? { StartRecordIdentifier: start!.id } : {}),
        }),
      ),
    );
    const sets = page.ResourceRecordSets ?? [];
    const ours = sets.filter((s) => dnsName(s.Name ?? '') === name && s.Type === settings.recordType);
    found.push(...ours);
    const more = page.IsTruncated && ours.length === sets.length && page.NextRecordName && dnsName(page.NextRecordName) === name;
    start = more
      ? {
          name: page.NextRecordName!,
          type: page.NextRecordType ?? settings.recordType,
          ...(page.NextRecordIdentifier ? { id: page.NextRecordIdentifier } : {}),
        }
      : undefined;
  }
  return found;
}

/** A region's record set: by its set identifier. */
export function recordOf(sets: readonly ResourceRecordSet[], settings: Route53Settings, region: RegionName): ResourceRecordSet | undefined {
  const id = settings.regions[region]?.setIdentifier;
  return sets.find((s) => s.SetIdentifier === id);
}

/** The region a record set belongs to: by set identifier, else by the value it answers with. */
export function regionOfRecord(set: ResourceRecordSet, settings: Route53Settings, regions: readonly RegionName[]): RegionName | null {
  const byId = regions.find((r) => settings.regions[r]?.setIdentifier === set.SetIdentifier);
  if (byId) return byId;
  return regions.find((r) => settings.regions[r] && answersWith(set, settings.regions[r]!.value)) ?? null;
}

/** A record set in one phrase for messages: `B (SECONDARY, b.example.net, health check 0f3c…)`. */
export function describeRecord(set: ResourceRecordSet): string {
  const role = set.Failover ?? (set.Weight !== undefined ? `weight ${set.Weight}` : 'simple');
  const hc = set.HealthCheckId ? `, health check ${set.HealthCheckId}` : ', no health check';
  return `${set.SetIdentifier ?? '(no set identifier)'} (${role}, ${valuesOf(set).join(' ') || 'no value'}${hc})`;
}

/**
 * Which region the records make active. Failover: the PRIMARY record's region. Weighted: the one region whose weight
 * is above zero (several, or none, is a split that names no single region). This is the configured intent, not
 * Route 53's health-based answer of the moment: see `createRoute53Traffic` for why.
 */
export function activeFromRecords(sets: readonly ResourceRecordSet[], settings: Route53Settings, regions: readonly RegionName[]) {
  if (settings.routing === 'failover') {
    const primary = sets.filter((s) => s.Failover === 'PRIMARY');
    if (primary.length !== 1) return { region: null, endpoint: primary.length ? primary.map(describeRecord).join('; ') : 'no PRIMARY record' };
    return { region: regionOfRecord(primary[0]!, settings, regions), endpoint: describeRecord(primary[0]!) };
  }
  const carrying = sets.filter((s) => (s.Weight ?? 0) > 0);
  if (carrying.length !== 1) {
    return {
      region: null,
      endpoint: carrying.length ? `weights split: ${carrying.map(describeRecord).join('; ')}` : 'every weight is 0 (Route 53 then answers with all of them)',
    };
  }
  return { region: regionOfRecord(carrying[0]!, settings, regions), endpoint: describeRecord(carrying[0]!) };
}
