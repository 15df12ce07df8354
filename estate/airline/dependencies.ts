import type { DependencyHealth } from './schemas';

/** How long `/health` waits for each dependency's `/health`; they are asked at the same time, so this bounds them all. */
export const DEPENDENCY_TIMEOUT_MS = 2_000;

/**
 * Asks a dependency's `/health`. Any HTTP answer with a JSON body counts as answering, even a 503: a degraded
 * dependency is still there to call, and counting it as down would let one database outage cascade through every
 * service that calls it. No answer, or an answer that is not JSON (another program on the port), is unreachable.
 */
export async function checkDependency(url: string, timeoutMs = DEPENDENCY_TIMEOUT_MS): Promise<DependencyHealth> {
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return { url, reachable: false, error: `GET ${url}/health answered HTTP ${res.status} without JSON` };
    }
    const status = (body as { status?: unknown } | null)?.status;
    return { url, reachable: true, ...(typeof status === 'string' ? { status } : {}) };
  } catch (err) {
    const e = err as { name?: string; message?: string; cause?: { code?: string } };
    const why = e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (e.cause?.code ?? e.message ?? String(err));
    return { url, reachable: false, error: `GET ${url}/health: ${why}` };
  }
}

/** Checks every dependency at once. */
export async function checkDependencies(dependsOn: Record<string, string>): Promise<Record<string, DependencyHealth>> {
  const entries = await Promise.all(Object.entries(dependsOn).map(async ([name, url]) => [name, await checkDependency(url)] as const));
  return Object.fromEntries(entries);
}
