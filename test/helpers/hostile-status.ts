import { expect } from 'vitest';
import type { RunStatus } from '../../kit';

/**
 * Text that tries to act on the reader's terminal: set the window title (OSC 0), clear the screen (CSI 2J), hide a
 * link (OSC 8), the same as 8-bit C1 controls, a bell, a backspace, a carriage return, DEL, and a bidi override.
 */
export const hostile = '\x1b]0;pwned\x07\x1b[2J\x1b[H\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\\u009b2J\u009d0;t\u009c\x08\r\x7f\x00\u202egnp.exe';

/** Characters that may not reach a terminal from data: C0 but tab and newline, DEL, C1, bidi controls. */
export const unsafeCharacter = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** Asserts that text carries no control character from data, and that what was there is shown as an escape. */
export function expectInert(text: string, { shown = true } = {}): void {
  const found = unsafeCharacter.exec(text);
  expect(
    found
      ? `U+${found[0].charCodeAt(0).toString(16).padStart(4, '0')} at ${found.index}: ${JSON.stringify(text.slice(Math.max(0, found.index - 20), found.index + 20))}`
      : 'none',
  ).toBe('none');
  if (shown) expect(text).toContain('\\x1b]0;pwned\\x07');
}

/** A status whose every free-text field someone outside could have written holds `hostile`. */
export function hostileStatus(runId = 'kit-exercise/target'): RunStatus {
  const t0 = '2026-11-25T00:00:00.000Z';
  const at = (s: number) => new Date(Date.parse(t0) + s * 1000).toISOString();
  return {
    runId,
    runbook: 'kit-exercise',
    title: `Kit exercise ${hostile}`,
    target: 'target',
    state: 'needs-intervention',
    requestedBy: `mallory${hostile}`,
    startedAt: t0,
    updatedAt: at(60),
    outcome: `outcome ${hostile}`,
    abortRequested: { by: `eve${hostile}`, at: at(50) },
    steps: [
      { name: 'prepare', title: 'Prepare', kind: 'step', status: 'succeeded', startedAt: at(1), finishedAt: at(2), durationMs: 1000, attempts: 1 },
      { name: 'flaky', title: 'Flaky', kind: 'step', status: 'needs-intervention', startedAt: at(3), attempts: 2, lastError: `INC-1 ${hostile}\nsecond line` },
    ],
    gates: [
      {
        name: 'approve',
        title: `Leads approve ${hostile}`,
        status: 'open',
        openedAt: at(2),
        quorum: 2,
        approvers: { groups: ['sre-leads'] },
        eligible: ['bob', `carol${hostile}`],
        votes: [{ by: `bob${hostile}`, decision: 'approve', at: at(10), comment: `lgtm ${hostile}` }],
        escalations: 0,
        expiresAt: at(3600),
        onExpiry: 'abort',
      },
    ],
    intervention: { step: 'flaky', error: `boom ${hostile}`, since: at(20), options: ['retry', 'abort'] },
    details: {
      [`note${hostile}`]: `detail ${hostile}`,
      handsOn: { open: 1, done: 0, waived: 0, tasks: [{ host: `kiosk${hostile}`, reason: hostile, status: 'open' }] },
    },
    compensation: [{ step: 'prepare', status: 'failed', error: `undo ${hostile}` }],
    pointOfNoReturn: { step: 'apply', at: at(30), undoInstead: `run ${hostile}` },
    audit: [
      { at: at(10), actor: `bob${hostile}`, action: 'approve', detail: 'approve', comment: `lgtm ${hostile}` },
      { at: at(11), actor: `outsider${hostile}`, action: 'refused', detail: `not eligible ${hostile}`, comment: hostile },
      { at: at(20), actor: 'lifeboat', action: 'intervention-needed', detail: `flaky: boom ${hostile}` },
      { at: at(25), actor: `erin${hostile}`, action: 'retry', comment: `reason ${hostile}` },
    ],
  } as unknown as RunStatus;
}
