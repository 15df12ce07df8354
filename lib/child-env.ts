/**
 * The worker's environment holds secrets (TEMPORAL_API_KEY, the webhook URLs, the payload codec's keys), and a
 * child process has no use for them: pg_ctl, HAProxy or a notification command would only pass them on to
 * whatever they run or log. So children start from an allow-list, never from a copy of `process.env`.
 */

/** What a child needs to find its binaries, its home and its locale, and to read its clock in the right zone. */
const system = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'TMPDIR', 'LANG', 'LANGUAGE', 'TZ'];

/** libpq's connection settings: the PostgreSQL tools Lifeboat runs (pg_basebackup, pg_rewind) are who they are for. */
const libpq = [
  'PGHOST',
  'PGHOSTADDR',
  'PGPORT',
  'PGDATABASE',
  'PGUSER',
  'PGPASSWORD',
  'PGPASSFILE',
  'PGSERVICE',
  'PGSERVICEFILE',
  'PGOPTIONS',
  'PGAPPNAME',
  'PGCONNECT_TIMEOUT',
  'PGCLIENTENCODING',
  'PGTZ',
  'PGSSLMODE',
  'PGSSLCERT',
  'PGSSLKEY',
  'PGSSLROOTCERT',
  'PGSSLCRL',
  'PGSSLCRLDIR',
  'PGSSLSNI',
  'PGGSSENCMODE',
  'PGKRBSRVNAME',
  'PGCHANNELBINDING',
  'PGREQUIREAUTH',
  'PGTARGETSESSIONATTRS',
  'PGSYSCONFDIR',
];

const passed = new Set([...system, ...libpq]);

/**
 * A minimal environment for a child process: the allow-listed variables of `from` (the worker's own environment
 * by default) and then `extra`. Anything else, secrets first of all, stays behind.
 */
export function childEnv(extra: Record<string, string | undefined> = {}, from: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(from)) {
    if (value !== undefined && (passed.has(name) || name.startsWith('LC_'))) env[name] = value;
  }
  for (const [name, value] of Object.entries(extra)) {
    if (value !== undefined) env[name] = value;
  }
  return env;
}
