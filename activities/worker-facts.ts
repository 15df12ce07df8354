import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { TrustRoot } from '../lib/roster-seal';
import { rosterDigest } from '../kit/trust';
import type { DigestOrError, WorkerFacts, WorkerFactsActivities } from '../workflows/worker-facts';
import { readSealedRoster } from './roster';

/** What a worker knows about itself; the files are read again at each call, so the answer is what it would use now. */
export interface WorkerFactsDeps {
  identity: string;
  build: string;
  rosterPath: string;
  trustRoot: TrustRoot;
  targetsPath: string;
}

const sha256 = (data: string | Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

/**
 * The roster's digest as the worker would use it now: only a roster its admins sealed has one; otherwise the reason,
 * the same one a run's start or gate would be refused with.
 */
export async function sealedRosterDigest(rosterPath: string, trustRoot: TrustRoot): Promise<DigestOrError> {
  try {
    return { digest: rosterDigest((await readSealedRoster(rosterPath, trustRoot)).roster) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

async function fileDigest(path: string): Promise<DigestOrError> {
  try {
    return { digest: sha256(await readFile(path)) };
  } catch (err) {
    return { error: `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
  }
}

/** `describeWorker`: served only on the worker's own task queue (workflows/worker-facts.ts). Reads; changes nothing. */
export function createWorkerFactsActivities(deps: WorkerFactsDeps): WorkerFactsActivities {
  const trustRoot = { digest: sha256(JSON.stringify(deps.trustRoot)) };
  return {
    async describeWorker(): Promise<WorkerFacts> {
      const [roster, targets] = await Promise.all([sealedRosterDigest(deps.rosterPath, deps.trustRoot), fileDigest(deps.targetsPath)]);
      return { identity: deps.identity, build: deps.build, roster, targets, trustRoot };
    },
  };
}
