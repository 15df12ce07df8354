import { z } from 'zod';
import type { DatabaseProvider } from '../contracts/database';
import { providerFailure, ProviderErrorType } from '../contracts/errors';
import type { ProbeResult } from '../contracts/provider';
import type { ServiceModeProvider } from '../contracts/service-mode';
import type { TrafficProvider } from '../contracts/traffic';
import type { FleetApi } from '../http/fleet';

/** What one operation must print: the schema its answer is checked against, and the fix an error suggests. */
export interface Expected<S extends z.ZodType = z.ZodType> {
  schema: S;
  /** What a right answer looks like, as the end of an error message: `print {"mode": "normal"}`. */
  fix: string;
}

const expected = <S extends z.ZodType>(schema: S, fix: string): Expected<S> => ({ schema, fix });

/** The answer a provider method resolves to, so a schema's output is checked against the contract at compile time. */
type AnswerOf<F extends (...args: never[]) => Promise<unknown>> = z.ZodType<Awaited<ReturnType<F>>>;

const text = (what = 'a string') => z.string({ error: what });
const flag = (what = 'true or false') => z.boolean({ error: what });
const count = (what = 'a whole number, 0 or more') => z.int({ error: what }).nonnegative({ error: what });
const region = text('a region name (a string)');
const ServingState = z.enum(['ready', 'drain', 'maint']);
const ServiceMode = z.enum(['normal', 'read-only', 'manual']);
const HostHealth = z.enum(['healthy', 'crashed', 'unreachable']);

/** Every capability's `probe` (the fleet's is `fleetSummary`). */
export const ProbeAnswer = expected(
  z.array(z.object({ check: text(), ok: flag(), detail: text() }), { error: 'a list of checks' }) satisfies z.ZodType<ProbeResult[]>,
  'print [{"check": "reach the system", "ok": true, "detail": "what was seen"}]',
);

/** The traffic capability's operations, by the names the program receives. */
export const TrafficAnswers = {
  active: expected(
    z.object({ region: text('a region name, or null when clients go to none').nullable(), endpoint: text() }) satisfies AnswerOf<TrafficProvider['active']>,
    'print {"region": "A", "endpoint": "pool-a"}',
  ),
  health: expected(
    z.array(
      z.object({
        region,
        endpoint: text(),
        healthy: flag(),
        status: text(),
        checkDetail: text().optional(),
        currentSessions: count().optional(),
        totalSessions: count().optional(),
      }),
      { error: 'a list with one entry per region' },
    ) satisfies AnswerOf<TrafficProvider['health']>,
    'print [{"region": "A", "endpoint": "pool-a", "healthy": true, "status": "UP"}, ...]',
  ),
  switch: expected(
    z.object({ region, previous: text('the region before the switch, or null').nullable(), changed: flag() }) satisfies AnswerOf<TrafficProvider['switchTo']>,
    'print {"region": "B", "previous": "A", "changed": true}',
  ),
  serving: expected(
    z.object({ state: ServingState, status: text() }) satisfies AnswerOf<TrafficProvider['serving']>,
    'print {"state": "ready", "status": "UP"}',
  ),
  'set-serving': expected(
    z.object({ state: ServingState, applied: flag() }) satisfies AnswerOf<TrafficProvider['setServing']>,
    'print {"state": "drain", "applied": true}',
  ),
};

const LsnOrNull = text('a WAL position such as "0/3000060", or null').nullable().optional();

/** The database capability's operations. `status` may leave out `region`: the provider fills it in. */
export const DatabaseAnswers = {
  status: expected(
    z.object({
      reachable: flag(),
      error: text().optional(),
      role: text().optional(),
      inRecovery: flag().optional(),
      fenced: flag().optional(),
      lsn: text('a WAL position such as "0/3000060"').optional(),
      receiveLsn: LsnOrNull,
      replayLsn: LsnOrNull,
      lastReplayAt: text('a time such as "2026-01-01T00:00:00Z", or null').nullable().optional(),
      streaming: flag().optional(),
      replayPaused: flag().optional(),
    }),
    'print {"reachable": true, "inRecovery": false, "fenced": false, "lsn": "0/3000060"}',
  ),
  fence: expected(
    z.object({ alreadyFenced: flag(), terminatedSessions: count() }) satisfies AnswerOf<DatabaseProvider['fence']>,
    'print {"alreadyFenced": false, "terminatedSessions": 0}',
  ),
  unfence: expected(z.object({ alreadyUnfenced: flag() }) satisfies AnswerOf<DatabaseProvider['unfence']>, 'print {"alreadyUnfenced": false}'),
  promote: expected(
    z.object({ alreadyPromoted: flag(), lsn: text('a WAL position such as "0/3000060"') }) satisfies AnswerOf<DatabaseProvider['promote']>,
    'print {"alreadyPromoted": false, "lsn": "0/3000060"}',
  ),
};

/** The service-mode capability's operations. `health` may leave out `region`: the provider fills it in. */
export const ServiceModeAnswers = {
  health: expected(
    z.object({
      reachable: flag(),
      mode: ServiceMode.optional(),
      status: z.enum(['ok', 'degraded']).optional(),
      db: z.object({ reachable: flag(), writable: flag(), inRecovery: flag('true, false or null').nullable(), error: text().optional() }).optional(),
      error: text().optional(),
    }),
    'print {"reachable": true, "mode": "normal", "status": "ok"}',
  ),
  'get-mode': expected(z.object({ mode: ServiceMode }), 'print {"mode": "normal"}'),
  'set-mode': expected(
    z.object({ previous: ServiceMode, changed: flag() }) satisfies AnswerOf<ServiceModeProvider['setMode']>,
    'print {"previous": "normal", "changed": true}',
  ),
};

/** The rebuild capability: nothing at all, or how the standby was rebuilt. */
export const RebuildAnswers = {
  rebuild: expected(
    z.object({ method: text().optional(), fallbackReason: text().optional() }, { error: 'an object, or nothing' }).nullable(),
    'print nothing, or {"method": "pg_rewind"}',
  ),
};

/** A page of hosts: the fields the vendor-isolation activities and readiness checks read. */
const HostPage = z.looseObject({
  total: count(),
  hosts: z.array(
    z.looseObject({
      id: text('a host id (a string)'),
      tags: z.array(text(), { error: 'a list of tags' }),
      health: HostHealth,
      handsOnOnly: flag(),
      agent: z.looseObject({
        contentVersion: text(),
        lastKnownGood: text(),
        channel: z.enum(['open', 'pinned', 'blocked']),
        pinnedVersion: text().optional(),
      }),
    }),
    { error: 'a list of hosts' },
  ),
});

/** Every batch action answers per host; runbooks read the applied count and each host's outcome and health. */
const ActionAnswer = z.looseObject({
  counts: z.looseObject({ applied: count() }),
  results: z.array(
    z.looseObject({ hostId: text('a host id (a string)'), outcome: z.enum(['applied', 'no-op', 'refused', 'not-found']), health: HostHealth.optional() }),
    { error: 'a list with one result per host' },
  ),
});
const HostCounters = z.looseObject({ rollbacks: count(), reboots: count(), quarantines: count(), repairs: count() });

const fleetFix = (operation: string) => `print what ${operation} answers in docs/api/fleet.openapi.json`;
const action = (operation: string) => expected(ActionAnswer, fleetFix(operation));

/**
 * The fleet's operations (docs/api/fleet.openapi.json), checked for the fields Lifeboat reads; other fields the
 * contract has pass through unchecked.
 */
export const FleetAnswers = {
  listHosts: expected(HostPage, fleetFix('listHosts')),
  fleetSummary: expected(z.looseObject({ total: count(), byHealth: z.looseObject({ healthy: count().optional() }) }), fleetFix('fleetSummary')),
  setUpdateChannel: action('setUpdateChannel'),
  pushContentUpdate: action('pushContentUpdate'),
  quarantineModule: action('quarantineModule'),
  rollbackHost: action('rollbackHost'),
  rebootHost: action('rebootHost'),
  markRepaired: action('markRepaired'),
  counters: expected(z.looseObject({ totals: HostCounters, max: HostCounters, hosts: z.array(z.unknown(), { error: 'a list' }) }), fleetFix('counters')),
  createScratchFleet: expected(
    z.looseObject({
      id: text('the scratch fleet id (a string)'),
      hosts: count(),
      byRole: z.record(z.string(), count(), { error: 'an object of counts by role' }),
    }),
    fleetFix('createScratchFleet'),
  ),
  removeScratchFleet: expected(z.looseObject({ removed: flag(), hosts: count() }), fleetFix('removeScratchFleet')),
} satisfies Record<keyof FleetApi, Expected>;

/** What an issue without a message of its own expected, in words a script's author reads. */
function expectation(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code === 'invalid_type') {
    const words: Record<string, string> = {
      string: 'a string',
      number: 'a number',
      int: 'a whole number',
      boolean: 'true or false',
      object: 'an object',
      array: 'a list',
    };
    return words[issue.expected] ?? issue.expected;
  }
  if (issue.code === 'invalid_value') return `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  return undefined;
}

/** A JSON path as jq writes it: `.hosts[3].agent.channel`; `.` for the whole answer. */
function jqPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '.';
  const parts = path.map((key) =>
    typeof key === 'number' ? `[${key}]` : /^[A-Za-z_][A-Za-z0-9_]*$/.test(String(key)) ? `.${String(key)}` : `[${JSON.stringify(String(key))}]`,
  );
  return parts[0]!.startsWith('[') ? `.${parts.join('')}` : parts.join('');
}

function excerpt(value: unknown, max = 60): string {
  const json = JSON.stringify(value);
  return json.length > max ? `${json.slice(0, max - 1)}…` : json;
}

/**
 * The program's answer checked against its operation's schema. A wrong answer is a non-retryable `Refused` failure
 * naming the program and operation (`label`), the first wrong field as a jq path, what was expected and what to print.
 * Only a short excerpt of the answer goes into the message, never the whole of stdout.
 */
export function checkAnswer<S extends z.ZodType>(expectedAnswer: Expected<S>, answer: unknown, label: string): z.output<S> {
  const parsed = expectedAnswer.schema.safeParse(answer, { reportInput: true, error: expectation });
  if (parsed.success) return parsed.data;
  const [first, ...rest] = parsed.error.issues;
  const path = jqPath(first!.path);
  const seen = first!.input === undefined ? `${path} is missing` : `${path === '.' ? '' : `${path} `}is ${excerpt(first!.input)}`;
  const more = rest.length > 0 ? ` (and ${rest.length} more problem${rest.length > 1 ? 's' : ''})` : '';
  throw providerFailure(ProviderErrorType.Refused, `${label}: answer ${seen}: expected ${first!.message}${more}; ${expectedAnswer.fix}`);
}
