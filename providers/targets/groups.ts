import type { PatroniSettings } from '../patroni/settings';
import type { PostgresSettings } from '../postgres/settings';

/**
 * The part of a service's section that decides its failover group. Structural, so the schema can check groups while
 * it validates the file (this file imports only types from it).
 */
interface GroupedService {
  regions: readonly string[];
  database?: { provider: string } | PostgresSettings | PatroniSettings;
}
type Services = Record<string, GroupedService>;

/** Services that share one database cluster: a failover of any of them moves them all. */
export interface FailoverGroup {
  /** How the shared cluster is named in the file, for people: `postgres A 127.0.0.1:5432, B 127.0.0.1:5433`. */
  cluster: string;
  /** Sorted service names, at least two. */
  members: string[];
}

/**
 * The nodes a database section names, one per region: a PostgreSQL node by host:port (two logical databases on one
 * server share its WAL, its fencing and its promotion), a Patroni cluster by its REST API. `command` names none, so
 * Lifeboat cannot tell what it shares and keeps such a service on its own.
 */
function nodesOf(service: GroupedService): Map<string, string> {
  const nodes = new Map<string, string>();
  const db = service.database;
  if (db?.provider === 'postgres') {
    for (const [region, node] of Object.entries((db as PostgresSettings).regions)) nodes.set(region, `postgres ${node.host.toLowerCase()}:${node.port}`);
  } else if (db?.provider === 'patroni') {
    for (const [region, node] of Object.entries((db as PatroniSettings).regions)) nodes.set(region, `patroni ${node.restUrl.replace(/\/+$/, '')}`);
  }
  return nodes;
}

/** The services that name any node another one names, joined transitively; each set sorted, sets in file order. */
function linked(services: Services): string[][] {
  const owner = new Map<string, string>();
  const parent = new Map<string, string>(Object.keys(services).map((name) => [name, name]));
  const root = (name: string): string => {
    let r = name;
    while (parent.get(r) !== r) r = parent.get(r)!;
    return r;
  };
  for (const [name, service] of Object.entries(services)) {
    for (const node of nodesOf(service).values()) {
      const other = owner.get(node);
      if (other === undefined) owner.set(node, name);
      else parent.set(root(name), root(other));
    }
  }
  const sets = new Map<string, string[]>();
  for (const name of Object.keys(services)) sets.set(root(name), [...(sets.get(root(name)) ?? []), name]);
  return [...sets.values()].map((s) => s.sort());
}

const describeCluster = (service: GroupedService): string =>
  [...nodesOf(service).entries()]
    .map(([region, node], i) => (i === 0 ? `${node.split(' ')[0]} ${region} ${node.split(' ')[1]}` : `${region} ${node.split(' ')[1]}`))
    .join(', ');

/** Every group of two or more services that share a database cluster. Services on their own are left out. */
export function failoverGroups(targets: { services: Services }): FailoverGroup[] {
  return linked(targets.services)
    .filter((members) => members.length > 1)
    .map((members) => ({ cluster: describeCluster(targets.services[members[0]!]!), members }));
}

/** The services a failover of `service` moves: its group, sorted, or `[service]` when it shares its cluster with none. */
export function groupOf(targets: { services: Services }, service: string): string[] {
  return linked(targets.services).find((members) => members.includes(service)) ?? [service];
}

/**
 * Why two services that share a node cannot fail over together, one message per pair that disagrees: a group moves
 * as one, so every member must list the same regions and name the same node in each of them.
 */
export function groupConflicts(services: Services): { service: string; message: string }[] {
  const conflicts: { service: string; message: string }[] = [];
  for (const members of linked(services)) {
    const [first, ...rest] = members;
    const a = services[first!]!;
    const nodesA = nodesOf(a);
    for (const name of rest) {
      const b = services[name]!;
      const nodesB = nodesOf(b);
      const sameRegions = a.regions.length === b.regions.length && a.regions.every((r) => b.regions.includes(r));
      if (!sameRegions) {
        conflicts.push({
          service: name,
          message: `"${name}" shares its database cluster with "${first}", so they fail over together, but "${name}" lists regions ${b.regions.join(', ')} and "${first}" lists ${a.regions.join(', ')}: give both the same regions, or give "${name}" a database of its own`,
        });
        continue;
      }
      const differing = a.regions.filter((r) => nodesA.get(r) !== nodesB.get(r));
      if (differing.length > 0) {
        conflicts.push({
          service: name,
          message: `"${name}" shares part of its database cluster with "${first}", but not in region ${differing.join(', ')} (${differing.map((r) => `${nodesB.get(r) ?? 'none'} against ${nodesA.get(r) ?? 'none'}`).join('; ')}): a cluster fails over as one, so name the same node in every region, or nodes of its own`,
        });
      }
    }
  }
  return conflicts;
}
