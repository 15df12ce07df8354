import { memberNamesOf, type RecoveryPlanDefinition } from './recovery-plan';

/**
 * Views of a recovery plan's dependency graph: its waves, its critical path and its RTO forecast. Pure and
 * deterministic (a tie goes to the member declared, or waited for, first), so the status, the console, readiness and the report that
 * draw them agree, and a plan's workflow may use them too.
 */

type PlanGraph = Pick<RecoveryPlanDefinition, 'members'>;

/**
 * The members grouped by the earliest wave they can start in: wave 0 waits for nobody, wave n for at least one member
 * of wave n - 1. Members keep their declared order within a wave.
 */
export function planLayers(plan: PlanGraph): string[][] {
  const layers: string[][] = [];
  for (const [name, wave] of wavesOf(plan)) (layers[wave] ??= []).push(name);
  return layers;
}

/** The longest chain of members, in the order they run, and its length in seconds. */
export interface CriticalPath {
  readonly members: string[];
  readonly seconds: number;
}

/**
 * The chain of members whose durations add up to the longest: the plan takes at least that long even with every other
 * member in parallel, and a member on it that is slower makes the whole plan slower.
 */
export function criticalPath(plan: PlanGraph, durationSecondsOf: (member: string) => number): CriticalPath {
  const finish = new Map<string, number>();
  const cameFrom = new Map<string, string>();
  // Waves order the members so that each one's predecessors are finished before it is looked at.
  const ordered = [...wavesOf(plan)].sort(([, a], [, b]) => a - b).map(([name]) => name);
  for (const name of ordered) {
    let start = 0;
    let from: string | undefined;
    for (const before of plan.members[name]?.after ?? []) {
      const at = finish.get(before)!;
      if (from === undefined || at > start) [from, start] = [before, at];
    }
    if (from !== undefined) cameFrom.set(name, from);
    finish.set(name, start + durationSecondsOf(name));
  }
  let last: string | undefined;
  for (const name of memberNamesOf(plan)) if (last === undefined || finish.get(name)! > finish.get(last)!) last = name;
  const members: string[] = [];
  for (let at = last; at !== undefined; at = cameFrom.get(at)) members.unshift(at);
  return { members, seconds: last === undefined ? 0 : finish.get(last)! };
}

/** A member's recent durations, as the forecast reads them. */
export interface DurationRange {
  readonly member: string;
  /** How many durations the range is based on. */
  readonly runs: number;
  readonly minSeconds: number;
  readonly medianSeconds: number;
  readonly maxSeconds: number;
}

/** The plan's duration along its critical path with every member at one end (or the middle) of its range. */
export interface PathForecast {
  readonly seconds: number;
  readonly path: string[];
}

/** Where the forecast first passes the objective: the member on the path whose end comes after it. */
export interface OverObjective {
  readonly member: string;
  /** When that member is forecast to end, counted from the plan's start. */
  readonly endsAtSeconds: number;
  readonly objectiveSeconds: number;
}

export interface RtoForecast {
  readonly objectiveSeconds: number;
  /** The members with recent durations, in declared order. */
  readonly ranges: DurationRange[];
  /** The members with none: the plan's forecast is unknown until they have run, as a drill or for real. */
  readonly unknown: string[];
  /** The forecast at each end of the ranges and at their medians; absent while any member is unknown, never guessed. */
  readonly forecast?: { readonly min: PathForecast; readonly median: PathForecast; readonly max: PathForecast };
  /**
   * The member that takes the median forecast past the objective, first along the critical path. With members unknown
   * it is still named when the known members' medians alone pass the objective: the unknown ones can only add to that.
   */
  readonly overObjective?: OverObjective;
}

/**
 * The plan's RTO forecast from its members' recent durations (drills and real runs; the caller picks how recent). Each
 * member's range is the min, median and max of its durations; the plan's forecast is the critical path over each.
 * History for a name that is not a member is left out: a plan that dropped a member still has its old runs.
 */
export function rtoForecast(
  plan: Pick<RecoveryPlanDefinition, 'members' | 'objectives'>,
  history: readonly { member: string; seconds: readonly number[] }[],
): RtoForecast {
  const objectiveSeconds = plan.objectives.rtoSeconds;
  const durations = new Map<string, number[]>();
  for (const { member, seconds } of history) {
    if (!Object.hasOwn(plan.members, member)) continue;
    durations.set(member, [...(durations.get(member) ?? []), ...seconds]);
  }
  const ranges: DurationRange[] = [];
  const unknown: string[] = [];
  for (const member of memberNamesOf(plan)) {
    const seconds = [...(durations.get(member) ?? [])].sort((a, b) => a - b);
    if (seconds.length === 0) unknown.push(member);
    else ranges.push({ member, runs: seconds.length, minSeconds: seconds[0]!, medianSeconds: medianOf(seconds), maxSeconds: seconds.at(-1)! });
  }
  const rangeOf = new Map(ranges.map((r) => [r.member, r]));
  const along = (pick: (r: DurationRange) => number): PathForecast => {
    // An unknown member counts as 0 s: only a lower bound, used for the objective and never shown as a forecast.
    const path = criticalPath(plan, (member) => {
      const range = rangeOf.get(member);
      return range ? pick(range) : 0;
    });
    return { seconds: path.seconds, path: path.members };
  };
  const median = along((r) => r.medianSeconds);
  const overObjective = firstOver(median.path, (member) => rangeOf.get(member)?.medianSeconds ?? 0, objectiveSeconds);
  return {
    objectiveSeconds,
    ranges,
    unknown,
    ...(unknown.length === 0 ? { forecast: { min: along((r) => r.minSeconds), median, max: along((r) => r.maxSeconds) } } : {}),
    ...(overObjective ? { overObjective } : {}),
  };
}

/** The first member along a critical path whose end comes after the objective. */
function firstOver(path: readonly string[], secondsOf: (member: string) => number, objectiveSeconds: number): OverObjective | undefined {
  // Along the critical path each member starts when the one before it ends, so the running sum is each one's end.
  let endsAtSeconds = 0;
  for (const member of path) {
    endsAtSeconds += secondsOf(member);
    if (endsAtSeconds > objectiveSeconds) return { member, endsAtSeconds, objectiveSeconds };
  }
  return undefined;
}

/** The middle of sorted durations; the mean of the two middle ones for an even count. */
function medianOf(sorted: readonly number[]): number {
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Each member's wave: 0 with no after, else one past the latest wave it waits for. The plan has no circle (definePlan). */
function wavesOf(plan: PlanGraph): Map<string, number> {
  const waves = new Map<string, number>();
  const waveOf = (name: string): number => {
    const known = waves.get(name);
    if (known !== undefined) return known;
    const after = plan.members[name]?.after ?? [];
    const wave = after.length === 0 ? 0 : 1 + Math.max(...after.map(waveOf));
    waves.set(name, wave);
    return wave;
  };
  const ordered = new Map<string, number>();
  for (const name of memberNamesOf(plan)) ordered.set(name, waveOf(name));
  return ordered;
}
