import { Runtime } from '@temporalio/worker';
import { sealedRosterDigest } from '../activities/worker-facts';
import type { TrustRoot } from './roster-seal';

/**
 * `lifeboat_worker_roster_loadable{identity}`: 1 while this worker can use its roster (readable, valid, sealed by a
 * quorum of its trust root's admins), 0 otherwise. A worker whose roster broke after it started still polls and looks
 * healthy, yet refuses every start and every gate; this gauge is what the LifeboatWorkerRosterUnloadable rule watches.
 * The roster is read again every `intervalMs` (default 30 s), as a run's start check would read it. Returns a stop function.
 */
export function publishRosterLoadable(options: { identity: string; rosterPath: string; trustRoot: TrustRoot; intervalMs?: number }): () => void {
  const gauge = Runtime.instance().metricMeter.createGauge(
    'lifeboat_worker_roster_loadable',
    'int',
    '',
    'Whether this worker can use its roster now: readable, valid and sealed by its roster admins (1) or not (0)',
  );
  const tags = { identity: options.identity };
  const log = Runtime.instance().logger;
  let last: boolean | undefined;
  const tick = async () => {
    const result = await sealedRosterDigest(options.rosterPath, options.trustRoot);
    const loadable = 'digest' in result;
    gauge.set(loadable ? 1 : 0, tags);
    if (!loadable && last !== false) log.error('the roster cannot be loaded: every start and gate on this worker is refused', { reason: result.error });
    last = loadable;
  };
  void tick();
  const timer = setInterval(() => void tick(), options.intervalMs ?? 30_000);
  timer.unref();
  return () => clearInterval(timer);
}
