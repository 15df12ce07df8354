import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { EvidenceStoreConfigError, openEvidenceStore } from '../../lib/evidence/open-store';
import type { ArchiveSigner } from '../../lib/evidence/seal';
import type { EvidenceStore } from '../../lib/evidence/store';
import { CliError, ExitCode } from '../errors';

/** What a worker needs to archive runs: where bundles go, who seals them, and the files a bundle records. */
export interface ArchiveSettings {
  store: EvidenceStore;
  signer: ArchiveSigner;
  /** The roster the worker uses; its text and its seal (`.sig.json`) go into every bundle. */
  rosterPath: string;
  /** The targets file the worker acts on; a bundle records its digest. */
  targetsPath: string;
  /** The environment `lifeboat report` and `lifeboat verify` run with inside the worker (server address, codec keys). */
  env: NodeJS.ProcessEnv;
}

/**
 * The worker's archive settings from LIFEBOAT_EVIDENCE_STORE (a folder or `s3://bucket/prefix`), LIFEBOAT_ARCHIVE_KEY
 * (the archive signer's private ssh key file) and LIFEBOAT_ARCHIVE_SIGNER (its roster id). Undefined when no store is
 * named: then the worker archives nothing, as before. A store named without a signer stops the worker at start, since
 * an unsealed archive is worth nothing to an auditor.
 */
export function archiveSettingsFromEnv(env: NodeJS.ProcessEnv, files: { rosterPath: string; targetsPath: string }): ArchiveSettings | undefined {
  const location = env.LIFEBOAT_EVIDENCE_STORE;
  if (!location) return undefined;
  const keyFile = env.LIFEBOAT_ARCHIVE_KEY;
  const id = env.LIFEBOAT_ARCHIVE_SIGNER;
  if (!keyFile || !id)
    throw new CliError(`LIFEBOAT_EVIDENCE_STORE names an archive (${location}), but no archive signer seals its bundles`, {
      code: 'no-archive-signer',
      suggestion:
        'set LIFEBOAT_ARCHIVE_KEY (a private ssh key file) and LIFEBOAT_ARCHIVE_SIGNER (its roster id, a person in no group); docs/production.md, "Evidence archive"',
      exitCode: ExitCode.usage,
    });
  if (!existsSync(keyFile))
    throw new CliError(`LIFEBOAT_ARCHIVE_KEY names ${resolve(keyFile)}, which does not exist`, {
      code: 'no-archive-key',
      suggestion: 'point it at the archive signer private key file',
      exitCode: ExitCode.usage,
    });
  try {
    return { store: openEvidenceStore(location, env), signer: { id, keyFile: resolve(keyFile) }, ...files, env };
  } catch (err) {
    if (err instanceof EvidenceStoreConfigError)
      throw new CliError(err.problem, { code: 'evidence-store-config', suggestion: err.suggestion, exitCode: ExitCode.usage });
    throw err;
  }
}
