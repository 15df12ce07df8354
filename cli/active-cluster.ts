import { isGrpcServiceError } from '@temporalio/client';
import { candidateLabel, type ClusterCandidate } from './cluster-candidates';

/** gRPC's status codes the follow logic reads (grpc-js's own numbers; the package is not a direct dependency). */
const grpcStatus = { FAILED_PRECONDITION: 9, UNAVAILABLE: 14 } as const;

/** What one cluster said about itself and the namespace, or why it said nothing. */
export type ClusterReport = { candidate: ClusterCandidate } & (
  | {
      answers: true;
      /** The server's own name (`clusterMetadata.currentClusterName`), from GetClusterInfo. */
      clusterName: string;
      /** Where this cluster's copy of the namespace says it is active. */
      activeCluster: string;
      /** Grows with every failover: the copy with the highest is the one that saw the latest. */
      failoverVersion: number;
    }
  | { answers: false; error: string }
);

/** The cluster to talk to, and whether it is where the namespace is active. */
export interface ClusterChoice {
  index: number;
  activeCluster: string;
  isActive: boolean;
}

/**
 * The active cluster, by the copy of the namespace that saw the latest failover (right after one, a cluster may not
 * have heard of it yet). When the active cluster is not among those that answer (dead, or not listed), the first that
 * answers: its frontend forwards signals, updates and starts to the active one, or answers NamespaceNotActive, and the
 * caller asks again. Undefined when none answers.
 */
export function chooseCluster(reports: ClusterReport[]): ClusterChoice | undefined {
  const answering = reports.filter((r) => r.answers);
  if (answering.length === 0) return undefined;
  const newest = answering.reduce((a, b) => (b.failoverVersion > a.failoverVersion ? b : a));
  const activeIndex = reports.findIndex((r) => r.answers && r.clusterName === newest.activeCluster);
  if (activeIndex >= 0) return { index: activeIndex, activeCluster: newest.activeCluster, isActive: true };
  return { index: reports.indexOf(answering[0]!), activeCluster: newest.activeCluster, isActive: false };
}

/**
 * What to say on stderr about a choice: always after a switch from another cluster (`switched`), and otherwise
 * nothing when the CLI talks to the first cluster listed and it is active, so the usual case reads as before.
 */
export function choiceNote(reports: ClusterReport[], choice: ClusterChoice, namespace: string, switched = false): string | undefined {
  if (!switched && choice.index === 0 && choice.isActive) return undefined;
  const chosen = reports[choice.index]!;
  const others = reports
    .filter((r) => r !== chosen)
    .map((r) => (r.answers ? `${candidateLabel(r.candidate)} is a standby` : `${candidateLabel(r.candidate)} does not answer: ${firstLine(r.error)}`));
  const reached = chosen.answers ? `${chosen.clusterName} (${chosen.candidate.address})` : candidateLabel(chosen.candidate);
  const why = others.length > 0 ? `; ${others.join('; ')}` : '';
  return choice.isActive
    ? `# followed the active cluster: namespace ${namespace} is active on ${reached}${why}`
    : `# namespace ${namespace} is active on ${choice.activeCluster || 'an unknown cluster'}, which does not answer here; talking to ${reached}${why}`;
}

/**
 * Whether a failed call may succeed on another cluster, or on the same one a moment later: the namespace is not active
 * there (NamespaceNotActive), or the cluster, or the one it forwarded the call to, cannot be reached. Right after a
 * failover, a standby's namespace cache still names the old active cluster for a couple of seconds and forwards there.
 */
export function isFollowable(err: unknown): boolean {
  if (!isGrpcServiceError(err)) return false;
  if (err.code === grpcStatus.UNAVAILABLE) return true;
  return err.code === grpcStatus.FAILED_PRECONDITION && /standby cluster|NamespaceNotActive|is not active/i.test(err.details ?? err.message);
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.slice(0, 200);
}
