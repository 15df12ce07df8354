import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EstateCatalog } from './catalog';
import { estatePids, startEstate, stopEstate, type EstateOptions } from './estate';

/** An estate started for one test file, in its own temp dir, on free loopback ports. */
export interface TestEstate {
  dir: string;
  catalog: EstateCatalog;
  /** Stops every process and deletes the temp dir. */
  stop(): Promise<void>;
}

/**
 * Starts an estate in a fresh temp dir, for tests and runbook tests: booking alone, or the services `{ services }`
 * names (`{ loadBalancer: false }`: without HAProxy). Always pair with `stop()` in `afterAll`.
 */
export async function startTestEstate(opts: Omit<EstateOptions, 'dir'> = {}): Promise<TestEstate> {
  // Under /tmp (not the checkout) so the PostgreSQL user can reach the data dirs whoever owns the checkout.
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-estate-'));
  const stop = async () => {
    await stopEstate(dir);
    const left = estatePids(dir);
    rmSync(dir, { recursive: true, force: true });
    if (left.length) throw new Error(`estate processes still running after stop: ${left.join(', ')}`);
  };
  try {
    // Booking alone unless the test names its services: most tests act on booking, and the whole airline takes longer.
    const { catalog, warnings } = await startEstate({ services: ['booking'], ...opts, dir });
    if (warnings.length && opts.loadBalancer !== false) throw new Error(warnings.join('; '));
    return { dir, catalog, stop };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}
