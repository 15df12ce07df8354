import type { Random } from './random';
import type { Toxic } from './toxiproxy';

/** When a fault fires: at a time after the start, once the run is inside a step, or once it is undoing. */
export type Trigger = { afterMs: number } | { step: string; delayMs: number } | { undoing: true; delayMs: number } | { carryOver: true; delayMs: number };

/** One fault of a schedule; `holdMs` later it heals (restart, SIGCONT, toxic removed, the extra worker leaves). */
export type Fault =
  | { kind: 'worker-kill'; holdMs: number }
  | { kind: 'worker-join'; holdMs: number }
  | { kind: 'server-kill'; holdMs: number }
  | { kind: 'estate-kill'; process: string; holdMs: number }
  | { kind: 'estate-pause'; process: string; holdMs: number }
  | { kind: 'network'; proxy: string; toxic: Toxic; holdMs: number }
  | { kind: 'link-down'; proxy: string; holdMs: number };

export type FaultKind = Fault['kind'];

export interface ScheduledFault {
  at: Trigger;
  fault: Fault;
}

/** What a schedule is drawn from: the run's steps, the estate's processes, the links through Toxiproxy. */
export interface FaultSpace {
  steps: string[];
  /** Estate processes, with whether a kill can be restarted without losing state. */
  processes: { name: string; restartable: boolean }[];
  proxies: string[];
  /** How many faults at most (CI keeps runs short). */
  maxFaults: number;
  /** The processes and links the run acts on: three faults in four hit one of these when there are any. */
  touches: RegExp;
}

/** Draws a target, most often among those the run acts on. */
function target<T extends { name: string } | string>(rng: Random, all: readonly T[], touches: RegExp): T {
  const near = all.filter((t) => touches.test(typeof t === 'string' ? t : t.name));
  return rng.pick(near.length && rng.chance(0.75) ? near : all);
}

const KINDS: FaultKind[] = ['worker-kill', 'worker-join', 'server-kill', 'estate-kill', 'estate-pause', 'network', 'link-down'];

/**
 * Draws a fault schedule from the seed: one to `maxFaults` faults, each at a moment drawn among a time after the
 * start, inside a step of the run, and inside an undo (which fires only if the run undoes). The same seed and space
 * always draw the same schedule.
 */
export function drawSchedule(rng: Random, space: FaultSpace): ScheduledFault[] {
  const count = rng.int(1, Math.max(1, space.maxFaults));
  const out: ScheduledFault[] = [];
  for (let i = 0; i < count; i++) {
    const fault = drawFault(rng, space);
    if (fault) out.push({ at: drawTrigger(rng, space), fault });
  }
  return out;
}

function drawTrigger(rng: Random, space: FaultSpace): Trigger {
  const roll = rng.next();
  if (roll < 0.55 && space.steps.length) return { step: rng.pick(space.steps), delayMs: rng.int(0, 1_500) };
  if (roll < 0.65) return { undoing: true, delayMs: rng.int(0, 1_000) };
  if (roll < 0.72) return { carryOver: true, delayMs: rng.int(0, 500) };
  // Within the first 12 s: most runs under faults end within 10 to 30 s, so a later moment would often never come.
  return { afterMs: rng.int(0, 12_000) };
}

function drawFault(rng: Random, space: FaultSpace): Fault | undefined {
  const kind = rng.pick(KINDS);
  const holdMs = rng.int(500, 8_000);
  switch (kind) {
    case 'worker-kill':
    case 'worker-join':
      return { kind, holdMs };
    case 'server-kill':
      return { kind, holdMs: rng.int(500, 4_000) };
    case 'estate-kill': {
      const restartable = space.processes.filter((p) => p.restartable);
      return restartable.length ? { kind, process: target(rng, restartable, space.touches).name, holdMs } : undefined;
    }
    case 'estate-pause':
      return space.processes.length ? { kind, process: target(rng, space.processes, space.touches).name, holdMs } : undefined;
    case 'network':
      return space.proxies.length ? { kind, proxy: target(rng, space.proxies, space.touches), toxic: drawToxic(rng), holdMs } : undefined;
    case 'link-down':
      return space.proxies.length ? { kind, proxy: target(rng, space.proxies, space.touches), holdMs } : undefined;
  }
}

function drawToxic(rng: Random): Toxic {
  switch (rng.int(0, 3)) {
    case 0:
      return { type: 'latency', attributes: { latency: rng.int(100, 1_500), jitter: rng.int(0, 300) } };
    case 1:
      return { type: 'timeout', attributes: { timeout: rng.int(0, 2_000) } };
    case 2:
      return { type: 'reset_peer', attributes: { timeout: rng.int(0, 500) }, toxicity: 0.5 };
    default:
      return { type: 'bandwidth', attributes: { rate: rng.int(1, 50) } };
  }
}

/** A fault in a line, for the schedule a violation prints. */
export function describeFault(f: ScheduledFault): string {
  const at =
    'afterMs' in f.at
      ? `${f.at.afterMs} ms after start`
      : 'step' in f.at
        ? `${f.at.delayMs} ms into ${f.at.step}`
        : 'undoing' in f.at
          ? `${f.at.delayMs} ms into an undo`
          : `${f.at.delayMs} ms into a carry-over`;
  const what = f.fault;
  const hold = `for ${what.holdMs} ms`;
  switch (what.kind) {
    case 'worker-kill':
      return `${at}: SIGKILL the worker, restart it ${hold.replace('for', 'after')}`;
    case 'worker-join':
      return `${at}: a second worker joins, leaves (SIGKILL) ${hold.replace('for', 'after')}`;
    case 'server-kill':
      return `${at}: SIGKILL the Temporal server, restart it ${hold.replace('for', 'after')}`;
    case 'estate-kill':
      return `${at}: SIGKILL ${what.process}, restart it ${hold.replace('for', 'after')}`;
    case 'estate-pause':
      return `${at}: SIGSTOP ${what.process} ${hold}, then SIGCONT`;
    case 'network':
      return `${at}: ${what.toxic.type} ${JSON.stringify(what.toxic.attributes)} on ${what.proxy} ${hold}`;
    case 'link-down':
      return `${at}: link ${what.proxy} down ${hold}`;
  }
}
