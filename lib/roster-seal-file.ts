import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { RosterSeal, SealStatement, sealStatementText, type SealSignature } from './roster-seal';

/** Where a roster's seal lives: beside it, so a copy of the roster and its seal travel together. */
export function sealPathFor(rosterPath: string): string {
  return `${rosterPath}.sig.json`;
}

/** The seal file's JSON, undefined when there is none; an unreadable seal is reported by the check, not thrown. */
export function readSealFile(rosterPath: string): unknown {
  let text: string;
  try {
    text = readFileSync(sealPathFor(rosterPath), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return { unreadable: 'not JSON' };
  }
}

/** The statement `by` signs for a roster digest now. */
export function sealStatementFor(rosterDigest: string, by: string, now = new Date()): { statement: SealStatement; text: string } {
  const statement = SealStatement.parse({ lifeboat: 'roster/v1', rosterDigest, by, issuedAt: now.toISOString() });
  return { statement, text: sealStatementText(statement) };
}

/**
 * Adds one admin's signature to the roster's seal and writes it atomically. A seal for another digest (the roster
 * changed) is replaced by a fresh one, so signatures of an earlier roster never linger; the same admin signing again
 * replaces their earlier signature.
 */
export function addSealSignature(rosterPath: string, rosterDigest: string, by: string, signed: SealSignature): RosterSeal {
  const previous = RosterSeal.safeParse(readSealFile(rosterPath));
  const kept = previous.success && previous.data.rosterDigest === rosterDigest ? previous.data.signatures.filter((s) => signerOf(s.statement) !== by) : [];
  const seal = RosterSeal.parse({ lifeboat: 'roster-seal/v1', rosterDigest, signatures: [...kept, signed] });
  const path = sealPathFor(rosterPath);
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(seal, null, 2)}\n`);
  renameSync(temp, path);
  return seal;
}

function signerOf(text: string): string | undefined {
  try {
    return SealStatement.safeParse(JSON.parse(text)).data?.by;
  } catch {
    return undefined;
  }
}

/**
 * Signs a roster's digest as `by` with `sign` (an SSH signature over the text, namespace `lifeboat`) and adds the
 * signature to its seal. The caller reads the roster, so its digest is of the roster as the worker will parse it.
 */
export async function signRosterSeal(rosterPath: string, rosterDigest: string, by: string, sign: (text: string) => Promise<string>): Promise<RosterSeal> {
  const { text } = sealStatementFor(rosterDigest, by);
  return addSealSignature(rosterPath, rosterDigest, by, { statement: text, signature: await sign(text) });
}
