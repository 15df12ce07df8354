import type { ProbeResult } from '../contracts/provider';
import type { PatroniRegions } from './regions';
import { isStandbyCluster, leaderOf, type DynamicConfig, type PatroniCluster } from './rest';

interface Seen {
  region: string;
  cluster?: PatroniCluster;
  config?: DynamicConfig;
  restError?: string;
  /** Why a PATCH that changes nothing was refused (restAuth missing or wrong, its variable unset); undefined when accepted. */
  patchError?: string;
}

/**
 * Read-only checks for `lifeboat targets check`, per region: the REST API answers, it accepts Lifeboat's changes,
 * the cluster has a leader, libpq logs in; then for the service: one primary cluster, and every other region a
 * standby cluster streaming from it.
 *
 * Patroni asks for restapi.authentication on unsafe methods only, so no GET can tell whether `restAuth` is right. The
 * probe sends the PATCH that `freshConfig` sends, which removes a key that is not there: Patroni checks the
 * credentials, finds nothing to change and writes nothing to the DCS.
 */
export async function probePatroni(r: PatroniRegions): Promise<ProbeResult[]> {
  const seen: Seen[] = await Promise.all(
    r.regions.map(async (region): Promise<Seen> => {
      try {
        const rest = r.rest(region);
        const [cluster, config] = await Promise.all([rest.cluster(), rest.config()]);
        const patchError = await rest.freshConfig().then(
          () => undefined,
          (err: Error) => err.message,
        );
        return { region, cluster, config, ...(patchError === undefined ? {} : { patchError }) };
      } catch (err) {
        return { region, restError: (err as Error).message };
      }
    }),
  );
  const nodes = await Promise.all(r.regions.map((region) => r.status(region)));
  const results: ProbeResult[] = [];
  for (const [i, s] of seen.entries()) {
    const url = r.settingsOf(s.region).restUrl;
    results.push({ check: `region ${s.region}: Patroni REST API ${url}`, ok: !s.restError, detail: s.restError ?? `${s.cluster!.members.length} member(s)` });
    if (!s.restError) {
      const auth = r.settingsOf(s.region).restAuth;
      results.push({
        check: `region ${s.region}: Patroni accepts PATCH /config${auth ? ` as ${auth.username}` : ' without a password'}`,
        ok: !s.patchError,
        detail: s.patchError ?? `${auth ? `user ${auth.username} authorised` : 'no password asked'} (a PATCH that changes nothing)`,
      });
    }
    if (s.cluster) {
      const leader = leaderOf(s.cluster);
      const detail = leader ? `${leader.name} is ${leader.role} (${leader.state})` : 'no leader: Patroni has no member holding the leader lock';
      results.push({ check: `region ${s.region}: cluster has a leader`, ok: !!leader && leader.state === 'running', detail });
    }
    const node = nodes[i]!;
    const a = r.settingsOf(s.region).postgres;
    const role = node.inRecovery ? `in recovery${node.streaming ? ', streaming' : ', not streaming'}` : 'primary';
    results.push({
      check: `region ${s.region}: log in to ${a.host}:${a.port} as ${a.user}`,
      ok: node.reachable,
      detail: node.reachable ? `${role}${node.fenced ? ', fenced' : ''}, at ${node.lsn}` : (node.error ?? 'unreachable'),
    });
  }
  results.push(
    topology(
      seen,
      nodes.map((n) => !!n.streaming),
      r,
    ),
  );
  return results;
}

/** One primary cluster; the others standby clusters pointed at its replication address and streaming. */
function topology(seen: Seen[], streaming: boolean[], r: PatroniRegions): ProbeResult {
  const check = 'one primary cluster, the others standby clusters of it';
  if (seen.some((s) => !s.config)) return { check, ok: false, detail: 'not every region answered' };
  const primaries = seen.filter((s) => !isStandbyCluster(s.config!));
  if (primaries.length !== 1) {
    return {
      check,
      ok: false,
      detail: `${primaries.length} primary clusters (${primaries.map((s) => s.region).join(', ') || 'none'}); every other region needs standby_cluster`,
    };
  }
  const primary = primaries[0]!.region;
  const want = r.replicationAddress(primary);
  const problems: string[] = [];
  for (const [i, s] of seen.entries()) {
    if (s.region === primary) continue;
    const sc = s.config!.standby_cluster!;
    if (sc.host !== want.host || Number(sc.port) !== want.port)
      problems.push(`${s.region} follows ${sc.host}:${sc.port}, not ${primary} at ${want.host}:${want.port}`);
    else if (!streaming[i]) problems.push(`${s.region} does not stream`);
  }
  const standbys = seen
    .filter((s) => s.region !== primary)
    .map((s) => s.region)
    .join(', ');
  return { check, ok: problems.length === 0, detail: problems.length ? problems.join('; ') : `${primary} primary; ${standbys} standby, streaming` };
}
