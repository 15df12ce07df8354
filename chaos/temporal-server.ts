import { join } from 'node:path';
import { startDevServer, type DevServer } from '../dev/dev-server';
import { requireTemporalCli } from '../dev/temporal-binaries';
import { startClusterServer, type ClusterServer } from '../test/support/cluster-server';

/** The Temporal server of a chaos world, whichever kind: it can be crashed and comes back on the same data. */
export interface ChaosServer {
  readonly address: string;
  readonly kind: 'dev' | 'cluster';
  start(): Promise<void>;
  /** SIGKILL, as a host loses the process; `downMs` later it starts again on the same database and port. */
  crashFor(downMs: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The production path's server (`npm run setup:cluster`): a real Temporal server on its own scratch PostgreSQL, the
 * same one `npm run test:cluster` runs the scenarios on.
 */
export class ChaosClusterServer implements ChaosServer {
  readonly kind = 'cluster';
  private server: ClusterServer | undefined;

  constructor(readonly namespace: string) {}

  get address(): string {
    if (!this.server) throw new Error('the cluster server has not started');
    return this.server.address;
  }

  async start(): Promise<void> {
    this.server ??= await startClusterServer({ namespaces: [this.namespace] });
  }

  async crashFor(downMs: number): Promise<void> {
    await this.server?.restart({ crash: true, downMs });
  }

  async stop(): Promise<void> {
    await this.server?.stop();
  }
}

/**
 * The chaos world's Temporal: the embedded dev server on a SQLite file, so a SIGKILL loses only what had not reached
 * the file, and a restart on the same port and file brings every run back, as a host's supervisor would.
 */
export class ChaosTemporalServer implements ChaosServer {
  readonly kind = 'dev';
  private server: DevServer | undefined;

  constructor(
    private readonly dir: string,
    private readonly port: number,
    readonly namespace: string,
  ) {}

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    const p = this.server?.process;
    return !!p && p.exitCode === null && p.signalCode === null;
  }

  async start(): Promise<void> {
    this.server = await startDevServer({
      binary: requireTemporalCli().path,
      port: this.port,
      dbFile: join(this.dir, 'temporal.db'),
      logFile: join(this.dir, 'temporal.log'),
      namespaces: [this.namespace],
      readyTimeoutMs: 120_000,
      detached: true,
    });
  }

  /** SIGKILL, as a host loses the process: no shutdown, nothing flushed. */
  async kill(): Promise<void> {
    const p = this.server?.process;
    if (!p || !this.running) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
  }

  async crashFor(downMs: number): Promise<void> {
    await this.kill();
    await new Promise((r) => setTimeout(r, downMs));
    await this.start();
  }

  async stop(): Promise<void> {
    await this.server?.stop();
  }
}
