import { readRoster, RosterError } from '../../activities/roster';
import { checkRosterSeal, sealShortfall, type TrustRoot } from '../../lib/roster-seal';
import { readSealFile } from '../../lib/roster-seal-file';
import { rosterDigest } from '../../kit/trust';

/** One roster file given to verify, and whether its admins sealed it. */
export interface SealedRoster {
  path: string;
  digest?: string;
  /** Why it does not count as sealed, when it does not. */
  problem?: string;
}

/**
 * Reads each roster file given with `--roster` and checks its seal (the `.sig.json` beside it) against the trust
 * root, as a worker does before it uses a roster. Several files cover a run whose roster changed while it ran.
 */
export async function sealedRosters(paths: string[], trustRoot: TrustRoot): Promise<SealedRoster[]> {
  const out: SealedRoster[] = [];
  for (const path of paths) {
    let digest: string;
    try {
      digest = rosterDigest(await readRoster(path));
    } catch (err) {
      out.push({ path, problem: err instanceof RosterError ? err.message : `cannot read it: ${(err as Error).message}` });
      continue;
    }
    let seal: unknown;
    try {
      seal = readSealFile(path);
    } catch (err) {
      out.push({ path, digest, problem: `cannot read its seal: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
      continue;
    }
    const shortfall = sealShortfall(checkRosterSeal(digest, seal, trustRoot), trustRoot, path);
    out.push({ path, digest, ...(shortfall ? { problem: shortfall } : {}) });
  }
  return out;
}

/**
 * Every roster the run checked decisions against (the digests its history shows it loaded) must be one its roster
 * admins sealed: a roster someone appended themselves to, with a key and a group, counts no vote. Returns the
 * problems, in sentences.
 */
export function checkRosterSeals(loaded: { digest?: string | undefined; where: string }[], given: SealedRoster[]): string[] {
  const problems = given.filter((g) => g.problem).map((g) => `the roster ${g.path} given with --roster is not sealed: ${g.problem}`);
  const sealed = new Set(given.filter((g) => !g.problem && g.digest).map((g) => g.digest!));
  const seen = new Set<string>();
  for (const roster of loaded) {
    if (!roster.digest || seen.has(roster.digest) || sealed.has(roster.digest)) continue;
    seen.add(roster.digest);
    problems.push(
      `the run counted decisions against roster ${roster.digest} (${roster.where}), which is none of the sealed rosters given (${
        given
          .filter((g) => !g.problem)
          .map((g) => `${g.path}: ${g.digest}`)
          .join('; ') || 'none'
      }): a roster its admins did not sign counts no vote`,
    );
  }
  return problems;
}
