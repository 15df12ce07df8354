import type { EvidenceManifest } from './manifest';

/**
 * Where a bundle lives in a store: `<runbook>/<target>/<finishedAt>-<runId>`, each part made safe for a folder or
 * an S3 key. Reading a runbook's history is then one listing under its folder, in time order, and a key says whose
 * bundle it is without opening it.
 */

/** What a bundle's key says about it. */
export interface BundleAddress {
  /** The key under the store's prefix: `region-failover/booking/2026-12-05T031500.000Z-region-failover%2Fbooking`. */
  key: string;
  runbook: string;
  target: string;
  /** When the run finished, as an ISO time in UTC with milliseconds. */
  finishedAt: string;
  runId: string;
}

/** Keeps letters, digits, `.`, `_` and `-`; writes anything else (a `/`, a space, `%`) as `%XX`, so it reads back exactly. */
export function safeSegment(text: string): string {
  const encoded = Array.from(new TextEncoder().encode(text), (byte) => {
    const char = String.fromCharCode(byte);
    return /[A-Za-z0-9._-]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }).join('');
  // `.` and `..` would name a folder's parent or itself.
  return encoded.replace(/^\.{1,2}$/, (dots) => dots.replace(/\./g, '%2E'));
}

function unsafeSegment(segment: string): string {
  return decodeURIComponent(segment);
}

/** The time part of a key: ISO UTC with milliseconds, without colons (which some file systems refuse), so keys sort by time. */
function keyTime(iso: string): string {
  return new Date(iso).toISOString().replace(/:/g, '');
}

/** The key a bundle is stored under. */
export function bundleKey(manifest: Pick<EvidenceManifest, 'runbook' | 'target' | 'finishedAt' | 'runId'>): string {
  return [safeSegment(manifest.runbook), safeSegment(manifest.target), `${keyTime(manifest.finishedAt)}-${safeSegment(manifest.runId)}`].join('/');
}

const keyPattern = /^([^/]+)\/([^/]+)\/(\d{4}-\d{2}-\d{2}T\d{2})(\d{2})(\d{2}\.\d{3}Z)-([^/]+)$/;

/** What a key names, or undefined when it is not a bundle key (a stray object in the store). */
export function parseBundleKey(key: string): BundleAddress | undefined {
  const match = keyPattern.exec(key);
  if (!match) return undefined;
  const [, runbook, target, hour, minute, rest, runId] = match as unknown as [string, string, string, string, string, string, string];
  try {
    return { key, runbook: unsafeSegment(runbook), target: unsafeSegment(target), finishedAt: `${hour}:${minute}:${rest}`, runId: unsafeSegment(runId) };
  } catch {
    return undefined;
  }
}
