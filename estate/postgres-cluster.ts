import { execFile, execFileSync } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { estateChildEnv } from './child-env';

const run = promisify(execFile);

/** Where PostgreSQL 15's server binaries are: `pg_config --bindir`, Debian's folder, or PATH. */
export function pgBinDir(): string {
  const candidates: string[] = [];
  try {
    candidates.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', env: estateChildEnv() }).trim());
  } catch {
    /* pg_config missing */
  }
  candidates.push('/usr/lib/postgresql/15/bin', '/usr/local/bin', '/usr/bin');
  const found = candidates.find((d) => existsSync(join(d, 'pg_basebackup')) && existsSync(join(d, 'pg_ctl')));
  if (!found) throw new Error('PostgreSQL 15 binaries not found; install them with: apt-get install postgresql-15');
  return found;
}

/** The OS user that owns PostgreSQL's data: postgres refuses to run as root, so root hands it to `postgres` (or creates `lifeboat-pg`). */
export interface PgOsUser {
  name: string;
  uid: number;
  gid: number;
}

let cachedUser: PgOsUser | null | undefined;

/** `null` when we are not root and run PostgreSQL as ourselves. */
export function pgOsUser(): PgOsUser | null {
  if (cachedUser !== undefined) return cachedUser;
  if (process.getuid?.() !== 0) return (cachedUser = null);
  const lookup = (name: string): PgOsUser | undefined => {
    try {
      const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], env: estateChildEnv() }).trim());
      const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], env: estateChildEnv() }).trim());
      return { name, uid, gid };
    } catch {
      return undefined;
    }
  };
  let user = lookup('postgres') ?? lookup('lifeboat-pg');
  if (!user) {
    execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', 'lifeboat-pg'], { env: estateChildEnv() });
    user = lookup('lifeboat-pg');
  }
  if (!user) throw new Error('could not find or create an unprivileged user for PostgreSQL');
  return (cachedUser = user);
}

/** Runs a PostgreSQL binary as the data's owner, with a minimal environment (libpq's PG* settings pass). */
export async function pgExec(binary: string, args: string[], opts: { timeoutMs?: number } = {}): Promise<string> {
  const path = join(pgBinDir(), binary);
  const user = pgOsUser();
  const [cmd, argv] = user ? ['runuser', ['-u', user.name, '--', path, ...args]] : [path, args];
  try {
    const { stdout } = await run(cmd, argv, { cwd: '/', timeout: opts.timeoutMs ?? 120_000, encoding: 'utf8', env: estateChildEnv() });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(`${binary} ${args.join(' ')} failed: ${e.stderr || e.stdout || e.message}`.trim());
  }
}

/** Makes a folder the PostgreSQL user can write (data dirs must be 0700 and theirs). */
export function makePgDir(dir: string, mode = 0o700): void {
  mkdirSync(dir, { recursive: true, mode });
  const user = pgOsUser();
  if (user) chownSync(dir, user.uid, user.gid);
}

/** The log file of a cluster, next to (not inside) its data dir so a base backup does not copy it. */
export const pgLogFile = (dataDir: string) => `${dataDir}.log`;

/** Settings both nodes share: loopback only, streaming replication, and what `pg_rewind` needs later. */
function serverSettings(port: number): string {
  return [
    '',
    '# lifeboat estate',
    "listen_addresses = '127.0.0.1'",
    `port = ${port}`,
    "unix_socket_directories = ''",
    'wal_level = replica',
    'max_wal_senders = 10',
    "wal_keep_size = '256MB'",
    'wal_log_hints = on',
    'hot_standby = on',
    'hot_standby_feedback = on',
    'max_connections = 60',
    "shared_buffers = '32MB'",
    "wal_receiver_status_interval = '1s'",
    '',
  ].join('\n');
}

/** Creates and configures the primary's data dir (trust auth on loopback only; this is a sample estate). */
export async function initPrimary(dataDir: string, port: number): Promise<void> {
  makePgDir(dirname(dataDir), 0o755);
  makePgDir(dataDir);
  await pgExec('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-instructions']);
  appendFileSync(join(dataDir, 'postgresql.conf'), serverSettings(port));
  writeFileSync(
    join(dataDir, 'pg_hba.conf'),
    ['local all all trust', 'host all all 127.0.0.1/32 trust', 'host replication all 127.0.0.1/32 trust', ''].join('\n'),
  );
}

/** Clones the primary into a hot standby with `pg_basebackup -R` (writes standby.signal and primary_conninfo). */
export async function initStandby(dataDir: string, port: number, primaryPort: number): Promise<void> {
  makePgDir(dirname(dataDir), 0o755);
  makePgDir(dataDir);
  await pgExec('pg_basebackup', ['-h', '127.0.0.1', '-p', String(primaryPort), '-U', 'postgres', '-D', dataDir, '-R', '-X', 'stream', '-c', 'fast']);
  appendFileSync(join(dataDir, 'postgresql.conf'), `\n# lifeboat standby\nport = ${port}\n`);
}

/**
 * Moves a cluster to another port, for a first start that found its port taken by another process: the setting is
 * appended, and PostgreSQL takes the last one in the file.
 */
export function moveClusterPort(dataDir: string, port: number): void {
  appendFileSync(join(dataDir, 'postgresql.conf'), `\n# lifeboat: the port picked before was taken by another process\nport = ${port}\n`);
}

/** Starts a cluster and waits until it accepts connections. */
export async function startCluster(dataDir: string): Promise<void> {
  if (await clusterRunning(dataDir)) return;
  const log = pgLogFile(dataDir);
  if (!existsSync(log)) {
    writeFileSync(log, '');
    const user = pgOsUser();
    if (user) chownSync(log, user.uid, user.gid);
  }
  await pgExec('pg_ctl', ['-D', dataDir, '-l', log, '-w', '-t', '60', 'start']);
}

/** Stops a cluster; `immediate` is an abrupt stop, as a crash or outage would leave it. No-op when stopped. */
export async function stopCluster(dataDir: string, mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
  if (!existsSync(join(dataDir, 'postmaster.pid'))) return;
  if (!(await clusterRunning(dataDir))) return;
  await pgExec('pg_ctl', ['-D', dataDir, '-m', mode, '-w', '-t', '60', 'stop']);
}

export async function clusterRunning(dataDir: string): Promise<boolean> {
  if (!existsSync(dataDir)) return false;
  try {
    await pgExec('pg_ctl', ['-D', dataDir, 'status'], { timeoutMs: 10_000 });
    return true;
  } catch {
    return false;
  }
}
