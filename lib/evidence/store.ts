import { equalBytes } from '../../kit/trust';
import type { EvidenceBundle } from './bundle';
import { parseBundleKey, safeSegment, type BundleAddress } from './layout';
import { MANIFEST_FILE, SEAL_FILE } from './manifest';

/**
 * The evidence archive as its callers see it, whether it is a folder or an S3 bucket: put a sealed bundle, list the
 * bundles, get one. A bundle once stored is never changed: putting the same bundle again changes nothing, and a
 * different bundle under a key already taken is refused.
 */
export interface EvidenceStore {
  /** Where the archive is, for messages: a folder, or `s3://bucket/prefix`. */
  readonly location: string;
  put(bundle: EvidenceBundle): Promise<{ key: string; outcome: 'stored' | 'unchanged' }>;
  /** The bundles the filter selects, by runbook, target and time. */
  list(filter?: EvidenceFilter): Promise<BundleAddress[]>;
  /** A bundle's files by name, or undefined when no bundle has this key. */
  get(key: string): Promise<StoredBundle | undefined>;
}

/** Which bundles to list; every field narrows. Times compare with when the run finished. */
export interface EvidenceFilter {
  runbook?: string;
  target?: string;
  runId?: string;
  since?: Date;
  until?: Date;
}

/** A bundle as read back: every file under its key, `manifest.json` and `manifest.json.sig` included, unchecked. */
export interface StoredBundle {
  address: BundleAddress;
  files: Record<string, Uint8Array>;
}

/** Thrown by `put` when the key holds a different bundle: evidence is never overwritten. */
export class EvidenceConflictError extends Error {
  override readonly name = 'EvidenceConflictError';
  constructor(
    readonly key: string,
    readonly file: string,
  ) {
    super(`the archive already holds a different ${file} under ${key}; stored evidence is never overwritten`);
  }
}

/** What a store needs of the place it keeps bytes: names relative to the store's prefix, `/`-separated. */
export interface ObjectBackend {
  readonly location: string;
  /** Every object name that starts with `under` (all of them when it is empty), in any order. */
  listNames(under?: string): Promise<string[]>;
  read(name: string): Promise<Uint8Array | undefined>;
  write(name: string, bytes: Uint8Array): Promise<void>;
}

/** The store over a folder or a bucket: the layout, the write order and the never-overwrite rule, in one place. */
export class ObjectEvidenceStore implements EvidenceStore {
  constructor(private readonly backend: ObjectBackend) {}

  get location(): string {
    return this.backend.location;
  }

  async put(bundle: EvidenceBundle): Promise<{ key: string; outcome: 'stored' | 'unchanged' }> {
    const names = Object.keys(bundle.files);
    const existing = await Promise.all(names.map((name) => this.backend.read(`${bundle.key}/${name}`)));
    const missing: string[] = [];
    names.forEach((name, i) => {
      const stored = existing[i];
      if (stored === undefined) missing.push(name);
      else if (!equalBytes(stored, bundle.files[name]!)) throw new EvidenceConflictError(bundle.key, name);
    });
    if (missing.length === 0) return { key: bundle.key, outcome: 'unchanged' };
    // The manifest and then its seal go last: a bundle cut short by a crash has no seal, and verify names it.
    const order = [
      ...missing.filter((n) => n !== MANIFEST_FILE && n !== SEAL_FILE),
      ...missing.filter((n) => n === MANIFEST_FILE),
      ...missing.filter((n) => n === SEAL_FILE),
    ];
    for (const name of order) await this.backend.write(`${bundle.key}/${name}`, bundle.files[name]!);
    return { key: bundle.key, outcome: 'stored' };
  }

  async list(filter: EvidenceFilter = {}): Promise<BundleAddress[]> {
    const keys = new Set<string>();
    // A runbook's bundles are all under its folder; listing only that one keeps a large archive's listing short.
    for (const name of await this.backend.listNames(filter.runbook === undefined ? '' : `${safeSegment(filter.runbook)}/`)) {
      const cut = name.lastIndexOf('/');
      if (cut > 0) keys.add(name.slice(0, cut));
    }
    const addresses: BundleAddress[] = [];
    for (const key of keys) {
      const address = parseBundleKey(key);
      if (address && matches(address, filter)) addresses.push(address);
    }
    return addresses.sort(byRunbookTargetTime);
  }

  async get(key: string): Promise<StoredBundle | undefined> {
    const address = parseBundleKey(key);
    if (!address) return undefined;
    const names = (await this.backend.listNames(`${key}/`)).filter((name) => name.startsWith(`${key}/`) && !name.slice(key.length + 1).includes('/'));
    if (names.length === 0) return undefined;
    const files: Record<string, Uint8Array> = {};
    for (const name of names.sort()) {
      const bytes = await this.backend.read(name);
      if (bytes !== undefined) files[name.slice(key.length + 1)] = bytes;
    }
    return { address, files };
  }
}

function matches(address: BundleAddress, filter: EvidenceFilter): boolean {
  const finished = Date.parse(address.finishedAt);
  return (
    (filter.runbook === undefined || address.runbook === filter.runbook) &&
    (filter.target === undefined || address.target === filter.target) &&
    (filter.runId === undefined || address.runId === filter.runId) &&
    (filter.since === undefined || finished >= filter.since.getTime()) &&
    (filter.until === undefined || finished <= filter.until.getTime())
  );
}

/** Runbook, then target, then time: the order of a hash chain. */
export function byRunbookTargetTime(a: BundleAddress, b: BundleAddress): number {
  return compare(a.runbook, b.runbook) || compare(a.target, b.target) || compare(a.finishedAt, b.finishedAt) || compare(a.key, b.key);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
