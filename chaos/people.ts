import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GateRecord, RunStatus } from '../kit';
import { terminalStates } from '../kit';
import { signStatement } from '../lib/ssh-keys';
import { planMembersOf } from './invariants/plan-members';
import type { Random } from './random';
import type { ChaosWorld } from './world-types';

/** How the scripted people misbehave in one run, drawn from the seed. */
export interface PeopleFaults {
  /** Each approval waits this long after its gate opens. */
  lateMs: number;
  /** An approver sends their approval twice. */
  duplicate: boolean;
  /** The last approval of a gate races a rejection by another eligible person. */
  raceRejection: boolean;
  /** An abort at this many ms after the start. */
  abortAtMs?: number;
  /** A signed approval is captured and sent again after it counted. */
  replay: boolean;
  /** An insider floods the first open gate with forged approvals, so the run carries itself over there. */
  flood?: boolean;
}

export function drawPeopleFaults(rng: Random, opts: { maxAbortMs: number }): PeopleFaults {
  return {
    lateMs: rng.chance(0.5) ? rng.int(0, 4_000) : 0,
    duplicate: rng.chance(0.3),
    raceRejection: rng.chance(0.1),
    ...(rng.chance(0.15) ? { abortAtMs: rng.int(1_000, opts.maxAbortMs) } : {}),
    replay: rng.chance(0.3),
    flood: rng.chance(0.12),
  };
}

/** What the people did, for the run's record and the decision invariants. */
export interface PeopleLog {
  decisions: { at: string; who: string; action: string; code: number; said: string }[];
  /** Approvals sent again on purpose (duplicates and replays) that the run must not count twice. */
  resent: { gate: string; who: string }[];
  flooded?: boolean;
}

/** Forged approvals of about 500 KiB in a flood: past the 10 MiB at which a waiting run carries itself over. */
const FLOOD_SIGNALS = 24;

const PEOPLE_POLL_MS = 1_000;
/** An operator retries a stuck step this many times (after the fault that stopped it heals), then skips or aborts. */
const RETRIES_BEFORE_GIVING_UP = 4;

/**
 * The scripted people: they watch the run as `lifeboat status` shows it and act through the real CLI with their own
 * keys, as people would: approvers approve open gates (late, twice, racing a rejection, as drawn), an operator
 * retries a stuck step once the faults have healed (`healthy()`), then skips it where allowed or aborts; airline
 * operations resumes a manual-booking hold and resolves conflicts by rule; a field team waives hands-on hosts.
 * Returns when the run has ended, or when it waits for an operator and the people have given up (`gaveUp`).
 */
export async function drivePeople(
  world: ChaosWorld,
  runId: string,
  faults: PeopleFaults,
  opts: { requester: string; startedAt: number; deadline: number; healthy: () => boolean },
): Promise<{ status: RunStatus | undefined; log: PeopleLog; gaveUp?: string }> {
  const log: PeopleLog = { decisions: [], resent: [] };
  const act = async (who: string, args: string[]) => {
    const out = await world.cli(args, { as: who, timeoutMs: 30_000 });
    log.decisions.push({
      at: new Date().toISOString(),
      who,
      action: args.slice(0, 2).join(' '),
      code: out.code,
      said: (out.stderr || out.stdout).trim().slice(0, 300),
    });
    world.log(
      `  ${who}: lifeboat ${args.slice(0, 2).join(' ')} -> exit ${out.code}${out.code ? ` (${(out.stderr || out.stdout).trim().split('\n')[0]?.slice(0, 160)})` : ''}`,
    );
    return out;
  };
  const retries = new Map<string, number>();
  let aborted = false;
  let last: RunStatus | undefined;
  /** Does what a person would do for one run now; returns why the people gave up on it, if they did. */
  const actOn = async (status: RunStatus): Promise<string | undefined> => {
    const id = status.runId;
    if (status.state === 'waiting-approval') await approveOpenGate(world, status, id, faults, opts.requester, act, log);
    else if (status.state === 'needs-intervention' && status.intervention && opts.healthy()) {
      const key = `${id}:${status.intervention.step}@${status.intervention.since}`;
      const n = retries.get(`${id}:${status.intervention.step}`) ?? 0;
      if (retries.has(key)) return undefined;
      retries.set(key, 1);
      await sleep(2_000);
      if (n < RETRIES_BEFORE_GIVING_UP) {
        retries.set(`${id}:${status.intervention.step}`, n + 1);
        await act('erin', ['retry', id, '--reason', 'chaos: the fault has healed']);
      } else if (status.intervention.options.includes('skip')) {
        await act('erin', ['skip', id, '--reason', `chaos: gave up on ${status.intervention.step} after ${n} retries`]);
      } else {
        return `${id}: ${status.intervention.step} failed ${n + 1} times: ${status.intervention.error}`;
      }
    } else if (status.details.phase === 'holding' && !aborted) {
      await act('dave', ['resume', id, '--comment', 'chaos: back to normal']);
    } else if (status.details.phase === 'resolving') {
      await act('bob', ['resolve', id, '--rule', 'earliest-wins', '--comment', 'chaos: earliest wins']);
    } else if (handsOnOpen(status) > 0) {
      await waiveHandsOn(world, id, act);
    }
    return undefined;
  };
  while (Date.now() < opts.deadline) {
    const status = await world.status(runId);
    if (status) last = status;
    if (status && terminalStates.includes(status.state)) return { status, log };
    if (!status) {
      await sleep(PEOPLE_POLL_MS);
      continue;
    }
    if (faults.abortAtMs !== undefined && !aborted && Date.now() - opts.startedAt >= faults.abortAtMs) {
      aborted = (await act('bob', ['abort', runId, '--reason', 'chaos: an abort at a random moment'])).code === 0;
    }
    // A plan's members are runs of their own: their gates that a plan's approval does not stand for, and their
    // stuck steps, wait for people just the same.
    for (const run of [status, ...(await runningMembers(world, status))]) {
      const gaveUp = await actOn(run);
      if (gaveUp) return { status, log, gaveUp };
    }
    await sleep(PEOPLE_POLL_MS);
  }
  return { status: last, log, gaveUp: 'the run did not end before the chaos deadline' };
}

type Act = (who: string, args: string[]) => Promise<{ code: number; stdout: string; stderr: string }>;

async function approveOpenGate(
  world: ChaosWorld,
  status: RunStatus,
  runId: string,
  faults: PeopleFaults,
  requester: string,
  act: Act,
  log: PeopleLog,
): Promise<void> {
  const gate = [...status.gates].reverse().find((g) => g.status === 'open');
  if (!gate || gate.delegatedFrom) return;
  if (faults.flood && !log.flooded) {
    log.flooded = true;
    world.log(`  an insider: ${FLOOD_SIGNALS} forged approvals of about 500 KiB to ${runId}`);
    // A flood cut short (the server went down under it) is still a flood; the people carry on either way.
    await world.forgeFlood(runId, FLOOD_SIGNALS).catch((err: unknown) => world.log(`  the flood stopped early: ${String(err).slice(0, 120)}`));
  }
  if (Date.now() - Date.parse(gate.openedAt) < faults.lateMs) return;
  const voted = new Set(gate.votes.map((v) => v.by));
  const next = nextApprover(gate, voted, requester);
  if (!next) return;
  const lastNeeded = gate.votes.length + 1 >= gate.quorum;
  const rejecter = faults.raceRejection && lastNeeded ? gate.eligible.find((p) => p !== next && !voted.has(p)) : undefined;
  const approval =
    faults.replay && gate.votes.length === 0
      ? approveAndReplay(world, runId, next, act, log, gate.name)
      : act(next, ['approve', runId, '--comment', 'chaos: approved']);
  const rejection = rejecter ? act(rejecter, ['reject', runId, '--comment', 'chaos: a rejection racing the last approval']) : undefined;
  const [out] = await Promise.all([approval, rejection]);
  if (out.code === 0 && faults.duplicate) {
    log.resent.push({ gate: gate.name, who: next });
    await act(next, ['approve', runId, '--comment', 'chaos: the same approval again']);
  }
}

/** The next eligible person who has not voted, filling a required group first. */
function nextApprover(gate: GateRecord, voted: Set<string>, requester: string): string | undefined {
  const free = (people: string[]) => people.filter((p) => !voted.has(p) && p !== requester);
  for (const req of gate.requires ?? []) {
    const have = req.eligible.filter((p) => voted.has(p)).length;
    if (have < req.atLeast) return free(req.eligible)[0];
  }
  return free(gate.eligible)[0];
}

/**
 * An approval made the long way (`--print-statement`, signed with the person's key, sent with `--statement` and
 * `--signature`), then the very same signed statement sent again once it counted: a captured decision replayed.
 */
async function approveAndReplay(world: ChaosWorld, runId: string, who: string, act: Act, log: PeopleLog, gate: string) {
  const printed = await world.cli(['approve', runId, '--comment', 'chaos: approved, then replayed', '--print-statement'], { as: who });
  if (printed.code !== 0) return printed;
  const dir = mkdtempSync(join(world.dir, 'replay-'));
  const statement = join(dir, 'statement.txt');
  const signature = join(dir, 'statement.sig');
  writeFileSync(statement, printed.stdout);
  writeFileSync(signature, await signStatement(printed.stdout, join(world.keysDir, who)));
  const first = await act(who, ['approve', runId, '--statement', statement, '--signature', signature]);
  if (first.code === 0) {
    log.resent.push({ gate, who });
    await act(who, ['approve', runId, '--statement', statement, '--signature', signature]);
  }
  return first;
}

/** The member runs of a plan that have not ended, each as its own status reads. */
async function runningMembers(world: ChaosWorld, status: RunStatus): Promise<RunStatus[]> {
  const open = planMembersOf(status).filter((m) => m.state === 'running' || m.state === 'needs-operator');
  const statuses = await Promise.all(open.map((m) => world.status(m.runId)));
  return statuses.filter((s): s is RunStatus => !!s && !terminalStates.includes(s.state));
}

function handsOnOpen(status: RunStatus): number {
  const handsOn = status.details.handsOn as { open?: number } | undefined;
  return handsOn?.open ?? 0;
}

async function waiveHandsOn(world: ChaosWorld, runId: string, act: Act): Promise<void> {
  const list = await world.cli(['task', 'list', runId, '--open', '--json']);
  if (list.code !== 0) return;
  const tasks = (JSON.parse(list.stdout) as { tasks?: { host?: string; hostId?: string }[] }).tasks ?? [];
  const hosts = tasks
    .map((t) => t.host ?? t.hostId)
    .filter((h): h is string => !!h)
    .slice(0, 100);
  if (hosts.length) await act('erin', ['task', 'waive', runId, ...hosts, '--reason', 'chaos: the field team rebuilds these']);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
