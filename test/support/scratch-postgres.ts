import { execFile, execFileSync } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { childEnv } from '../../lib/child-env';

const run = promisify(execFile);

/**
 * A throwaway PostgreSQL 15 cluster for a Temporal server's persistence: its own data dir, one loopback port, trust
 * auth on loopback. PostgreSQL refuses to run as root, so as root it runs as `postgres` through `runuser`.
 */
export interface ScratchPostgres {
  host: string;
  port: number;
  user: string;
  dataDir: string;
  logFile: string;
  /** Stops it (`immediate` as a crash would); a no-op once stopped. */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** The same, synchronously, for a process `exit` handler. */
  stopNow(): void;
}

/** PostgreSQL 15's server binaries: Debian's folder, `pg_config --bindir`, or PATH. */
function pgBinDir(): string {
  const candidates = ['/usr/lib/postgresql/15/bin'];
  try {
    candidates.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', env: childEnv() }).trim());
  } catch {
    /* pg_config missing */
  }
  candidates.push('/usr/local/bin', '/usr/bin');
  const found = candidates.find((d) => existsSync(join(d, 'initdb')) && existsSync(join(d, 'pg_ctl')));
  if (!found) throw new Error('PostgreSQL 15 binaries not found; install them with: apt-get install postgresql-15');
  return found;
}

/** The OS user PostgreSQL runs as when we are root: `postgres`, which the Debian package creates. */
function pgOsUser(): { name: string; uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8', env: childEnv() }).trim());
  try {
    return { name: 'postgres', uid: id('-u'), gid: id('-g') };
  } catch {
    throw new Error('running as root, PostgreSQL needs the `postgres` user, which is missing; install postgresql-15');
  }
}

/**
 * Creates and starts a cluster in `dataDir` (which must not exist yet) on `port`. With `password`, user `postgres`
 * must give it (scram-sha-256), as on a production PostgreSQL; without, loopback is trusted.
 */
export async function startScratchPostgres(dataDir: string, port: number, options: { password?: string } = {}): Promise<ScratchPostgres> {
  const bin = pgBinDir();
  const user = pgOsUser();
  const exec = async (binary: string, args: string[]) => {
    const path = join(bin, binary);
    const [cmd, argv] = user ? ['runuser', ['-u', user.name, '--', path, ...args]] : [path, args];
    try {
      await run(cmd, argv, { cwd: '/', timeout: 120_000, env: childEnv() });
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`${binary} ${args.join(' ')} failed: ${e.stderr || e.message}`.trim());
    }
  };
  mkdirSync(dataDir, { mode: 0o700 });
  const logFile = `${dataDir}.log`;
  writeFileSync(logFile, '');
  if (user) for (const path of [dataDir, logFile]) chownSync(path, user.uid, user.gid);
  const pwFile = `${dataDir}.pw`;
  if (options.password !== undefined) {
    writeFileSync(pwFile, `${options.password}\n`, { mode: 0o600 });
    if (user) chownSync(pwFile, user.uid, user.gid);
  }
  const auth = options.password === undefined ? ['--auth=trust'] : ['--auth=scram-sha-256', `--pwfile=${pwFile}`];
  try {
    await exec('initdb', ['-D', dataDir, '-U', 'postgres', ...auth, '-E', 'UTF8', '--no-instructions']);
  } finally {
    rmSync(pwFile, { force: true });
  }
  appendFileSync(
    join(dataDir, 'postgresql.conf'),
    [
      "\n# lifeboat: a Temporal server's persistence; its four services hold up to 14 connections each",
      "listen_addresses = '127.0.0.1'",
      `port = ${port}`,
      "unix_socket_directories = ''",
      'max_connections = 120',
      "shared_buffers = '64MB'",
      '',
    ].join('\n'),
  );
  writeFileSync(join(dataDir, 'pg_hba.conf'), `host all all 127.0.0.1/32 ${options.password === undefined ? 'trust' : 'scram-sha-256'}\n`);
  await exec('pg_ctl', ['-D', dataDir, '-l', logFile, '-w', '-t', '60', 'start']);
  const [ctlCmd, ctlPrefix]: [string, string[]] = user ? ['runuser', ['-u', user.name, '--', join(bin, 'pg_ctl')]] : [join(bin, 'pg_ctl'), []];
  return {
    host: '127.0.0.1',
    port,
    user: 'postgres',
    dataDir,
    logFile,
    async stop(mode = 'fast') {
      if (!existsSync(join(dataDir, 'postmaster.pid'))) return;
      await exec('pg_ctl', ['-D', dataDir, '-m', mode, '-w', '-t', '60', 'stop']);
    },
    stopNow() {
      if (!existsSync(join(dataDir, 'postmaster.pid'))) return;
      try {
        execFileSync(ctlCmd, [...ctlPrefix, '-D', dataDir, '-m', 'immediate', '-w', '-t', '30', 'stop'], { cwd: '/', stdio: 'ignore', env: childEnv() });
      } catch {
        /* already gone */
      }
    },
  };
}
