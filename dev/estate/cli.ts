import { estateAdapters } from './adapters';
import { loadCatalog } from '../../estate/catalog';
import { breakRegion, breakService, estatePids, readCatalogIn, startEstate, stopEstate, wipeEstate } from '../../estate/estate';
import { serviceAddresses } from '../../estate/addresses';
import { ESTATE_SERVICES, ESTATE_SERVICES_VAR, parseServiceList, type EstateService } from '../../estate/services';
import { argValue } from '../../estate/http-util';
import { finishAirlineLoads, startAirlineLoads } from './airline-load';
import { estateFootprint } from './footprint';
import { ESTATE_PORT_COUNT, ESTATE_PORTS_VAR, estatePortRange } from '../../estate/ports';
import { estateStatus, formatStatus } from './status';
import { estateDir, estateLayout } from '../../estate/state-dir';
import { runYardstick } from './yardstick';

const USAGE = `usage: npm run estate -- <command>

  up [--services booking,crew] [--hosts 36]
                                     start the airline: booking and loyalty (one PostgreSQL pair), checkin (its own
                                     pair), crew (Patroni), flight-status (Route 53 on moto), the fleet API, HAProxy;
                                     --services (or ${ESTATE_SERVICES_VAR}) starts only those (booking always comes)
  down                               stop everything (data kept; up restarts it)
  status [--json]                    every service: active region, health and mode per region, replication lag; the fleet
  break-region <A|B>                 the outage: break every service in the region at once
  break-service <service> <A|B>      kill one service in one region and stop its database abruptly
  bad-vendor-update [--crash-rate 0.3] [--version C-00000291]
                                     push a faulty agent content update to the fleet
  load [--duration 30s] [--rate 20] [--services booking,crew]
                                     steady writes to every service (reads for flight-status) the way its clients reach
                                     it, until Ctrl-C; reports each one's downtime and lost acknowledged writes
  footprint                          the memory the estate's processes use (Linux: /proc)
  yardstick                          load + break-region A + manual promote and switch; prints the cost
  reset                              stop, delete all estate state, start fresh

State dir: ${estateDir()} (LIFEBOAT_ESTATE_DIR overrides)
Ports: free loopback ports the OS assigns; ${ESTATE_PORTS_VAR}=FROM-TO takes them from that range (at least ${ESTATE_PORT_COUNT})`;

/** `30s`, `2m`, `1500ms` or plain seconds, in milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) throw new Error(`not a duration: ${text} (use e.g. 30s, 2m, 1500ms)`);
  const n = Number(m[1]);
  return m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000;
}

function catalogOrExit(dir: string) {
  const catalog = readCatalogIn(dir);
  if (!catalog) throw new Error(`the estate is not up (no catalog in ${dir}); run: npm run estate -- up`);
  return catalog;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const dir = estateDir();
  const log = (line: string) => console.log(line);
  switch (command) {
    case 'up': {
      const hosts = argValue(rest, 'hosts');
      const services = parseServiceList(argValue(rest, 'services'));
      const started = Date.now();
      const { warnings, catalog } = await startEstate({ dir, log, ...(services ? { services } : {}), ...(hosts ? { fleetHosts: Number(hosts) } : {}) });
      console.log(`\nestate up in ${((Date.now() - started) / 1000).toFixed(1)} s; catalog: ${estateLayout(dir).catalog}`);
      console.log(serviceAddresses(catalog).join('\n'));
      for (const w of warnings) console.log(`NOTE: ${w} (the rest of the estate runs)`);
      return 0;
    }
    case 'down':
      await stopEstate(dir, log);
      console.log(estatePids(dir).length ? `still running: ${estatePids(dir).join(', ')}` : 'estate down; no process left');
      return estatePids(dir).length ? 1 : 0;
    case 'reset':
      estatePortRange(); // a bad LIFEBOAT_ESTATE_PORTS is refused before the data is deleted, not after
      await wipeEstate(dir);
      await startEstate({ dir, log });
      console.log('estate reset: fresh data, A primary and active, fleet healthy');
      return 0;
    case 'status': {
      const status = await estateStatus(catalogOrExit(dir));
      console.log(rest.includes('--json') ? JSON.stringify(status, null, 2) : formatStatus(status));
      return 0;
    }
    case 'break-region': {
      const region = rest[0];
      if (region !== 'A' && region !== 'B') throw new Error('usage: break-region <A|B>');
      catalogOrExit(dir);
      for (const line of await breakRegion(dir, region)) console.log(line);
      console.log(`region ${region} broken`);
      return 0;
    }
    case 'break-service': {
      const [service, region] = rest;
      const known = (ESTATE_SERVICES as readonly string[]).includes(service ?? '');
      if (!known || (region !== 'A' && region !== 'B')) throw new Error(`usage: break-service <${ESTATE_SERVICES.join('|')}> <A|B>`);
      catalogOrExit(dir);
      console.log(await breakService(dir, service as EstateService, region));
      return 0;
    }
    case 'bad-vendor-update': {
      const fleet = estateAdapters(catalogOrExit(dir));
      const crashRate = Number(argValue(rest, 'crash-rate') ?? 0.3);
      const version = argValue(rest, 'version') ?? 'C-00000291';
      const r = await fleet.pushContentUpdate({ version, faulty: true, crashRate });
      const crashed = r.results.filter((x) => x.outcome === 'applied' && x.health === 'crashed').length;
      console.log(`content update ${version} reached ${r.counts.applied} hosts (${r.counts.refused} refused it); ${crashed} crashed`);
      return 0;
    }
    case 'load': {
      const catalog = catalogOrExit(dir);
      if (!catalog.loadBalancer) throw new Error('load needs the load balancer; install it with: apt-get install haproxy');
      const duration = argValue(rest, 'duration');
      const services = parseServiceList(argValue(rest, 'services'));
      const loads = startAirlineLoads(catalog, {
        ratePerSecond: Number(argValue(rest, 'rate') ?? 20),
        ...(duration ? { durationMs: parseDuration(duration) } : {}),
        ...(services ? { services } : {}),
      });
      const onSignal = () => void Promise.all(loads.map((l) => l.run.stop()));
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      const ticker = setInterval(() => {
        const line = loads.map((l) => {
          const c = l.run.counters();
          return `${l.service} ${c.successes} ok/${c.failures} failed`;
        });
        process.stdout.write(`\r${line.join(' · ')}   `);
      }, 1000);
      const finished = await finishAirlineLoads(loads, (line) => console.error(`\n${line}`));
      clearInterval(ticker);
      console.log('');
      for (const { service, counters } of finished) {
        console.log(
          `${service}: ${counters.successes} acknowledged, ${counters.failures} failed ${JSON.stringify(counters.failuresByKind)}; ` +
            `downtime ${counters.downtimeMs} ms in ${counters.outages.length} outage(s); ` +
            `lost acknowledged writes: ${service === 'flight-status' ? 'none possible (it keeps no data)' : counters.lost ? counters.lost.lost : 'unknown'}`,
        );
      }
      console.log(`counters: ${estateLayout(dir).dir}/load*.json`);
      return 0;
    }
    case 'footprint': {
      catalogOrExit(dir);
      const f = estateFootprint(dir);
      console.log(
        `${f.processes} processes: ${f.pssMiB} MiB (proportional set size, shared pages counted once); ${f.rssSumMiB} MiB resident summed per process`,
      );
      return 0;
    }
    case 'yardstick': {
      const r = await runYardstick({ catalog: catalogOrExit(dir), log });
      console.log(
        JSON.stringify({ downtimeMs: r.downtimeMs, acknowledged: r.acknowledged, lost: r.lost, failures: r.failures, timeline: r.timeline }, null, 2),
      );
      return 0;
    }
    case 'catalog':
      console.log(JSON.stringify(loadCatalog(estateLayout(dir).catalog), null, 2));
      return 0;
    case undefined:
    case 'help':
    case '--help':
      console.log(USAGE);
      return command ? 0 : 2;
    default:
      console.error(`unknown command: ${command}\n\n${USAGE}`);
      return 2;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      console.error(`estate: ${(err as Error).message}`);
      process.exit(1);
    },
  );
}
