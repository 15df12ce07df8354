import { join } from 'node:path';
import { startDevServer, type DevServer } from '../dev/dev-server';
import { requireTemporalCli } from '../dev/temporal-binaries';

/**
 * The chaos world's Temporal: the embedded dev server on a SQLite file, so a SIGKILL loses only what had not reached
 * the file, and a restart on the same port and file brings every run back, as a host's supervisor would.
 */
export class ChaosTemporalServer {
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

  async stop(): Promise<void> {
    await this.server?.stop();
  }
}
