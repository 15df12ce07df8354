import { Region } from '../booking/schemas';
import { ServiceName } from './schemas';
import type { AirlineDb } from './store';

/** How one region of an airline service is set up: its command line, parsed. */
export interface AirlineServiceOptions {
  service: string;
  region: Region;
  port: number;
  /** Holds the persisted mode, `modes/<service>-<region>`. */
  stateDir: string;
  /** Absent for a stateless service (flight-status). */
  db?: AirlineDb;
  /** Services this one calls, by name: each one's base URL in the same region. */
  dependsOn: Record<string, string>;
}

/** Every value of a repeatable `--name value` flag. */
function allValues(argv: string[], name: string): string[] {
  const values: string[] = [];
  argv.forEach((a, i) => {
    if (a === `--${name}` && argv[i + 1] !== undefined) values.push(argv[i + 1]!);
  });
  return values;
}

/**
 * Parses `--service NAME --region R --port P --state-dir DIR [--db-host H --db-port P --db-name N [--db-user U]]
 * [--depends-on NAME=URL ...]`. No `--db-*` flags means stateless; some but not all is refused, naming the missing
 * one, so a typo in the estate cannot silently start a service without its database.
 */
export function parseAirlineArgs(argv: string[]): AirlineServiceOptions {
  const one = (name: string) => allValues(argv, name)[0];
  const need = (name: string) => {
    const v = one(name);
    if (!v) throw new Error(`the airline service needs --${name}`);
    return v;
  };
  const service = ServiceName.safeParse(need('service'));
  if (!service.success) throw new Error(`--service: ${service.error.issues[0]!.message}`);
  const region = Region.safeParse(need('region'));
  if (!region.success) throw new Error(`--region must be A or B, not "${one('region')}"`);
  const port = Number(need('port'));
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`--port must be a port number, not "${one('port')}"`);

  let db: AirlineDb | undefined;
  const dbFlags = ['db-host', 'db-port', 'db-name'];
  if (dbFlags.some((f) => one(f) !== undefined) || one('db-user') !== undefined) {
    const missing = dbFlags.filter((f) => !one(f));
    if (missing.length) throw new Error(`a service with a database needs ${missing.map((f) => `--${f}`).join(', ')} too (or no --db-* flags: stateless)`);
    const dbPort = Number(one('db-port'));
    if (!Number.isInteger(dbPort) || dbPort < 1 || dbPort > 65535) throw new Error(`--db-port must be a port number, not "${one('db-port')}"`);
    db = { host: one('db-host')!, port: dbPort, user: one('db-user') ?? 'postgres', database: one('db-name')! };
  }

  const dependsOn: Record<string, string> = {};
  for (const pair of allValues(argv, 'depends-on')) {
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq);
    const url = pair.slice(eq + 1).replace(/\/+$/, '');
    if (eq <= 0 || !ServiceName.safeParse(name).success || !URL.canParse(url)) {
      throw new Error(`--depends-on takes NAME=URL, like booking=http://127.0.0.1:41003, not "${pair}"`);
    }
    if (name === service.data) throw new Error(`--depends-on: ${name} cannot depend on itself`);
    dependsOn[name] = url;
  }
  return { service: service.data, region: region.data, port, stateDir: need('state-dir'), ...(db ? { db } : {}), dependsOn };
}
