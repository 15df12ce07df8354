import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { estatePids, isAlive, stopEstate, stopPid } from '../providers/sample-estate/lifecycle';
import { SupervisedDevServer, type SupervisorHooks } from './dev-server-supervisor';
import { clearDevRecord, readDevRecord, recordedServerRunning } from '../lib/dev-record';
import { answers } from '../lib/server-answers';
import { isListening } from '../lib/free-port';
import { stateDir } from '../lib/paths';
import { requireTemporalCli } from './temporal-binaries';

/**
 * Ports of the embedded dev server: LIFEBOAT_DEV_PORT (default 7233, the CLI's default address), and its web UI on
 * LIFEBOAT_DEV_UI_PORT, else 1,000 above the server's port as the `temporal` CLI does, so a second checkout on
 * another port does not collide on the UI.
 */
export function devPorts(env: NodeJS.ProcessEnv): { port: number; uiPort: number } {
  const port = Number(env.LIFEBOAT_DEV_PORT ?? 7233);
  const uiPort = Number(env.LIFEBOAT_DEV_UI_PORT ?? port + 1000);
  for (const [name, value] of [
    ['LIFEBOAT_DEV_PORT', port],
    ['LIFEBOAT_DEV_UI_PORT', uiPort],
  ] as const) {
    if (!Number.isInteger(value) || value < 1 || value > 65535) {
      throw new Error(
        env[name] === undefined ? `${name} must be set: the default, ${value}, is not a port number` : `${name} must be a port number, not "${env[name]}"`,
      );
    }
  }
  return { port, uiPort };
}

const lockFile = join(stateDir, 'dev.pid');

/** Refuses a second `lifeboat dev` on this checkout; a lock left by a crashed one is taken over. */
export function takeDevLock(): () => void {
  mkdirSync(stateDir, { recursive: true });
  if (existsSync(lockFile)) {
    const pid = Number(readFileSync(lockFile, 'utf8').trim());
    if (pid && pid !== process.pid && isAlive(pid)) {
      throw new Error(`Lifeboat dev is already running (pid ${pid}); use that one, or stop it with Ctrl-C in its terminal (or kill ${pid})`);
    }
  }
  writeFileSync(lockFile, String(process.pid));
  return () => rmSync(lockFile, { force: true });
}

/**
 * Deals with what an earlier `lifeboat dev` left running when it was killed before it could stop it (see `DevRecord`).
 * Its dev server is stopped, and a fresh one starts on the same database: only a server this process started is
 * one it can watch and restart. Its estate is taken over when this run uses the same estate, so Ctrl-C stops it,
 * and stopped otherwise. Call it holding the dev lock, so the recorded process is known to be gone.
 */
export async function takeOverLeftovers(opts: { estateDir: string | undefined; log: (line: string) => void }): Promise<{ adoptedEstate: boolean }> {
  const record = readDevRecord();
  if (!record) return { adoptedEstate: false };
  if (record.server && recordedServerRunning(record.server)) {
    opts.log(
      `stopping the Temporal dev server an earlier npm start left running (pid ${record.server.pid} on ${record.server.address}); a fresh one starts on the same database`,
    );
    await stopPid(record.server.pid, 10_000);
  }
  let adoptedEstate = false;
  if (record.estate && estatePids(record.estate.dir).length) {
    if (record.estate.dir === opts.estateDir) {
      opts.log(`taking over the sample estate an earlier npm start left running in ${record.estate.dir}; Ctrl-C stops it`);
      adoptedEstate = true;
    } else {
      opts.log(`stopping the sample estate an earlier npm start left running in ${record.estate.dir}`);
      await stopEstate(record.estate.dir);
    }
  }
  clearDevRecord();
  return { adoptedEstate };
}

export interface EmbeddedServer {
  address: string;
  uiUrl: string;
  /** Undefined when an already running server was reused: then we must not stop it. */
  started?: SupervisedDevServer;
}

/**
 * Reuses a Temporal dev server that already answers on the port, or starts one, supervised, whose database is a
 * file under the state folder so runs survive a restart. A port taken by something that is not Temporal is an
 * error that names the port and the variable to change it.
 */
export async function ensureEmbeddedServer(env: NodeJS.ProcessEnv, hooks: SupervisorHooks): Promise<EmbeddedServer> {
  const { port, uiPort } = devPorts(env);
  const address = `127.0.0.1:${port}`;
  const uiUrl = `http://localhost:${uiPort}`;
  if (await answers(address)) return { address, uiUrl };
  if (await isListening(port)) {
    throw new Error(
      `port ${port} is taken by a program that is not a Temporal server; stop it, or set LIFEBOAT_DEV_PORT to a free port (the CLI follows it; no TEMPORAL_ADDRESS needed)`,
    );
  }
  if (await isListening(uiPort)) {
    throw new Error(`the web UI port ${uiPort} is taken; stop what uses it or set LIFEBOAT_DEV_UI_PORT`);
  }
  const dir = join(stateDir, 'temporal');
  const started = await SupervisedDevServer.start(
    {
      binary: requireTemporalCli(env).path,
      port,
      uiPort,
      ip: '127.0.0.1',
      dbFile: join(dir, 'dev.db'),
      logFile: join(dir, 'server.log'),
      detached: true,
    },
    hooks,
  );
  return { address: started.address, uiUrl, started };
}
