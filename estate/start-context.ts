import type { RegionName } from './catalog';
import type { PortPlan } from './port-plan';
import type { ServerSpec } from './server-start';
import type { EstateLayout } from './state-dir';

/** What a service's start gets from the estate's: where things live, its ports, and how servers are started. */
export interface StartContext {
  dir: string;
  layout: EstateLayout;
  ports: PortPlan;
  /** A fresh free port (in the range when one is set), for a first start or after a lost port race. */
  freshPort: () => Promise<number>;
  log: (line: string) => void;
  /** Starts a server on the plan's port `key` (moving it on a lost race) and records where it really listens. */
  serve: (key: string, spec: ServerSpec) => Promise<void>;
  /** The airline service server for one service in one region: its database, if any, and what it calls. */
  airline: (service: string, region: RegionName, db?: { port: number; database: string }, dependsOn?: string[]) => ServerSpec;
  /** The base URL of the server on port `key`. */
  url: (key: string) => string;
}
