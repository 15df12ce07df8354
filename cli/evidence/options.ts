import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { demoEvidenceStore } from '../../dev/demo-evidence';
import { EvidenceStoreConfigError, openEvidenceStore } from '../../lib/evidence/open-store';
import type { EvidenceStore } from '../../lib/evidence/store';
import type { TrustRoot } from '../../lib/roster-seal';
import { readTrustRoot, trustRootPathFrom, TrustRootError } from '../../lib/trust-root';
import type { CliContext } from '../context';
import { CliError, ExitCode, usageError } from '../errors';

/**
 * The archive `--store` names, else LIFEBOAT_EVIDENCE_STORE: a folder or `s3://bucket/prefix`. Else, while the demo
 * (`npm start`) runs, the archive its worker seals runs into, so the demo's evidence is one command away.
 */
export function evidenceStoreFrom(ctx: CliContext, flag: string | undefined): EvidenceStore {
  const location = flag ?? (ctx.env.LIFEBOAT_EVIDENCE_STORE || demoEvidenceStore(() => ctx.settings(), ctx.env));
  if (!location) throw usageError('name the evidence archive: --store DIR or --store s3://bucket/prefix (or set LIFEBOAT_EVIDENCE_STORE)');
  // A mistyped folder would otherwise read as an empty archive, and an empty archive has nothing that fails to verify.
  if (!location.startsWith('s3://') && !existsSync(location))
    throw new CliError(`there is no evidence archive at ${resolve(location)}`, { code: 'no-archive', suggestion: 'check --store or LIFEBOAT_EVIDENCE_STORE' });
  try {
    return openEvidenceStore(location, ctx.env);
  } catch (err) {
    if (err instanceof EvidenceStoreConfigError)
      throw new CliError(err.problem, { code: 'evidence-store-config', suggestion: err.suggestion, exitCode: ExitCode.usage });
    throw err;
  }
}

const dateOnly = /^\d{4}-\d{2}-\d{2}$/;

/**
 * A `--since` or `--until` time: an ISO time, or a date, which means that day in UTC from its first moment (`since`)
 * to its last (`until`), so `--until 2026-12-31` includes the 31st.
 */
export function timeBound(flag: string, value: unknown, end: 'since' | 'until'): Date | undefined {
  if (value === undefined) return undefined;
  const text = String(value);
  const time = dateOnly.test(text) ? Date.parse(`${text}T${end === 'since' ? '00:00:00.000' : '23:59:59.999'}Z`) : Date.parse(text);
  if (Number.isNaN(time) || !/^\d{4}-\d{2}-\d{2}/.test(text))
    throw usageError(`--${flag} ${text} is not a date`, `give a date such as 2026-01-31 or a time such as 2026-01-31T12:00:00Z`);
  return new Date(time);
}

/** The workers' trust root, from `--trust-root` or LIFEBOAT_TRUST_ROOT; undefined when neither names one. */
export function evidenceTrustRoot(flag: string | undefined, env: NodeJS.ProcessEnv): TrustRoot | undefined {
  const path = trustRootPathFrom(flag, env);
  if (!path) return undefined;
  try {
    return readTrustRoot(path);
  } catch (err) {
    if (err instanceof TrustRootError)
      throw new CliError(err.message, { code: 'invalid-trust-root', suggestion: 'fix the field named above', exitCode: ExitCode.usage });
    throw err;
  }
}
