import { GetHealthCheckCommand, GetHostedZoneCommand, type ResourceRecordSet, type Route53Client } from '@aws-sdk/client-route-53';
import type { ProbeResult, RegionName } from '../contracts/provider';
import { call, credentialSource } from './client';
import { evaluateHealthCheck } from './health';
import { activeFromRecords, answersWith, describeRecord, readRecordSets, recordOf, zoneIdOf } from './records';
import type { Route53Settings } from './settings';

const message = (err: unknown) => (err as Error).message;

/**
 * Read-only checks for `lifeboat targets check`: the API answers and accepts the credentials (`GetHostedZone`), the
 * record has one record set per region in the configured routing with the configured value, each health check
 * exists and is the one on the record, and the records name an active region. Every detail says what to fix.
 */
export async function probeRoute53(client: Route53Client, settings: Route53Settings, regions: readonly RegionName[]): Promise<ProbeResult[]> {
  const results: ProbeResult[] = [];
  const zoneCheck = `reach Route 53 and read zone ${settings.hostedZoneId}`;
  try {
    const zone = await call(settings, 'route53:GetHostedZone', () => client.send(new GetHostedZoneCommand({ Id: zoneIdOf(settings) })));
    results.push({ check: zoneCheck, ok: true, detail: `zone ${zone.HostedZone?.Name ?? '?'} answers, credentials from ${credentialSource(settings)}` });
  } catch (err) {
    return [{ check: zoneCheck, ok: false, detail: message(err) }];
  }

  const recordCheck = `read record ${settings.recordName} ${settings.recordType}`;
  let sets: ResourceRecordSet[];
  try {
    sets = await readRecordSets(client, settings);
  } catch (err) {
    return [...results, { check: recordCheck, ok: false, detail: message(err) }];
  }
  results.push(
    sets.length
      ? { check: recordCheck, ok: true, detail: `${sets.length} record set(s): ${sets.map((s) => s.SetIdentifier ?? '(simple)').join(', ')}` }
      : {
          check: recordCheck,
          ok: false,
          detail:
            `zone ${settings.hostedZoneId} has no ${settings.recordType} record "${settings.recordName}"; ` +
            'create its record sets or fix "recordName"/"recordType"',
        },
  );

  for (const region of regions) {
    const r = settings.regions[region];
    const check = `region ${region} record set "${r?.setIdentifier ?? '?'}"`;
    const set = r && recordOf(sets, settings, region);
    if (!r) results.push({ check, ok: false, detail: `the targets file gives no record set for region ${region}` });
    else if (!set) results.push({ check, ok: false, detail: `no record set "${r.setIdentifier}" on ${settings.recordName}; create it or fix "setIdentifier"` });
    else results.push(recordFits(settings, r.value, set, check));
    if (r && set) results.push(await healthCheckFits(client, settings, region, r.healthCheckId, set));
  }

  const a = activeFromRecords(sets, settings, regions);
  results.push({
    check: `active region (${settings.routing})`,
    ok: a.region !== null,
    detail: a.region ? `clients go to region ${a.region}: ${a.endpoint}` : `the records name no single region: ${a.endpoint}`,
  });
  return results;
}

function recordFits(settings: Route53Settings, value: string, set: ResourceRecordSet, check: string): ProbeResult {
  const routed = settings.routing === 'failover' ? set.Failover !== undefined : set.Weight !== undefined;
  if (!routed)
    return { check, ok: false, detail: `${describeRecord(set)} is not a ${settings.routing} record; fix "routing" in the targets file or the record` };
  if (!answersWith(set, value))
    return { check, ok: false, detail: `${describeRecord(set)} does not answer with "${value}"; fix "value" in the targets file or the record` };
  return { check, ok: true, detail: describeRecord(set) };
}

/** The health check the switch will write exists, and is the one the record carries now. */
async function healthCheckFits(
  client: Route53Client,
  settings: Route53Settings,
  region: RegionName,
  configured: string | undefined,
  set: ResourceRecordSet,
): Promise<ProbeResult> {
  const id = configured ?? set.HealthCheckId;
  const check = `region ${region} health check ${id ?? '(none)'}`;
  if (!id) return { check, ok: true, detail: 'no health check: Route 53 treats this record as always healthy and never fails over from it on its own' };
  if (set.HealthCheckId && set.HealthCheckId !== id) {
    return {
      check,
      ok: false,
      detail: `the record carries health check ${set.HealthCheckId}, the targets file ${id}; a switch would write ${id}: make them agree`,
    };
  }
  try {
    const hc = (await call(settings, 'route53:GetHealthCheck', () => client.send(new GetHealthCheckCommand({ HealthCheckId: id })))).HealthCheck
      ?.HealthCheckConfig;
    const target = hc?.FullyQualifiedDomainName ?? hc?.IPAddress ?? '';
    const verdict = await evaluateHealthCheck(client, settings, id);
    const attached = set.HealthCheckId ? '' : '; not on the record yet: the next switch attaches it';
    return { check, ok: true, detail: `${hc?.Type ?? '?'} ${target}${hc?.Port ? `:${hc.Port}` : ''}${hc?.ResourcePath ?? ''}, ${verdict.status}${attached}` };
  } catch (err) {
    return { check, ok: false, detail: message(err) };
  }
}
