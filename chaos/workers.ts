import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../lib/paths';

const entry = join(repoRoot, 'bin', 'lifeboat.js');

/**
 * Lifeboat's own workers for the chaos world: each the real `lifeboat worker` in its own process, so a fault can
 * SIGKILL one the way a host dies, restart it, or add a second one polling the same task queue.
 */
export class WorkerPool {
  private readonly running = new Map<string, ChildProcess>();
  private started = 0;

  constructor(
    private readonly dir: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly args: string[],
  ) {}

  names(): string[] {
    return [...this.running.keys()];
  }

  /** Starts a worker named `name` and resolves once it polls; a server that is down is waited for, up to a minute. */
  async start(name = `worker-${++this.started}`): Promise<string> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        this.running.set(name, await this.startOnce(name));
        return name;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
  }

  private startOnce(name: string): Promise<ChildProcess> {
    const log = openSync(join(this.dir, `${name}.log`), 'a');
    const child = spawn(process.execPath, [entry, 'worker', ...this.args], {
      env: { ...this.env, LIFEBOAT_WORKER_IDENTITY: `chaos-${name}@127.0.0.1` },
      stdio: ['ignore', log, 'pipe'],
      // Its own process group: a Ctrl-C at the runner must not take the worker down in the middle of a run.
      detached: true,
    });
    closeSync(log);
    let said = '';
    // A worker that exits after it polled stays in the map, so keepAlive() sees it died and starts it again.
    return new Promise((ready, reject) => {
      child.stderr!.on('data', (d: Buffer) => {
        said = (said + d.toString()).slice(-4_000);
        if (said.includes('worker polling')) ready(child);
      });
      child.once('exit', (code, signal) =>
        reject(new Error(`worker ${name} exited (${signal ?? code}) before it polled: ${said.trim().split('\n').slice(-3).join(' | ')}`)),
      );
    });
  }

  /** SIGKILL: no graceful shutdown, its running activities are abandoned mid-flight. */
  async kill(name: string): Promise<void> {
    const child = this.running.get(name);
    if (!child) return;
    this.running.delete(name);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  /** Workers that died by themselves (a worker gives up when its server is gone too long) are started again. */
  async keepAlive(): Promise<string[]> {
    const restarted: string[] = [];
    for (const [name, child] of this.running) {
      if (child.exitCode === null && child.signalCode === null) continue;
      this.running.delete(name);
      await this.start(name);
      restarted.push(name);
    }
    return restarted;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.names().map((n) => this.kill(n)));
  }
}
