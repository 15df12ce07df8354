import { airlineLoadFiles, countLostRecords, startAirlineLoad } from '../../estate/airline/load';
import type { EstateCatalog } from '../../estate/catalog';
import { flightStatusActiveUrl } from '../../estate/flight-status-service';
import { countLostBookings, startLoad, writeCounters, type LoadCounters, type LoadRun } from '../../estate/load';
import { ESTATE_SERVICES, type EstateService } from '../../estate/services';
import { estateLayout } from '../../estate/state-dir';

/** One service's load: where it sends, how, and how the keys it had acknowledged are checked at the end. */
interface ServiceLoad {
  service: EstateService;
  run: LoadRun;
  countersFile: string;
  /** Checks every acknowledged key where clients reach the service now; undefined for a service that keeps no data. */
  lost?: (keys: string[]) => Promise<{ checked: number; lost: number; lostKeys: string[] }>;
}

/**
 * Steady traffic to every running service (or the named ones), each the way its clients reach it: bookings and
 * records through the service's HAProxy frontend, reads of the flight-status page wherever Route 53 points. Each
 * writes its own counters (`load.json` for booking, `load-<service>.json` for the others), which the runbooks' loss
 * count reads.
 */
export function startAirlineLoads(catalog: EstateCatalog, opts: { services?: readonly string[]; ratePerSecond: number; durationMs?: number }): ServiceLoad[] {
  const layout = estateLayout(catalog.stateDir);
  const chosen = ESTATE_SERVICES.filter((s) => catalog.services[s] && (!opts.services || opts.services.includes(s)));
  const common = { ratePerSecond: opts.ratePerSecond, ...(opts.durationMs !== undefined ? { durationMs: opts.durationMs } : {}) };
  return chosen.flatMap((service): ServiceLoad[] => {
    if (service === 'booking') {
      const lb = catalog.loadBalancer;
      if (!lb) return [];
      const run = startLoad({ url: lb.clientUrl, ...common, countersFile: layout.loadCounters, ackedFile: layout.loadAcked });
      return [{ service, run, countersFile: layout.loadCounters, lost: (keys) => countLostBookings(lb.clientUrl, keys) }];
    }
    const files = airlineLoadFiles(catalog.stateDir, service);
    if (service === 'flight-status') {
      const url = () => flightStatusActiveUrl(catalog);
      const run = startAirlineLoad({ service, url, stateless: true, ...common, countersFile: files.counters, ackedFile: files.acked });
      return [{ service, run, countersFile: files.counters }];
    }
    const lb = catalog.frontends[service];
    if (!lb) return [];
    const run = startAirlineLoad({ service, url: lb.clientUrl, ...common, countersFile: files.counters, ackedFile: files.acked });
    return [{ service, run, countersFile: files.counters, lost: (keys) => countLostRecords(lb.clientUrl, keys) }];
  });
}

/** Waits for every load to end, checks each one's acknowledged keys, writes the final counters, and returns them. */
export async function finishAirlineLoads(loads: ServiceLoad[], onError: (line: string) => void): Promise<{ service: string; counters: LoadCounters }[]> {
  return Promise.all(
    loads.map(async (l) => {
      const counters = await l.run.done;
      if (l.lost) {
        counters.lost = await l.lost(l.run.acknowledgedKeys()).catch((err: Error) => {
          onError(`${l.service}: could not check for lost writes: ${err.message}`);
          return null;
        });
      }
      writeCounters(l.countersFile, counters);
      return { service: l.service, counters };
    }),
  );
}
