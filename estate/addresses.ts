import type { EstateCatalog } from './catalog';
import { ESTATE_SERVICES } from './services';

/**
 * Where each running service's clients go, one line each, as `estate up` and `npm start` print them: the HAProxy
 * frontend for the services behind it, the DNS name (and each region's server) for flight-status.
 */
export function serviceAddresses(catalog: EstateCatalog): string[] {
  const lines: string[] = [];
  for (const service of ESTATE_SERVICES) {
    const entry = catalog.services[service];
    if (!entry) continue;
    const lb = service === 'booking' ? catalog.loadBalancer : catalog.frontends[service];
    const regions = `A ${entry.regions.A.url}, B ${entry.regions.B.url}`;
    const dns = service === 'flight-status' ? catalog.services['flight-status']?.dns : undefined;
    const entryPoint = dns ? `${dns.recordName} (Route 53 failover record)` : lb ? lb.clientUrl : '(no load balancer)';
    lines.push(`  ${service.padEnd(14)} ${entryPoint}   regions: ${regions}`);
  }
  lines.push(`  ${'fleet'.padEnd(14)} ${catalog.fleet.url}`);
  return lines;
}
