import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { estateLayout } from '../../estate/state-dir';
import type { LoadLoss } from '../contracts/isolated-drills';
import type { RegionName } from '../contracts/provider';
import { heartbeat } from '../shared/activity-context';
import { sampleCatalog } from './rebuild';
import type { SampleEstateSettings } from './settings';

export type { LoadLoss };

/** The service whose load counter keeps the estate's first file names (`load.json`); every other one is named after its service. */
export const BOOKING_SERVICE = 'booking';

/** The lookup endpoints take at most this many keys at once. */
const LOOKUP_BATCH = 5_000;

/**
 * Counts acknowledged bookings that `region` lacks, from the sample estate's load counter (`load.json` and the keys
 * it acknowledged). Without a running load counter it reports `present: false`.
 */
export async function countLostAcknowledged(settings: SampleEstateSettings, region: RegionName): Promise<LoadLoss> {
  const c = sampleCatalog(settings);
  const layout = estateLayout(c.stateDir);
  const url = (c.services.booking.regions as Record<string, { url: string }>)[region]?.url;
  if (!url) return { present: false };
  return countMissing({ counters: layout.loadCounters, acked: layout.loadAcked, lookup: `${url}/bookings/lookup`, region, what: 'bookings' });
}

/**
 * The same for one of the estate's other services (loyalty, checkin, crew): its load counter writes
 * `load-<service>.json` and `load-<service>-acked.jsonl` in the state directory, and the service's region answers
 * `POST /records/lookup` with the keys it lacks (a standby answers too).
 */
export async function countLostRecords(args: { stateDir: string; service: string; regionUrl: string; region: RegionName }): Promise<LoadLoss> {
  return countMissing({
    counters: join(args.stateDir, `load-${args.service}.json`),
    acked: join(args.stateDir, `load-${args.service}-acked.jsonl`),
    lookup: `${args.regionUrl.replace(/\/+$/, '')}/records/lookup`,
    region: args.region,
    what: `${args.service} records`,
  });
}

/** Reads a load counter's acknowledged keys and asks the region which it lacks, a batch at a time. */
async function countMissing(args: { counters: string; acked: string; lookup: string; region: RegionName; what: string }): Promise<LoadLoss> {
  if (!existsSync(args.counters) || !existsSync(args.acked)) return { present: false };
  const counters = JSON.parse(readFileSync(args.counters, 'utf8')) as { lastAcknowledged?: { at: string } | null };
  const keys = readFileSync(args.acked, 'utf8')
    .split('\n')
    .flatMap((line) => {
      try {
        return line ? [JSON.parse(line) as string] : [];
      } catch {
        return []; // the load may be writing this line right now
      }
    });
  const missing: string[] = [];
  for (let i = 0; i < keys.length; i += LOOKUP_BATCH) {
    const response = await fetch(args.lookup, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ keys: keys.slice(i, i + LOOKUP_BATCH) }),
      signal: AbortSignal.timeout(15_000),
    });
    if (!response.ok) throw new Error(`region ${args.region} could not look up acknowledged ${args.what}: HTTP ${response.status} ${await response.text()}`);
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
