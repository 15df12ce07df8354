import { readFileSync } from 'node:fs';
import { expect, inject, test } from 'vitest';
import type { RunStatus } from '../../kit';
import { Roster } from '../../kit/trust';
import { FindingsBook } from '../../lib/findings/book';
import { checkClose, type CloseContext } from '../../lib/findings/close-check';
import { drillIssues } from '../../lib/findings/drill-findings';
import type { FindingsIdentity } from '../../lib/findings/messages';
import { findingsIdentityDigest } from '../../lib/findings/names';
import { kitExercise } from '../workflows/kit-exercise';
import { signAs, statementOf } from '../helpers/signing';

const roster = Roster.parse(JSON.parse(readFileSync(inject('testRosterPath'), 'utf8')));
const identity: FindingsIdentity = {
  namespace: 'findings',
  workflowId: 'findings/kit-exercise/booking',
  runId: 'first-run',
  inputDigest: findingsIdentityDigest('kit-exercise', 'booking'),
};

function passedDrill(overrides: Partial<RunStatus> = {}): RunStatus {
  return {
    runId: 'kit-exercise/booking',
    runbook: 'kit-exercise',
    title: 'Kit exercise',
    target: 'booking',
    state: 'succeeded',
    requestedBy: 'alice',
    drill: { kind: 'isolated', approvals: 'policy' },
    objectives: { rtoSeconds: 600, rpoSeconds: 5 },
    measurements: { rtoSeconds: 420, rpoSeconds: 1 },
    startedAt: '2026-12-01T03:00:00.000Z',
    updatedAt: '2026-12-01T03:07:00.000Z',
    steps: [{ name: 'apply', title: 'Apply', kind: 'step', status: 'succeeded', startedAt: '2026-12-01T03:01:00.000Z', attempts: 1 }],
    gates: [],
    compensation: [],
    details: {},
    audit: [],
    ...overrides,
  } as RunStatus;
}

test('a drill that passed shows nothing; one that missed its RTO, needed an operator and failed an undo shows each, once', () => {
  expect(drillIssues(passedDrill())).toEqual([]);
  const issues = drillIssues(
    passedDrill({
      state: 'aborted',
      measurements: { rtoSeconds: 900, rpoSeconds: 1 },
      audit: [{ at: '2026-12-01T03:05:00.000Z', actor: 'lifeboat', action: 'intervention-needed' }],
      steps: [
        {
          name: 'undo:apply',
          title: 'Revert',
          kind: 'undo',
          status: 'failed',
          startedAt: '2026-12-01T03:06:00.000Z',
          attempts: 2,
          lastError: 'revert refused',
        },
      ],
    }),
  );
  expect(issues.map((i) => i.reason)).toEqual(['drill-failed', 'objective-missed', 'operator-needed', 'undo-failed']);
  expect(issues[1]!.objective).toEqual({ name: 'rto', targetSeconds: 600, achievedSeconds: 900 });
  expect(issues[3]!.what).toContain('undo:apply (revert refused) failed');
});

function bookWithOneFinding(): FindingsBook {
  const book = new FindingsBook('kit-exercise', 'booking');
  book.open(
    'F-7',
    { reason: 'drill-failed', what: 'drill ended aborted', run: { runId: 'kit-exercise/booking', temporalRunId: 'r1' } },
    '2026-12-01T03:10:00.000Z',
    30 * 86_400,
  );
  return book;
}

const context = (): CloseContext => ({ identity, roster, definition: kitExercise, nowMs: Date.now(), used: new Set() });
const close = (by: string, body: Record<string, string>, subject: Partial<FindingsIdentity> = {}) =>
  signAs(statementOf({ kind: 'resolve', ...identity, ...subject, by, body: { action: 'close-finding', finding: 'F-7', comment: 'fixed', ...body } }));

test('a close counts only signed by an operator, for this findings workflow, naming an open finding and a proof', () => {
  const book = bookWithOneFinding();
  expect(checkClose(close('bob', { proof: 'drill', drill: 'kit-exercise/booking', drillRun: 'r2' }), book, context())).toMatchObject({ ok: true });
  expect(checkClose({ statement: 'close F-7', signature: 'x' }, book, context())).toMatchObject({ ok: false, reason: expect.stringContaining('not JSON') });
  expect(checkClose(close('dave', { proof: 'drill', drill: 'kit-exercise/booking', drillRun: 'r2' }), book, context())).toMatchObject({
    ok: false,
    reason: expect.stringContaining("dave may not close findings of kit-exercise: it needs the runbook's operator role"),
  });
  // A statement signed for the findings of another target, or for a workflow an insider started afresh, counts nowhere else.
  expect(
    checkClose(
      close('bob', { proof: 'drill', drill: 'x', drillRun: 'r2' }, { inputDigest: findingsIdentityDigest('kit-exercise', 'loyalty') }),
      book,
      context(),
    ),
  ).toMatchObject({ ok: false, reason: "the statement is for another input than this run's" });
  expect(checkClose(close('bob', { proof: 'drill', drill: 'x', drillRun: 'r2' }, { runId: 'other-run' }), book, context())).toMatchObject({ ok: false });
  expect(checkClose(close('bob', { proof: 'drill' }), book, context())).toMatchObject({ ok: false, fix: 'pass --proof <drill run id>, or --accept-risk' });
  expect(checkClose(close('bob', { finding: 'F-8', proof: 'accept-risk' }), book, context())).toMatchObject({
    ok: false,
    reason: expect.stringContaining('F-8 is not a finding'),
  });
});

test('a risk is accepted only by a member of a group the roster names for it, and never twice', () => {
  const book = bookWithOneFinding();
  expect(checkClose(close('bob', { proof: 'accept-risk' }), book, context())).toMatchObject({ ok: true, riskGroup: 'sre-leads' });
  expect(checkClose(close('alice', { proof: 'accept-risk' }), book, context())).toMatchObject({
    ok: false,
    reason: 'alice may not accept a risk: only members of group sre-leads may',
  });
  const { riskAcceptance: _, ...noGroup } = roster;
  expect(checkClose(close('bob', { proof: 'accept-risk' }), book, { ...context(), roster: noGroup as Roster })).toMatchObject({
    ok: false,
    reason: 'the roster names no group that may accept a risk',
  });
  book.close('F-7', {
    by: 'bob',
    at: '2026-12-02T00:00:00.000Z',
    comment: 'accepted',
    proof: { kind: 'risk-accepted', by: 'bob', group: 'sre-leads', at: '2026-12-02T00:00:00.000Z', comment: 'accepted' },
  });
  expect(checkClose(close('carol', { proof: 'accept-risk' }), book, context())).toMatchObject({
    ok: false,
    reason: expect.stringContaining('F-7 is already closed (by bob'),
  });
});
