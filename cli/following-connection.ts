import { AsyncLocalStorage } from 'node:async_hooks';
import type { Connection, ConnectionLike, Metadata, OperatorService, WorkflowService } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { chooseCluster, choiceNote, isFollowable, type ClusterReport } from './active-cluster';
import { candidateLabel, type ClusterCandidate } from './cluster-candidates';

/** A connection to one cluster, as the follower uses it: a real Connection, or a stub in the unit tests. */
export type ClusterConnection = Pick<Connection, 'workflowService' | 'operatorService' | 'withDeadline' | 'withMetadata' | 'withAbortSignal' | 'close'>;

export interface FollowOptions {
  candidates: ClusterCandidate[];
  namespace: string;
  /** Opens a connection to one address; fails when nothing answers there. */
  dial: (address: string) => Promise<ClusterConnection>;
  /** Where to say which cluster the CLI followed (stderr). */
  say: (line: string) => void;
  /**
   * How long a call that fails with NamespaceNotActive or an unreachable cluster is tried again, on whichever cluster
   * is active by then. Right after a failover the new active cluster forwards to the dead one for 1–3 s, until its
   * namespace cache (2 s) catches up: 15 s covers that on a loaded machine and still ends a hopeless call.
   */
  followMs?: number;
  /** The pause before each new try. */
  retryDelayMs?: number;
  /** How long one cluster may take to say who it is and where the namespace is active. */
  askTimeoutMs?: number;
  /**
   * Once a cluster says the namespace is active on itself, how long the others still have to answer (one of them may
   * know of a later failover). A dead cluster is then not waited for until its connect timeout, on every command.
   */
  graceMs?: number;
}

/** Thrown when none of the clusters answers; each cluster's own error is in the message. */
export class NoClusterAnswers extends Error {
  override readonly name = 'NoClusterAnswers';
  constructor(readonly reports: ClusterReport[]) {
    super(reports.map((r) => `${candidateLabel(r.candidate)}: ${r.answers ? 'answers' : r.error}`).join('; '));
  }
}

interface CallContext {
  deadline?: number | Date;
  metadata?: Metadata;
  abortSignal?: AbortSignal;
}

interface Link {
  address: string;
  connection: ClusterConnection;
}

const methodsOf = (service: object): string[] =>
  Object.keys(service).filter((name) => name !== 'rpcImpl' && typeof (service as Record<string, unknown>)[name] === 'function');
const workflowMethods = methodsOf(temporal.api.workflowservice.v1.WorkflowService.create(() => undefined, false, false));
const operatorMethods = methodsOf(temporal.api.operatorservice.v1.OperatorService.create(() => undefined, false, false));

/**
 * A Temporal connection over several clusters, one per region, that follows the namespace's active cluster. It talks
 * to the cluster where the namespace is active (each cluster is asked its own name and the namespace's active one),
 * skipping one that does not answer. A call that fails with NamespaceNotActive, or cannot reach its cluster (or the
 * cluster it forwarded to), is sent again, the same request, on the cluster active by then, for a bounded time; each
 * switch is said on stderr. Sending a decision again is safe: a signed statement counts once, and a replay is refused.
 */
export class FollowingConnection implements ConnectionLike {
  readonly plugins = [];
  readonly workflowService: WorkflowService;
  readonly operatorService: OperatorService;
  private readonly dialed = new Map<string, Promise<ClusterConnection>>();
  private readonly context = new AsyncLocalStorage<CallContext>();
  private current: Promise<Link> | undefined;
  /** Clusters still being asked after a choice was made without them; closed only once they are done. */
  private readonly asking = new Set<Promise<ClusterReport>>();
  private chosenAddress: string | undefined;

  constructor(private readonly options: FollowOptions) {
    this.workflowService = this.service('workflowService', workflowMethods) as unknown as WorkflowService;
    this.operatorService = this.service('operatorService', operatorMethods) as unknown as OperatorService;
  }

  /** Connects to the active cluster, or fails with {@link NoClusterAnswers}. */
  async ensureConnected(): Promise<void> {
    await this.active();
  }

  /** The address it talks to now. */
  async activeAddress(): Promise<string> {
    return (await this.active()).address;
  }

  withDeadline<R>(deadline: number | Date, fn: () => Promise<R>): Promise<R> {
    return this.context.run({ ...this.context.getStore(), deadline }, fn);
  }

  withMetadata<R>(metadata: Metadata, fn: () => Promise<R>): Promise<R> {
    const cc = this.context.getStore();
    return this.context.run({ ...cc, metadata: { ...cc?.metadata, ...metadata } }, fn);
  }

  withAbortSignal<R>(abortSignal: AbortSignal, fn: () => Promise<R>): Promise<R> {
    return this.context.run({ ...this.context.getStore(), abortSignal }, fn);
  }

  async close(): Promise<void> {
    // A connection closed under a call still being retried fails later, outside any caller: let those calls end first.
    await Promise.all([...this.asking]);
    const open = await Promise.all([...this.dialed.values()].map((d) => d.catch(() => undefined)));
    await Promise.all(open.map((c) => c?.close().catch(() => undefined)));
    this.dialed.clear();
  }

  private service(kind: 'workflowService' | 'operatorService', methods: string[]): Record<string, (request: unknown) => Promise<unknown>> {
    return Object.fromEntries(methods.map((method) => [method, (request: unknown) => this.call(kind, method, request)]));
  }

  private active(): Promise<Link> {
    this.current ??= this.resolve();
    return this.current;
  }

  /** One call, sent again on the active cluster while it fails in a way another try may cure, until `followMs` runs out. */
  private async call(kind: 'workflowService' | 'operatorService', method: string, request: unknown): Promise<unknown> {
    const { followMs = 15_000, retryDelayMs = 500 } = this.options;
    let followUntil: number | undefined;
    for (;;) {
      const linkPromise = this.active();
      try {
        const link = await linkPromise;
        const service = link.connection[kind] as unknown as Record<string, (request: unknown) => Promise<unknown>>;
        return await this.inContext(link.connection, () => service[method]!(request));
      } catch (err) {
        if (!(err instanceof NoClusterAnswers || isFollowable(err))) throw err;
        followUntil ??= Date.now() + followMs;
        if (Date.now() >= followUntil) throw err;
        // Only the first call to fail asks the clusters again; calls failing alongside wait for the same answer.
        if (this.current === linkPromise) this.current = undefined;
        await new Promise((r) => setTimeout(r, retryDelayMs));
      }
    }
  }

  /** Asks every cluster who it is and where the namespace is active, and picks the one to talk to. */
  private async resolve(): Promise<Link> {
    const reports = await this.reports();
    const choice = chooseCluster(reports);
    if (!choice) throw new NoClusterAnswers(reports);
    const address = reports[choice.index]!.candidate.address;
    const switched = this.chosenAddress !== undefined && this.chosenAddress !== address;
    const note = choiceNote(reports, choice, this.options.namespace, switched);
    if (note && (switched || this.chosenAddress === undefined)) this.options.say(note);
    this.chosenAddress = address;
    return { address, connection: await this.connectionTo(address) };
  }

  /** Every cluster's report, each asked at once; see `graceMs` for how long a slow one is waited for. */
  private async reports(): Promise<ClusterReport[]> {
    const { candidates } = this.options;
    const { graceMs = 1_000 } = this.options;
    const reports: (ClusterReport | undefined)[] = candidates.map(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    let settle: () => void = () => undefined;
    const settled = new Promise<void>((resolve) => (settle = resolve));
    let pending = candidates.length;
    candidates.forEach((c, i) => {
      // `report` never rejects: a cluster that fails to answer is a report saying why.
      const asking = this.report(c);
      this.asking.add(asking);
      void asking.then((report) => {
        this.asking.delete(asking);
        reports[i] = report;
        if (--pending === 0) settle();
        else if (report.answers && report.clusterName === report.activeCluster) timer ??= setTimeout(settle, graceMs);
      });
    });
    await settled;
    clearTimeout(timer);
    return reports.map((r, i) => r ?? { candidate: candidates[i]!, answers: false, error: `no answer within ${graceMs} ms of the active cluster's` });
  }

  private async report(candidate: ClusterCandidate): Promise<ClusterReport> {
    const { askTimeoutMs = 3_000 } = this.options;
    try {
      const connection = await this.connectionTo(candidate.address);
      const service = connection.workflowService;
      // Both asked at once, and both awaited to the end even when one fails: a call still retrying on a connection
      // closed under it would fail later, outside any caller.
      const [info, described] = await connection.withDeadline(Date.now() + askTimeoutMs, () =>
        bothOrFirstError(service.getClusterInfo({}), service.describeNamespace({ namespace: this.options.namespace })),
      );
      return {
        candidate,
        answers: true,
        clusterName: info.clusterName ?? '',
        activeCluster: described.replicationConfig?.activeClusterName ?? '',
        failoverVersion: Number(described.failoverVersion ?? 0),
      };
    } catch (err) {
      return { candidate, answers: false, error: (err as Error).message };
    }
  }

  /** One connection per address, kept for the next call; a failed dial is forgotten, so the next resolve tries again. */
  private connectionTo(address: string): Promise<ClusterConnection> {
    let dialing = this.dialed.get(address);
    if (!dialing) {
      dialing = this.options.dial(address);
      this.dialed.set(address, dialing);
      dialing.catch(() => this.dialed.delete(address));
    }
    return dialing;
  }

  /** Runs a call on one cluster's connection with the deadline, metadata and abort signal the caller set on this one. */
  private inContext<R>(connection: ClusterConnection, call: () => Promise<R>): Promise<R> {
    const cc = this.context.getStore();
    let run = call;
    if (cc?.abortSignal) {
      const inner = run;
      run = () => connection.withAbortSignal(cc.abortSignal!, inner);
    }
    if (cc?.deadline !== undefined) {
      const inner = run;
      run = () => connection.withDeadline(cc.deadline!, inner);
    }
    if (cc?.metadata) {
      const inner = run;
      run = () => connection.withMetadata(cc.metadata!, inner);
    }
    return run();
  }
}

/** Like Promise.all for two promises, but settles only when both have: the first error, else both values. */
async function bothOrFirstError<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [x, y] = await Promise.allSettled([a, b]);
  if (x.status === 'rejected') throw x.reason;
  if (y.status === 'rejected') throw y.reason;
  return [x.value, y.value];
}
