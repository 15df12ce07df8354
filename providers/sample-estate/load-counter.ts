import { existsSync, readFileSync } from 'node:fs';
import { estateLayout } from '../../estate/state-dir';
import type { LoadLoss } from '../contracts/isolated-drills';
import type { RegionName } from '../contracts/provider';
import { heartbeat } from '../shared/activity-context';
import { sampleCatalog } from './rebuild';
import type { SampleEstateSettings } from './settings';

export type { LoadLoss };

/**
 * Counts acknowledged bookings that `region` lacks, from the sample estate's load counter (`load.json` and the keys
 * it acknowledged). Without a running load counter it reports `present: false`.
 */
export async function countLostAcknowledged(settings: SampleEstateSettings, region: RegionName): Promise<LoadLoss> {
  const c = sampleCatalog(settings);
  const layout = estateLayout(c.stateDir);
  if (!existsSync(layout.loadCounters) || !existsSync(layout.loadAcked)) return { present: false };
  const counters = JSON.parse(readFileSync(layout.loadCounters, 'utf8')) as { lastAcknowledged?: { at: string } | null };
  const keys = readFileSync(layout.loadAcked, 'utf8')
    .split('\n')
    .flatMap((line) => {
      try {
        return line ? [JSON.parse(line) as string] : [];
      } catch {
        return []; // the load may be writing this line right now
      }
    });
  const url = (c.services.booking.regions as Record<string, { url: string }>)[region]?.url;
  if (!url) return { present: false };
  const missing: string[] = [];
  for (let i = 0; i < keys.length; i += 5_000) {
    const response = await fetch(`${url}/bookings/lookup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ keys: keys.slice(i, i + 5_000) }),
      signal: AbortSignal.timeout(15_000),
    });
    if (!response.ok) throw new Error(`region ${region} could not look up acknowledged bookings: HTTP ${response.status} ${await response.text()}`);
    missing.push(...((await response.json()) as { missing: string[] }).missing);
    heartbeat({ checked: i });
  }
  return {
    present: true,
    checked: keys.length,
    lost: missing.length,
    lostKeys: missing.slice(0, 50),
    lastAcknowledgedAt: counters.lastAcknowledged?.at ?? null,
  };
}
