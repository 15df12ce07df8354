import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
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

export interface HaproxyPlan {
  configFile: string;
  mapFile: string;
  clientPort: number;
  adminPort: number;
  backends: { A: number; B: number };
  initial: 'A' | 'B';
}

/** The catalog entry for a planned HAProxy. */
export function loadBalancerEntry(plan: HaproxyPlan): LoadBalancer {
  return {
    clientUrl: `http://127.0.0.1:${plan.clientPort}`,
    runtimeApi: { host: '127.0.0.1', port: plan.adminPort },
    switch: { mapFile: plan.mapFile, key: 'booking' },
    backends: { A: { backend: 'booking_A', server: 'A' }, B: { backend: 'booking_B', server: 'B' } },
  };
}

/**
 * HAProxy's config: one frontend whose backend is looked up in a map, one backend per region with a health check.
 * Changing the map entry through the runtime API switches regions atomically, with no reload.
 */
export function haproxyConfig(plan: HaproxyPlan): string {
  const backend = (r: 'A' | 'B') =>
    [`backend booking_${r}`, '  option httpchk GET /live', `  server ${r} 127.0.0.1:${plan.backends[r]} check inter 500ms fall 2 rise 1`, ''].join('\n');
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
    'frontend booking',
    `  bind 127.0.0.1:${plan.clientPort}`,
    `  use_backend %[str(booking),map(${plan.mapFile},booking_${plan.initial})]`,
    '',
    backend('A'),
    backend('B'),
  ].join('\n');
}

/** Writes the config and map, checks the config with `haproxy -c`, starts HAProxy detached and waits for both ports. */
export async function startHaproxy(plan: HaproxyPlan, opts: { runDir: string; logFile: string }): Promise<ProcessRecord> {
  const binary = findHaproxy();
  if (!binary) throw new Error(HAPROXY_MISSING);
  mkdirSync(dirname(plan.configFile), { recursive: true });
  // A map kept from an earlier run holds the region clients were sent to last (see stopEstate); keep it.
  if (!existsSync(plan.mapFile)) writeFileSync(plan.mapFile, `booking booking_${plan.initial}\n`);
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
    port: plan.clientPort,
  });
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (!isAlive(record.pid)) throw new Error(`HAProxy exited at start; see ${opts.logFile}`);
    if ((await isListening(plan.clientPort)) && (await isListening(plan.adminPort))) {
      await runtimeCommand({ host: '127.0.0.1', port: plan.adminPort }, 'show info');
      return record;
    }
    await sleep(50);
  }
  throw new Error(`HAProxy did not open its ports; see ${opts.logFile}`);
}
