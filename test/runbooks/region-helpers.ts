import type { WorkflowHandle } from '@temporalio/client';
import { Client as PgClient } from 'pg';
import { expect } from 'vitest';
import type { EstateCatalog } from '../../estate/catalog';
import { startLoad, type LoadCounters, type LoadRun } from '../../estate/load';
import { estateLayout } from '../../estate/state-dir';
import { estateStatus } from '../../dev/estate/status';
import { approveUpdate } from '../../kit';
import type { SwitchResult } from '../../workflows/region-switch-facts';
import { estateAdapters } from '../../dev/estate/adapters';

/** What an operator checks before and after: where traffic goes, each region's drain state, fencing, roles and modes. */
export async function estateSnapshot(catalog: EstateCatalog, service = 'booking') {
  const status = (await estateStatus(catalog)).services.find((s) => s.service === service)!;
  const lb = await estateAdapters(catalog).backendHealth({ service });
  const region = (r: 'A' | 'B') => {
    const node = status.replication?.nodes[r];
    return {
      lbServer: lb.regions.find((x) => x.region === r)!.status.split(' ')[0],
      mode: status.regions[r].mode ?? null,
      role: !node?.reachable ? 'down' : node.inRecovery ? 'standby' : 'primary',
      fenced: node?.fenced ?? null,
    };
  };
  return { active: status.active, A: region('A'), B: region('B') };
}

/** Steady bookings through the load balancer, writing the estate's load counter so the runbook can read it. */
export function loadThroughBalancer(catalog: EstateCatalog, ratePerSecond = 20): LoadRun {
  const layout = estateLayout(catalog.stateDir);
  return startLoad({
    url: catalog.loadBalancer!.clientUrl,
    ratePerSecond,
    countersFile: layout.loadCounters,
    ackedFile: layout.loadAcked,
    requestTimeoutMs: 2_000,
  });
}

/** Waits until the load has `count` more acknowledged bookings than now. */
export async function moreBookings(load: LoadRun, count: number, timeoutMs = 30_000): Promise<void> {
  const target = load.counters().successes + count;
  const deadline = Date.now() + timeoutMs;
  while (load.counters().successes < target) {
    if (Date.now() > deadline) throw new Error(`load stalled at ${load.counters().successes} bookings: ${JSON.stringify(load.counters().failuresByKind)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The two SRE leads approve; the requester (alice) never could. */
export async function approveByLeads(handle: WorkflowHandle): Promise<void> {
  await handle.executeUpdate(approveUpdate, { args: [{ by: 'bob', comment: 'lag checked' }] });
  await handle.executeUpdate(approveUpdate, { args: [{ by: 'carol' }] });
}

/** Every outage the load saw lies within the switch window the run reported (with slack for the request timeout). */
export function expectOutagesWithin(counters: LoadCounters, window: SwitchResult['switchWindow'], slackMs = 2_500): void {
  const from = Date.parse(window.from) - slackMs;
  const to = Date.parse(window.to) + slackMs;
  for (const outage of counters.outages) {
    expect(Date.parse(outage.from)).toBeGreaterThanOrEqual(from);
    expect(Date.parse(outage.to ?? outage.from)).toBeLessThanOrEqual(to);
  }
}

/** Runs SQL on one region's database as the estate's superuser (to hold a standby back, or look at its timelines). */
export async function sql<T>(catalog: EstateCatalog, region: 'A' | 'B', text: string): Promise<T[]> {
  const p = catalog.services.booking.regions[region].postgres;
  const client = new PgClient({ host: p.host, port: p.port, user: p.user, database: p.database });
  await client.connect();
  try {
    return (await client.query(text)).rows as T[];
  } finally {
    await client.end();
  }
}
