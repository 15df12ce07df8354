import { startDevServer, type DevServer, type DevServerOptions } from './dev-server';

/** What the supervisor tells its owner. */
export interface SupervisorHooks {
  /** One line for the person at the terminal. */
  log(line: string): void;
  /** A server process started (the first or a restart), so the owner can record its pid. */
  onStarted(server: DevServer, options: DevServerOptions): void;
  /** The server cannot be kept running; the owner should shut down. */
  onGiveUp(reason: string): void;
}

/** At most this many restarts within `crashWindowMs`; a server that dies faster than that is broken, not unlucky. */
const maxRestarts = 3;
const crashWindowMs = 60_000;

/**
 * Keeps the embedded dev server running under `lifeboat dev`. When it dies while nobody asked it to stop, it says so
 * in one line and starts it again on the same ports and the same database file, so runs carry on where they were
 * (the worker's connection retries until the server answers again). A server that keeps dying is given up on.
 */
export class SupervisedDevServer {
  private stopping = false;
  private restarting: Promise<void> | undefined;
  private readonly restarts: number[] = [];

  private constructor(
    private current: DevServer,
    private readonly options: DevServerOptions,
    private readonly hooks: SupervisorHooks,
  ) {}

  static async start(options: DevServerOptions, hooks: SupervisorHooks): Promise<SupervisedDevServer> {
    const supervised = new SupervisedDevServer(await startDevServer(options), options, hooks);
    hooks.onStarted(supervised.current, options);
    supervised.watch();
    return supervised;
  }

  get address(): string {
    return this.current.address;
  }

  get pid(): number | undefined {
    return this.current.process.pid;
  }

  private watch(): void {
    const server = this.current;
    server.process.once('exit', (code, signal) => {
      if (this.stopping || server !== this.current) return;
      this.restarting = this.restart(server.process.pid, signal ? `was killed by ${signal}` : `exited with code ${code}`);
    });
  }

  private async restart(pid: number | undefined, how: string): Promise<void> {
    const now = Date.now();
    this.restarts.push(now);
    while (this.restarts[0]! < now - crashWindowMs) this.restarts.shift();
    if (this.restarts.length > maxRestarts) {
      this.hooks.onGiveUp(
        `the Temporal dev server (pid ${pid}) ${how}, the ${this.restarts.length}th time within a minute; giving up, see ${this.options.logFile}`,
      );
      return;
    }
    this.hooks.log(`the Temporal dev server (pid ${pid}) ${how}; restarting it on the same database (${this.options.dbFile ?? 'in memory'}), so runs carry on`);
    try {
      this.current = await startDevServer(this.options);
    } catch (err) {
      this.hooks.onGiveUp(`the Temporal dev server could not be restarted: ${(err as Error).message}`);
      return;
    }
    this.hooks.onStarted(this.current, this.options);
    if (this.stopping) return;
    this.watch();
    this.hooks.log(`the Temporal dev server is back on ${this.current.address} (pid ${this.current.process.pid})`);
  }

  /** Stops the server for good: no restart after this. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.restarting;
    await this.current.stop();
  }
}
