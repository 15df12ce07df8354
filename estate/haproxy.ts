import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { LoadBalancer } from './catalog';
import { estateChildEnv } from './child-env';
import { runtimeCommand } from './haproxy-runtime';
import { isListening } from './ports';
import { isAlive, sleep, startDetached, type ProcessRecord } from './processes';

/** Where HAProxy is, or `undefined` with the reason the estate reports (what to install). */
export function findHaproxy(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/usr/local/sbin'])) {
    if (dir && existsSync(join(dir, 'haproxy'))) return join(dir, 'haproxy');
  }
  return undefined;
}

export const HAPROXY_MISSING = 'HAProxy is not installed; install it with: apt-get install haproxy';

/** One service behind HAProxy: its own client port, and one server per region. */
export interface HaproxyFrontend {
  service: string;
  clientPort: number;
  backends: { A: number; B: number };
}

export interface HaproxyPlan {
  configFile: string;
  mapFile: string;
  adminPort: number;
  frontends: HaproxyFrontend[];
  initial: 'A' | 'B';
}

/** The catalog entry for one planned frontend: the service's map key, its backends and where its clients enter. */
export function loadBalancerEntry(plan: HaproxyPlan, service = 'booking'): LoadBalancer {
  const frontend = plan.frontends.find((f) => f.service === service);
  if (!frontend) throw new Error(`HAProxy has no frontend for ${service}`);
  return {
    clientUrl: `http://127.0.0.1:${frontend.clientPort}`,
    runtimeApi: { host: '127.0.0.1', port: plan.adminPort },
    switch: { mapFile: plan.mapFile, key: service },
    backends: { A: { backend: `${service}_A`, server: 'A' }, B: { backend: `${service}_B`, server: 'B' } },
  };
}

/**
 * HAProxy's config: a frontend per service whose backend is looked up in one map under the service's name, and one
 * backend per service and region with a health check. Changing a service's map entry through the runtime API switches
 * its regions atomically, with no reload, and leaves the other services where they are.
 */
export function haproxyConfig(plan: HaproxyPlan): string {
  const backend = (service: string, r: 'A' | 'B', port: number) =>
    [`backend ${service}_${r}`, '  option httpchk GET /live', `  server ${r} 127.0.0.1:${port} check inter 500ms fall 2 rise 1`, ''].join('\n');
  const frontend = (f: HaproxyFrontend) => [
    `frontend ${f.service}`,
    `  bind 127.0.0.1:${f.clientPort}`,
    `  use_backend %[str(${f.service}),map(${plan.mapFile},${f.service}_${plan.initial})]`,
    '',
    backend(f.service, 'A', f.backends.A),
    backend(f.service, 'B', f.backends.B),
  ];
  return [
    'global',
    // Without it a second HAProxy may bind a port another estate already listens on, and the two would
    // silently share its clients; with it, a clash fails at start.
    '  noreuseport',
    `  stats socket ipv4@127.0.0.1:${plan.adminPort} level admin`,
    '  stats timeout 10s',
    '  maxconn 4000',
    '',
    'defaults',
    '  mode http',
    '  timeout connect 1s',
    '  timeout client 30s',
    '  timeout server 10s',
    '  timeout http-keep-alive 10s',
    '  retries 2',
    '',
    ...plan.frontends.flatMap(frontend),
  ].join('\n');
}

/**
 * The map HAProxy starts with: what an earlier run left (the region each service's clients were sent to last, see
 * stopEstate), with an entry for the initial region added for each service that has none yet.
 */
function startingMap(plan: HaproxyPlan): string {
  const kept = new Map<string, string>();
  if (existsSync(plan.mapFile)) {
    for (const line of readFileSync(plan.mapFile, 'utf8').split('\n')) {
      const [key, value] = line.trim().split(/\s+/);
      if (key && value) kept.set(key, value);
    }
  }
  for (const f of plan.frontends) if (!kept.has(f.service)) kept.set(f.service, `${f.service}_${plan.initial}`);
  return [...kept].map(([k, v]) => `${k} ${v}\n`).join('');
}

/** Writes the config and map, checks the config with `haproxy -c`, starts HAProxy detached and waits for both ports. */
export async function startHaproxy(plan: HaproxyPlan, opts: { runDir: string; logFile: string }): Promise<ProcessRecord> {
  const binary = findHaproxy();
  if (!binary) throw new Error(HAPROXY_MISSING);
  mkdirSync(dirname(plan.configFile), { recursive: true });
  writeFileSync(plan.mapFile, startingMap(plan));
  writeFileSync(plan.configFile, haproxyConfig(plan));
  try {
    execFileSync(binary, ['-c', '-q', '-f', plan.configFile], { stdio: ['ignore', 'pipe', 'pipe'], env: estateChildEnv() });
  } catch (err) {
    throw new Error(`HAProxy rejected its config: ${(err as { stderr?: Buffer }).stderr?.toString() ?? err}`);
  }
  const record = startDetached({
    name: 'haproxy',
    command: [binary, '-db', '-f', plan.configFile],
    runDir: opts.runDir,
    logFile: opts.logFile,
    port: plan.adminPort,
  });
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (!isAlive(record.pid)) throw new Error(`HAProxy exited at start; see ${opts.logFile}`);
    const ports = [plan.adminPort, ...plan.frontends.map((f) => f.clientPort)];
    if ((await Promise.all(ports.map((p) => isListening(p)))).every(Boolean)) {
      await runtimeCommand({ host: '127.0.0.1', port: plan.adminPort }, 'show info');
      return record;
    }
    await sleep(50);
  }
  throw new Error(`HAProxy did not open its ports; see ${opts.logFile}`);
}
