import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { answers, startDevServer, type DevServer } from './dev-server';
import { isListening } from './free-port';
import { stateDir } from './paths';
import { requireTemporalCli } from './temporal-binaries';

/** Ports of the embedded default; the CLI's default address matches the first. */
export function devPorts(env: NodeJS.ProcessEnv): { port: number; uiPort: number } {
  const port = Number(env.LIFEBOAT_DEV_PORT ?? 7233);
  const uiPort = Number(env.LIFEBOAT_UI_PORT ?? 8233);
  for (const [name, value] of [['LIFEBOAT_DEV_PORT', port], ['LIFEBOAT_UI_PORT', uiPort]] as const) {
    if (!Number.isInteger(value) || value < 1 || value > 65535) throw new Error(`${name} must be a port number, not "${env[name]}"`);
  }
  return { port, uiPort };
}

const lockFile = join(stateDir, 'dev.pid');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Refuses a second `lifeboat dev` on this checkout; a lock left by a crashed one is taken over. */
export function takeDevLock(): () => void {
  mkdirSync(stateDir, { recursive: true });
  if (existsSync(lockFile)) {
    const pid = Number(readFileSync(lockFile, 'utf8').trim());
    if (pid && pid !== process.pid && alive(pid)) {
      throw new Error(`Lifeboat dev is already running (pid ${pid}); use that one, or stop it with Ctrl-C in its terminal (or kill ${pid})`);
    }
  }
  writeFileSync(lockFile, String(process.pid));
  return () => rmSync(lockFile, { force: true });
}

export interface EmbeddedServer {
  address: string;
  uiUrl: string;
  /** Undefined when an already running server was reused: then we must not stop it. */
  started?: DevServer;
}

/**
 * Reuses a Temporal dev server that already answers on the port, or starts one whose database is a
 * file under the state folder so runs survive a restart. A port taken by something that is not
 * Temporal is an error that names the port and the variable to change it.
 */
export async function ensureEmbeddedServer(env: NodeJS.ProcessEnv): Promise<EmbeddedServer> {
  const { port, uiPort } = devPorts(env);
  const address = `127.0.0.1:${port}`;
  const uiUrl = `http://localhost:${uiPort}`;
  if (await answers(address)) return { address, uiUrl };
  if (await isListening(port)) {
    throw new Error(`port ${port} is taken by a program that is not a Temporal server; stop it, or set LIFEBOAT_DEV_PORT and TEMPORAL_ADDRESS=localhost:<port>`);
  }
  if (await isListening(uiPort)) {
    throw new Error(`the web UI port ${uiPort} is taken; stop what uses it or set LIFEBOAT_UI_PORT`);
  }
  const dir = join(stateDir, 'temporal');
  const started = await startDevServer({
    binary: requireTemporalCli(env).path,
    port,
    uiPort,
    ip: '127.0.0.1',
    dbFile: join(dir, 'dev.db'),
    logFile: join(dir, 'server.log'),
  });
  return { address: started.address, uiUrl, started };
}
