import { estateAdapters } from '../../dev/estate/adapters';
import type { EstateCatalog } from '../../estate/catalog';
import type { Violation } from '../world-types';

export const TRAFFIC_ONE_REGION = 'traffic points at exactly one region';

/** HAProxy's words for a server an operator took out of rotation: a region whose server says so takes no new clients. */
const OUT_OF_ROTATION = /^(DRAIN|MAINT)/;

/**
 * At the end of a run, each named service's clients go to exactly one region: its traffic provider (HAProxy's map, or
 * flight-status's Route 53 failover records) names region A or B, and that region's endpoint is in rotation. It
 * reads through the same adapters `estate status` and the runbooks use, straight to the systems. A provider that
 * cannot be asked, a map that names no region, or an active region left drained or in maintenance (clients are sent
 * nowhere) is a violation.
 */
export async function checkTrafficOneRegion(catalog: EstateCatalog, services: string[]): Promise<Violation[]> {
  const adapters = estateAdapters(catalog);
  const violations = await Promise.all(
    services.map(async (service): Promise<Violation | undefined> => {
      const broken = (why: string) => ({ invariant: TRAFFIC_ONE_REGION, evidence: `${service}: ${why}` });
      let active;
      let health;
      try {
        [active, health] = await Promise.all([adapters.activeBackend({ service }), adapters.backendHealth({ service })]);
      } catch (err) {
        return broken(`its traffic provider could not be asked: ${(err as Error).message}`);
      }
      if (active.region !== 'A' && active.region !== 'B') return broken(`clients are sent to ${active.backend}, which is no region's`);
      const endpoint = health.regions.find((r) => r.region === active.region);
      if (endpoint && OUT_OF_ROTATION.test(endpoint.status)) {
        return broken(`clients are sent to region ${active.region} (${active.backend}), whose server is out of rotation: ${endpoint.status}`);
      }
      return undefined;
    }),
  );
  return violations.filter((v): v is Violation => v !== undefined);
}
