import type {
  ActionOutcome,
  ActionResponse,
  ChannelChange,
  ContentUpdate,
  Host,
  HostHealth,
  HostResult,
  HostRole,
  HostSelector,
  ScratchFleet,
  ScratchFleetRemoval,
  ScratchFleetRequest,
} from './schemas';

export const AGENT_VERSION = '7.11.18110';
export const GOOD_CONTENT = 'C-00000290';

/** Deterministic 0..1 from a string, so "which hosts crash" is repeatable across runs. */
export function unitHash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return (h >>> 0) / 4294967296;
}

const ROLE_PATTERN: HostRole[] = ['kiosk', 'kiosk', 'kiosk', 'gate', 'gate', 'booking'];

/** Builds the fleet: half per region, kiosks, gate and booking servers; every fifth kiosk or gate host is hands-on only. */
export function generateHosts(size: number): Host[] {
  const hosts: Host[] = [];
  const width = Math.max(2, String(size).length);
  const perRegion = { A: Math.ceil(size / 2), B: Math.floor(size / 2) };
  for (const region of ['A', 'B'] as const) {
    const seen: Record<HostRole, number> = { kiosk: 0, gate: 0, booking: 0 };
    for (let i = 0; i < perRegion[region]; i++) {
      const role = ROLE_PATTERN[i % ROLE_PATTERN.length]!;
      const n = ++seen[role];
      const handsOnOnly = role !== 'booking' && n % 5 === 0;
      const tags = [`terminal-${(n % 3) + 1}`, role === 'booking' ? 'os-linux' : 'os-windows', ...(handsOnOnly ? ['bitlocker'] : [])];
      hosts.push({
        id: `${region.toLowerCase()}-${role}-${String(n).padStart(width, '0')}`,
        region,
        role,
        tags,
        health: 'healthy',
        handsOnOnly,
        agent: { version: AGENT_VERSION, contentVersion: GOOD_CONTENT, lastKnownGood: GOOD_CONTENT, channel: 'open', moduleQuarantined: false },
        counters: { rollbacks: 0, reboots: 0, quarantines: 0, repairs: 0 },
      });
    }
  }
  return hosts;
}

/**
 * Whether a host matches a selector. Scratch hosts match only a selector naming their fleet (or their ids), so no
 * production selector, not even the whole fleet's `{}`, ever reaches a drill's hosts, and the reverse.
 */
export function matches(host: Host, s: HostSelector, ids?: Set<string>): boolean {
  return (
    (!ids || ids.has(host.id)) &&
    (s.fleet !== undefined ? host.fleet === s.fleet : ids !== undefined || host.fleet === undefined) &&
    (!s.region || host.region === s.region) &&
    (!s.role || host.role === s.role) &&
    (!s.tag || host.tags.includes(s.tag)) &&
    (!s.health || host.health === s.health)
  );
}

/** Thrown for a request the console refuses as a whole. */
export class FleetRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The simulated fleet with a third-party security agent. Content updates can crash hosts (a boot loop);
 * remote fixes are quarantining the content module or rolling back to a known-good version, then a reboot.
 * Hosts marked `handsOnOnly` refuse remote fixes while crashed, until someone repairs them in person.
 */
export class Fleet {
  private hosts: Host[];
  private byId = new Map<string, Host>();
  /** Each host's place in `hosts` (insertion order), so a selector by ids is answered by lookup, in listing order. */
  private seq = new WeakMap<Host, number>();
  private nextSeq = 0;
  /** Content versions the vendor shipped, and whether each is faulty. */
  private contents = new Map<string, { faulty: boolean }>([[GOOD_CONTENT, { faulty: false }]]);
  /** Known-good versions each host ran healthy, for rollback by name. */
  private knownGood = new Map<string, Set<string>>();
  private answered = new Map<string, ActionResponse>();
  private beforeUnreachable = new Map<string, HostHealth>();
  /** Scratch fleets by id, and the request that created each (so a retried create gets the same fleet). */
  private scratch = new Map<string, Omit<ScratchFleet, 'replayed'>>();
  private scratchByRequest = new Map<string, string>();
  private scratchSeq = 0;

  constructor(readonly size: number) {
    this.hosts = [];
    this.reset();
  }

  reset(): void {
    this.hosts = generateHosts(this.size);
    this.byId = new Map(this.hosts.map((h) => [h.id, h]));
    for (const h of this.hosts) this.seq.set(h, this.nextSeq++);
    this.contents = new Map([[GOOD_CONTENT, { faulty: false }]]);
    this.knownGood = new Map();
    this.answered.clear();
    this.beforeUnreachable.clear();
    this.scratch.clear();
    this.scratchByRequest.clear();
  }

  list(selector: HostSelector = {}): Host[] {
    const ids = selector.ids ? new Set(selector.ids) : undefined;
    if (!ids) return this.hosts.filter((h) => matches(h, selector));
    // By lookup, not by a scan: a batch of 100 ids on a 100,000-host fleet would otherwise walk every host.
    const found = [...ids].map((id) => this.byId.get(id)).filter((h): h is Host => h !== undefined && matches(h, selector, ids));
    return found.sort((a, b) => this.seq.get(a)! - this.seq.get(b)!);
  }

  get(id: string): Host | undefined {
    return this.byId.get(id);
  }

  /** Production hosts only; scratch fleets report through `scratchFleet`. */
  summary() {
    const byHealth: Record<HostHealth, number> = { healthy: 0, crashed: 0, unreachable: 0 };
    const byRegion: Record<string, Record<HostHealth, number>> = {};
    const channels: Record<string, number> = {};
    let handsOnBroken = 0;
    const production = this.list();
    for (const h of production) {
      byHealth[h.health]++;
      (byRegion[h.region] ??= { healthy: 0, crashed: 0, unreachable: 0 })[h.health]++;
      channels[h.agent.channel] = (channels[h.agent.channel] ?? 0) + 1;
      if (h.handsOnOnly && h.health !== 'healthy') handsOnBroken++;
    }
    return { total: production.length, byHealth, byRegion, channels, handsOnBroken };
  }

  /** Per-host counters of production hosts, or of one scratch fleet's. */
  counters(fleet?: string) {
    const totals = { rollbacks: 0, reboots: 0, quarantines: 0, repairs: 0 };
    const max = { rollbacks: 0, reboots: 0, quarantines: 0, repairs: 0 };
    const hosts: ({ hostId: string } & Host['counters'])[] = [];
    for (const h of this.list(fleet !== undefined ? { fleet } : {})) {
      const c = h.counters;
      for (const k of Object.keys(totals) as (keyof typeof totals)[]) {
        totals[k] += c[k];
        max[k] = Math.max(max[k], c[k]);
      }
      if (c.rollbacks || c.reboots || c.quarantines || c.repairs) hosts.push({ hostId: h.id, ...c });
    }
    return { totals, max, hosts };
  }

  /** Answers a repeated request id with the first answer, so retried calls do not act twice. */
  private once(action: string, requestId: string | undefined, apply: () => HostResult[]): ActionResponse {
    const key = requestId ? `${action}:${requestId}` : undefined;
    const earlier = key ? this.answered.get(key) : undefined;
    if (earlier) return { ...earlier, replayed: true };
    const results = apply();
    const counts: Record<ActionOutcome, number> = { applied: 0, 'no-op': 0, refused: 0, 'not-found': 0 };
    for (const r of results) counts[r.outcome]++;
    const response: ActionResponse = { action, ...(requestId ? { requestId } : {}), replayed: false, counts, results };
    if (key) {
      this.answered.set(key, response);
      if (this.answered.size > 10_000) this.answered.delete(this.answered.keys().next().value!);
    }
    return response;
  }

  private targets(hostIds: string[] | undefined, scope: HostSelector | undefined): { hosts: Host[]; missing: string[] } {
    if (!hostIds && !scope) throw new FleetRequestError(400, 'name the hosts: give hostIds or a scope');
    const missing = (hostIds ?? []).filter((id) => !this.byId.has(id));
    const hosts = this.list({ ...(scope ?? {}), ...(hostIds ? { ids: hostIds } : {}) });
    return { hosts, missing };
  }

  /** Per host: refuse remote work on hosts the console cannot reach, apply `fn` to the rest. */
  private perHost(action: string, req: { hostIds?: string[]; scope?: HostSelector; requestId?: string }, fn: (h: Host) => HostResult) {
    return this.once(action, req.requestId, () => {
      const { hosts, missing } = this.targets(req.hostIds, req.scope);
      return [...missing.map((hostId): HostResult => ({ hostId, outcome: 'not-found', reason: 'no such host' })), ...hosts.map(fn)];
    });
  }

  private remotelyUnreachable(h: Host): string | undefined {
    if (h.health === 'unreachable') return 'host is unreachable from the console';
    if (h.health === 'crashed' && h.handsOnOnly) return 'host is in a boot loop and cannot be fixed remotely; it needs hands-on repair';
    return undefined;
  }

  setChannel(change: ChannelChange): ActionResponse {
    if (change.state === 'pinned' && !change.version) throw new FleetRequestError(400, 'pinning the channel needs a version');
    return this.perHost('set-channel', { scope: change.scope, ...(change.requestId ? { requestId: change.requestId } : {}) }, (h) => {
      const pinned = change.state === 'pinned' ? change.version : undefined;
      if (h.agent.channel === change.state && h.agent.pinnedVersion === pinned) return { hostId: h.id, outcome: 'no-op', health: h.health };
      h.agent.channel = change.state;
      if (pinned) h.agent.pinnedVersion = pinned;
      else delete h.agent.pinnedVersion;
      return { hostId: h.id, outcome: 'applied', health: h.health };
    });
  }

  /** The vendor pushes content: hosts on an open channel take it; a faulty one crashes `crashRate` of them (deterministically). */
  pushContent(update: ContentUpdate): ActionResponse {
    if (update.scope.fleet !== undefined && !this.scratch.has(update.scope.fleet)) throw new FleetRequestError(404, `no scratch fleet ${update.scope.fleet}`);
    this.contents.set(contentKey(update.scope.fleet, update.version), { faulty: update.faulty });
    return this.perHost('content-update', { scope: update.scope, ...(update.requestId ? { requestId: update.requestId } : {}) }, (h) => {
      if (h.agent.channel === 'blocked') return { hostId: h.id, outcome: 'refused', health: h.health, reason: 'update channel blocked' };
      if (h.agent.channel === 'pinned' && h.agent.pinnedVersion !== update.version) {
        return { hostId: h.id, outcome: 'refused', health: h.health, reason: `update channel pinned to ${h.agent.pinnedVersion}` };
      }
      if (h.health !== 'healthy') return { hostId: h.id, outcome: 'refused', health: h.health, reason: `host is ${h.health}` };
      if (h.agent.contentVersion === update.version) return { hostId: h.id, outcome: 'no-op', health: h.health };
      h.agent.contentVersion = update.version;
      h.agent.moduleQuarantined = false;
      if (update.faulty && unitHash(`${h.id}/${update.version}`) < update.crashRate) h.health = 'crashed';
      else if (!update.faulty) this.recordGood(h, update.version);
      return { hostId: h.id, outcome: 'applied', health: h.health };
    });
  }

  private recordGood(h: Host, version: string): void {
    h.agent.lastKnownGood = version;
    let set = this.knownGood.get(h.id);
    if (!set) this.knownGood.set(h.id, (set = new Set()));
    set.add(version);
  }

  private isKnownGood(h: Host, version: string): boolean {
    return version === GOOD_CONTENT || (this.knownGood.get(h.id)?.has(version) ?? false);
  }

  quarantine(req: { hostIds?: string[]; scope?: HostSelector; requestId?: string }): ActionResponse {
    return this.perHost('quarantine', req, (h) => {
      const why = this.remotelyUnreachable(h);
      if (why) return { hostId: h.id, outcome: 'refused', health: h.health, reason: why };
      if (h.agent.moduleQuarantined) return { hostId: h.id, outcome: 'no-op', health: h.health };
      h.agent.moduleQuarantined = true;
      h.counters.quarantines++;
      return { hostId: h.id, outcome: 'applied', health: h.health, reason: 'takes effect at the next reboot' };
    });
  }

  rollback(req: { hostIds?: string[]; scope?: HostSelector; requestId?: string; version?: string }): ActionResponse {
    const version = req.version;
    if (!version) throw new FleetRequestError(400, 'rollback needs the version to roll back to');
    return this.perHost('rollback', req, (h) => {
      if (!this.isKnownGood(h, version))
        return { hostId: h.id, outcome: 'refused', health: h.health, reason: `${version} is not a known-good version of this host` };
      const why = this.remotelyUnreachable(h);
      if (why) return { hostId: h.id, outcome: 'refused', health: h.health, reason: why };
      if (h.agent.contentVersion === version) return { hostId: h.id, outcome: 'no-op', health: h.health };
      h.agent.contentVersion = version;
      h.agent.moduleQuarantined = false;
      h.counters.rollbacks++;
      return { hostId: h.id, outcome: 'applied', health: h.health, reason: 'takes effect at the next reboot' };
    });
  }

  /** A reboot brings a crashed host back only if its faulty content is gone (rolled back) or quarantined. */
  reboot(req: { hostIds?: string[]; scope?: HostSelector; requestId?: string }): ActionResponse {
    return this.perHost('reboot', req, (h) => {
      const why = this.remotelyUnreachable(h);
      if (why) return { hostId: h.id, outcome: 'refused', health: h.health, reason: why };
      h.counters.reboots++;
      if (h.health === 'crashed') {
        const faulty = this.contents.get(contentKey(h.fleet, h.agent.contentVersion))?.faulty ?? false;
        if (!faulty || h.agent.moduleQuarantined) h.health = 'healthy';
      }
      return {
        hostId: h.id,
        outcome: 'applied',
        health: h.health,
        ...(h.health === 'crashed' ? { reason: 'crashed again on boot: faulty content still active' } : {}),
      };
    });
  }

  /** A person fixed the host at the console (safe mode, deleted the content file): healthy on the last known-good content. */
  markRepaired(req: { hostIds?: string[]; scope?: HostSelector; requestId?: string; by?: string }): ActionResponse {
    return this.perHost('mark-repaired', req, (h) => {
      if (h.health === 'healthy') return { hostId: h.id, outcome: 'no-op', health: h.health };
      h.health = 'healthy';
      h.agent.contentVersion = h.agent.lastKnownGood;
      h.agent.moduleQuarantined = false;
      h.counters.repairs++;
      return { hostId: h.id, outcome: 'applied', health: h.health, ...(req.by ? { reason: `repaired by ${req.by}` } : {}) };
    });
  }

  /**
   * Builds a scratch fleet: a copy of the production hosts matching `copyOf` (region, role, hands-on only, tags and
   * agent), healthy on their last known-good content with an open channel, ids prefixed with the fleet's id.
   * A repeated `requestId` answers with the fleet it created.
   */
  createScratchFleet(req: ScratchFleetRequest): ScratchFleet {
    const earlier = req.requestId ? this.scratchByRequest.get(req.requestId) : undefined;
    if (earlier !== undefined) {
      const fleet = this.scratch.get(earlier);
      if (fleet) return { ...fleet, replayed: true };
      throw new FleetRequestError(409, `scratch fleet ${earlier} of request ${req.requestId} was already removed`);
    }
    const id = `scratch-${++this.scratchSeq}`;
    const { region, role, tags } = req.copyOf;
    const sources = this.list({ ...(region ? { region } : {}), ...(role ? { role } : {}) })
      .filter((h) => tags.every((t) => h.tags.includes(t)))
      .slice(0, req.maxHosts ?? Infinity);
    const byRole: Record<string, number> = {};
    for (const src of sources) {
      const host: Host = {
        id: `${id}.${src.id}`,
        region: src.region,
        role: src.role,
        tags: [...src.tags],
        health: 'healthy',
        handsOnOnly: src.handsOnOnly,
        agent: {
          version: src.agent.version,
          contentVersion: src.agent.lastKnownGood,
          lastKnownGood: src.agent.lastKnownGood,
          channel: 'open',
          moduleQuarantined: false,
        },
        counters: { rollbacks: 0, reboots: 0, quarantines: 0, repairs: 0 },
        fleet: id,
      };
      this.hosts.push(host);
      this.byId.set(host.id, host);
      this.seq.set(host, this.nextSeq++);
      const good = this.knownGood.get(src.id);
      if (good) this.knownGood.set(host.id, new Set(good));
      byRole[host.role] = (byRole[host.role] ?? 0) + 1;
    }
    const fleet = { id, ...(req.label ? { label: req.label } : {}), createdAt: new Date().toISOString(), hosts: sources.length, byRole };
    this.scratch.set(id, fleet);
    if (req.requestId) this.scratchByRequest.set(req.requestId, id);
    return { ...fleet, replayed: false };
  }

  scratchFleet(id: string): Omit<ScratchFleet, 'replayed'> | undefined {
    return this.scratch.get(id);
  }

  scratchFleets(): Omit<ScratchFleet, 'replayed'>[] {
    return [...this.scratch.values()];
  }

  /** Removes a scratch fleet and everything the console knew about its hosts; a fleet already gone is a no-op. */
  removeScratchFleet(id: string): ScratchFleetRemoval {
    if (!this.scratch.has(id)) return { id, removed: false, hosts: 0 };
    const gone = this.hosts.filter((h) => h.fleet === id);
    this.hosts = this.hosts.filter((h) => h.fleet !== id);
    for (const h of gone) {
      this.byId.delete(h.id);
      this.knownGood.delete(h.id);
      this.beforeUnreachable.delete(h.id);
    }
    for (const key of [...this.contents.keys()]) if (key.startsWith(contentKey(id, ''))) this.contents.delete(key);
    this.scratch.delete(id);
    return { id, removed: true, hosts: gone.length };
  }

  /** Simulation only: cut or restore the console's network path to hosts. */
  setReachable(scope: HostSelector, reachable: boolean): ActionResponse {
    return this.perHost('set-reachable', { scope }, (h) => {
      if (!reachable && h.health !== 'unreachable') {
        this.beforeUnreachable.set(h.id, h.health);
        h.health = 'unreachable';
        return { hostId: h.id, outcome: 'applied', health: h.health };
      }
      if (reachable && h.health === 'unreachable') {
        h.health = this.beforeUnreachable.get(h.id) ?? 'healthy';
        this.beforeUnreachable.delete(h.id);
        return { hostId: h.id, outcome: 'applied', health: h.health };
      }
      return { hostId: h.id, outcome: 'no-op', health: h.health };
    });
  }
}

/** Content versions are known per fleet, so a drill's faulty push never marks a version faulty in production. */
function contentKey(fleet: string | undefined, version: string): string {
  return fleet === undefined ? version : `${fleet}/${version}`;
}
