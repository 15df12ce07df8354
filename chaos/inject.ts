import type { RunStatus } from '../kit';
import { estateProcesses, signalAll } from './estate-processes';
import { describeFault, type Fault, type FaultKind, type ScheduledFault } from './faults';
import type { ChaosRig } from './world';

/** A fault that fired, for the run's record: when, what, and whether it healed. */
export interface FiredFault {
  at: string;
  description: string;
  kind: FaultKind;
  healed?: string;
  /** Why it could not be injected (a process already gone, say), if it could not. */
  skipped?: string;
}

/**
 * Fires a schedule's faults when their moment comes and heals each after its hold. The runner calls `tick` with the
 * run's latest status; the people ask `healthy()` before retrying a stuck step, as an operator waits for a fix.
 */
export class FaultInjector {
  private readonly pending: ScheduledFault[];
  private readonly active = new Set<Promise<void>>();
  private readonly stepSeen = new Map<string, number>();
  private undoSeen: number | undefined;
  private carrySeen: number | undefined;
  readonly fired: FiredFault[] = [];
  private extraWorker = 0;

  constructor(
    private readonly rig: ChaosRig,
    schedule: ScheduledFault[],
    private readonly startedAt: number,
  ) {
    this.pending = [...schedule];
  }

  healthy(): boolean {
    return this.active.size === 0;
  }

  /** Fires every pending fault whose moment has come, given the run's latest status (if the server answered). */
  tick(status: RunStatus | undefined): void {
    const now = Date.now();
    if (status?.currentStep && !this.stepSeen.has(status.currentStep)) this.stepSeen.set(status.currentStep, now);
    // A step quicker than a status read is still seen afterwards in the run's steps, with its start: its faults fire
    // at once then, right after it, which is as close as a schedule drawn from outside the worker can get.
    for (const step of status?.steps ?? []) {
      if (step.kind === 'undo' && this.undoSeen === undefined) this.undoSeen = Math.min(now, Date.parse(step.startedAt));
      if (step.kind === 'step' && !this.stepSeen.has(step.name)) this.stepSeen.set(step.name, Math.min(now, Date.parse(step.startedAt)));
    }
    if (status?.state === 'compensating' && this.undoSeen === undefined) this.undoSeen = now;
    // The status a run carries over shows the count; the first read that sees it is as close to the moment as we get.
    if ((status?.carriedOver ?? 0) > 0 && this.carrySeen === undefined) this.carrySeen = now;
    for (const f of [...this.pending]) {
      const due =
        'afterMs' in f.at
          ? now - this.startedAt >= f.at.afterMs
          : 'step' in f.at
            ? (this.stepSeen.get(f.at.step) ?? Infinity) + f.at.delayMs <= now
            : 'undoing' in f.at
              ? (this.undoSeen ?? Infinity) + f.at.delayMs <= now
              : (this.carrySeen ?? Infinity) + f.at.delayMs <= now;
      if (!due) continue;
      this.pending.splice(this.pending.indexOf(f), 1);
      const record: FiredFault = { at: new Date().toISOString(), description: describeFault(f), kind: f.fault.kind };
      this.fired.push(record);
      this.rig.log(`  fault: ${record.description}`);
      const p: Promise<void> = this.inject(f.fault, record)
        .catch((err: unknown) => void (record.skipped = String(err).slice(0, 200)))
        .finally(() => this.active.delete(p));
      this.active.add(p);
    }
  }

  /** Faults drawn for moments the run never reached (a step it did not run, an undo that never came). */
  neverFired(): ScheduledFault[] {
    return [...this.pending];
  }

  /** Waits for every fault in flight to heal. */
  async settle(): Promise<void> {
    while (this.active.size) await Promise.all([...this.active]);
  }

  private async inject(fault: Fault, record: FiredFault): Promise<void> {
    const rig = this.rig;
    const hold = () => sleep(fault.holdMs);
    const healed = () => void (record.healed = new Date().toISOString());
    switch (fault.kind) {
      case 'worker-kill': {
        const name = rig.workers.names()[0];
        if (!name) throw new Error('no worker to kill');
        await rig.workers.kill(name);
        await hold();
        await rig.workers.start(name);
        return healed();
      }
      case 'worker-join': {
        const name = await rig.workers.start(`extra-${++this.extraWorker}`);
        await hold();
        await rig.workers.kill(name);
        return healed();
      }
      case 'server-kill': {
        await rig.server.crashFor(fault.holdMs);
        // A worker whose server was gone long enough gives up and exits; its host's supervisor starts it again.
        await rig.workers.keepAlive();
        return healed();
      }
      case 'estate-kill':
      case 'estate-pause': {
        const target = estateProcesses(rig.estateDir).find((p) => p.name === fault.process);
        const pids = target?.pids() ?? [];
        if (!target || !pids.length) throw new Error(`${fault.process} is not running`);
        if (fault.kind === 'estate-pause') {
          signalAll(pids, 'SIGSTOP');
          await hold();
          signalAll(target.pids().length ? target.pids() : pids, 'SIGCONT');
        } else {
          signalAll(pids, 'SIGKILL');
          await hold();
          await target.restart();
        }
        return healed();
      }
      case 'network': {
        const name = await rig.toxiproxy.addToxic(fault.proxy, { ...fault.toxic, name: `chaos-${Date.now()}` });
        await hold();
        await rig.toxiproxy.removeToxic(fault.proxy, name);
        return healed();
      }
      case 'link-down': {
        await rig.toxiproxy.setEnabled(fault.proxy, false);
        await hold();
        await rig.toxiproxy.setEnabled(fault.proxy, true);
        return healed();
      }
    }
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
