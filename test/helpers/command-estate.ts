import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RegionName } from '../../providers/contracts/provider';

/**
 * A two-region estate made of files, reached through the `command` provider: one small `sh` program answers every
 * operation of every capability by printing the file the test wrote for it (`<service>-<capability>-<operation>[-<region>].json`).
 * A test states what each system says, and readiness and the providers read it the way they read a real estate.
 */
export interface CommandEstate {
  dir: string;
  /** The targets file naming every service, for workers and the CLI (LIFEBOAT_TARGETS). */
  targetsPath: string;
  /** Sets what one operation answers; `region` for the operations that take one. */
  answer(service: string, capability: string, operation: string, body: unknown, region?: RegionName): void;
  /** A healthy service: traffic in A, the standby in B streaming and caught up, both regions' service answering. */
  healthy(service: string): void;
  remove(): void;
}

export interface CommandService {
  /** Services it calls (`dependsOn`). */
  dependsOn?: string[];
  /** Keeps no data: no database section. */
  stateless?: boolean;
}

export function commandEstate(services: Record<string, CommandService>): CommandEstate {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-command-estate-'));
  const program = join(dir, 'estate.sh');
  // Arguments: <service> <capability> <operation>; the operation's JSON arguments arrive on stdin.
  writeFileSync(
    program,
    [
      '#!/bin/sh',
      `region=$(cat | sed -n 's/.*"region":"\\([^"]*\\)".*/\\1/p')`,
      `file="${dir}/$1-$2-$3\${region:+-$region}.json"`,
      '[ -f "$file" ] || { echo "no answer at $file" >&2; exit 1; }',
      'cat "$file"',
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  const command = (service: string) => ({ provider: 'command', command: [program, service] });
  const sections = Object.fromEntries(
    Object.entries(services).map(([name, s]) => [
      name,
      {
        regions: ['A', 'B'],
        traffic: command(name),
        ...(s.stateless ? { stateless: true } : { database: command(name) }),
        serviceMode: command(name),
        ...(s.dependsOn ? { dependsOn: s.dependsOn } : {}),
      },
    ]),
  );
  const targetsPath = join(dir, 'lifeboat.targets.json');
  writeFileSync(targetsPath, JSON.stringify({ version: 1, services: sections }, null, 2));

  const answer: CommandEstate['answer'] = (service, capability, operation, body, region) =>
    writeFileSync(join(dir, `${service}-${capability}-${operation}${region ? `-${region}` : ''}.json`), JSON.stringify(body));

  return {
    dir,
    targetsPath,
    answer,
    healthy(service) {
      const stateless = services[service]?.stateless === true;
      answer(service, 'traffic', 'active', { region: 'A', endpoint: `${service}-a` });
      answer(service, 'traffic', 'health', [
        { region: 'A', endpoint: `${service}-a`, healthy: true, status: 'UP' },
        { region: 'B', endpoint: `${service}-b`, healthy: true, status: 'UP' },
      ]);
      for (const region of ['A', 'B'] as const) {
        answer(service, 'traffic', 'serving', { state: 'ready', status: 'UP' }, region);
        const db = stateless ? {} : { db: { reachable: true, writable: region === 'A', inRecovery: region === 'B' } };
        answer(service, 'service-mode', 'health', { reachable: true, mode: 'normal', status: 'ok', ...db }, region);
      }
      if (stateless) return;
      answer(service, 'database', 'status', { reachable: true, inRecovery: false, fenced: false, lsn: '0/3000060' }, 'A');
      answer(service, 'database', 'status', { reachable: true, inRecovery: true, streaming: true, receiveLsn: '0/3000060', replayLsn: '0/3000060' }, 'B');
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
