import { startTestEstate, type TestEstate } from '../estate/testing';

/** Waits until `check` holds, polling every 20 ms; the error names what the bench waited for. */
export async function until(what: string, check: () => boolean, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A fresh sample estate (booking, which the measurements use) for one measurement, stopped afterwards whatever happens. */
export async function withEstate<T>(fn: (estate: TestEstate) => Promise<T>): Promise<T> {
  const estate = await startTestEstate({ services: ['booking'], fleetHosts: 4 });
  try {
    return await fn(estate);
  } finally {
    await estate.stop();
  }
}
