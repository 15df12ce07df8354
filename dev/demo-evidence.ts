import { join, resolve } from 'node:path';
import type { ConnectionSettings } from '../lib/connection';
import { readDevRecord } from '../lib/dev-record';
import { stateDir } from '../lib/paths';
import { demoArchiveSigner, demoKeysDir, talksToDemoServer } from './demo-keys';

/** The folder the demo archives finished runs into; git-ignored with the rest of `.state/`. */
export function demoEvidenceDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(join(env.LIFEBOAT_STATE_DIR ?? stateDir, 'evidence'));
}

/** The three settings a worker archives with (cli/evidence/archive-settings.ts reads them). */
export interface ArchiveEnv {
  LIFEBOAT_EVIDENCE_STORE: string;
  LIFEBOAT_ARCHIVE_KEY: string;
  LIFEBOAT_ARCHIVE_SIGNER: string;
}

/**
 * What the demo's worker archives with: the store and signer the environment names when it names them (an S3 bucket
 * on moto, say), else the demo's folder, sealed by {@link demoArchiveSigner} with its demo key. A signer named in the
 * environment is taken whole, key and id together, so a demo key never seals under someone else's id.
 */
export function demoArchiveEnv(env: NodeJS.ProcessEnv = process.env): ArchiveEnv {
  const ownSigner = env.LIFEBOAT_ARCHIVE_KEY !== undefined || env.LIFEBOAT_ARCHIVE_SIGNER !== undefined;
  return {
    LIFEBOAT_EVIDENCE_STORE: env.LIFEBOAT_EVIDENCE_STORE || demoEvidenceDir(env),
    LIFEBOAT_ARCHIVE_KEY: ownSigner ? (env.LIFEBOAT_ARCHIVE_KEY ?? '') : join(demoKeysDir(env), demoArchiveSigner),
    LIFEBOAT_ARCHIVE_SIGNER: ownSigner ? (env.LIFEBOAT_ARCHIVE_SIGNER ?? '') : demoArchiveSigner,
  };
}

/**
 * The archive the demo writes to, for a CLI that names none and talks to the demo's own dev server: the store
 * `lifeboat dev` recorded for as long as it runs (a killed one's record still names where it archived). Once it has
 * stopped, `--store` names the folder it printed. Undefined elsewhere, so a real cluster's CLI never reads the demo's,
 * and a test run beside a stopped demo never meets its archive.
 */
export function demoEvidenceStore(settings: () => ConnectionSettings, env: NodeJS.ProcessEnv = process.env): string | undefined {
  // Reading an archive needs no Temporal, so settings that name no usable server only mean this is not the demo.
  try {
    if (!talksToDemoServer(settings(), env)) return undefined;
  } catch {
    return undefined;
  }
  return readDevRecord(join(env.LIFEBOAT_STATE_DIR ?? stateDir, 'dev.json'))?.evidenceStore;
}

/** How the demo's worker archives: the variables it runs with, the store to record, and the line `lifeboat dev` prints. */
export interface DemoArchiving {
  /** Laid over the worker's environment; an undefined value takes a variable away. */
  workerEnv: Partial<Record<keyof ArchiveEnv, string | undefined>>;
  store?: string;
  line: string;
}

/**
 * Archiving is on in the demo unless `--no-evidence` says otherwise. With the demo roster the demo's folder and signer
 * fill what the environment leaves out; a roster of one's own has no demo signer in it, so there the environment alone
 * decides, as on a production worker.
 */
export function demoArchiving(opts: { off: boolean; demoRoster: boolean; trustRootPath: string | undefined; env: NodeJS.ProcessEnv }): DemoArchiving {
  const { env } = opts;
  if (opts.off) return { workerEnv: { LIFEBOAT_EVIDENCE_STORE: undefined }, line: '  evidence:     not archived (--no-evidence)' };
  const settings = opts.demoRoster ? demoArchiveEnv(env) : env.LIFEBOAT_EVIDENCE_STORE ? archiveEnvAsSet(env) : undefined;
  if (!settings)
    return {
      workerEnv: {},
      line: '  evidence:     not archived: with a roster of your own, set LIFEBOAT_EVIDENCE_STORE, LIFEBOAT_ARCHIVE_KEY and LIFEBOAT_ARCHIVE_SIGNER',
    };
  const store = settings.LIFEBOAT_EVIDENCE_STORE;
  return {
    workerEnv: settings,
    store,
    // The trust root is named so verify checks each bundle's roster against the admins who sealed it.
    line: [
      `  evidence:     each finished run sealed by ${settings.LIFEBOAT_ARCHIVE_SIGNER} into ${store} (--no-evidence turns it off)`,
      `                npx lifeboat evidence list`,
      `                npx lifeboat evidence verify --all${opts.trustRootPath ? ` --trust-root ${opts.trustRootPath}` : ''}`,
    ].join('\n'),
  };
}

/** The three settings as the environment has them; one left out is empty, and the worker refuses to start, naming it. */
function archiveEnvAsSet(env: NodeJS.ProcessEnv): ArchiveEnv {
  return {
    LIFEBOAT_EVIDENCE_STORE: env.LIFEBOAT_EVIDENCE_STORE ?? '',
    LIFEBOAT_ARCHIVE_KEY: env.LIFEBOAT_ARCHIVE_KEY ?? '',
    LIFEBOAT_ARCHIVE_SIGNER: env.LIFEBOAT_ARCHIVE_SIGNER ?? '',
  };
}
