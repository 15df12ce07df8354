import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { operatorsFor, resolveApprovers, Roster, type SignedDecision } from '../../kit/trust';
import type { CloseBody } from '../../lib/findings/messages';
import { findingsIdentityDigest, findingsWorkflowId } from '../../lib/findings/names';
import { generateEd25519KeyPair } from '../../lib/ssh-keys';
import { runbooks } from '../../runbooks';
import { KeyFolderSigner, statementOf } from '../helpers/signing-core';

/**
 * The people who close the simulated year's findings, each close a signed decision as `lifeboat finding close` makes
 * it, so `lifeboat evidence verify` checks the year's closes again as it checks a real archive's. The recorded roster's
 * people's private keys are not kept with the fixture, so each gets a second key made for the year; the findings
 * bundles carry the recorded roster with those keys added (`rosterText`), and only the findings bundles carry it.
 */
export class YearClosers {
  private constructor(
    private readonly roster: Roster,
    readonly rosterText: string,
    private readonly signer: KeyFolderSigner,
  ) {}

  static async make(recordedRosterText: string): Promise<YearClosers> {
    const dir = mkdtempSync(join(tmpdir(), 'lifeboat-year-closers-'));
    const roster = Roster.parse(JSON.parse(recordedRosterText));
    for (const person of roster.people) if (person.groups.length > 0) person.keys.push((await generateEd25519KeyPair(dir, person.id)).publicKeyLine);
    return new YearClosers(roster, `${JSON.stringify(roster, null, 2)}\n`, new KeyFolderSigner(dir));
  }

  /** Who closes a finding of `runbook`: `preferred` when the runbook's operator role has them, else its first operator. */
  closerOf(runbook: string, preferred: string, acceptsRisk: boolean): { by: string; group?: string } {
    const eligible = resolveApprovers(this.roster, operatorsFor(runbooks[runbook]!, 'resolve')).eligible;
    const riskGroups = this.roster.riskAcceptance ?? [];
    const groupOf = (id: string) => this.roster.people.find((p) => p.id === id)?.groups.find((g) => riskGroups.includes(g));
    const candidates = acceptsRisk ? eligible.filter((id) => groupOf(id)) : eligible;
    const by = candidates.includes(preferred) ? preferred : candidates[0];
    if (!by) throw new Error(`nobody in the year's roster may close findings of ${runbook}${acceptsRisk ? ' by accepting a risk' : ''}`);
    return acceptsRisk ? { by, group: groupOf(by)! } : { by };
  }

  /** The signed close of a finding, issued a minute before `at`, when the findings workflow took it. */
  close(runbook: string, target: string, by: string, body: CloseBody, at: string): SignedDecision {
    const statement = statementOf(
      {
        kind: 'resolve',
        namespace: 'default',
        workflowId: findingsWorkflowId(runbook, target),
        runId: `findings-${runbook}-${target}`,
        inputDigest: findingsIdentityDigest(runbook, target),
        by,
        body,
      },
      Date.parse(at) - 60_000,
    );
    return this.signer.sign(statement);
  }
}
