import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { logEnd, lostPortRace, PORT_RACE_STARTS } from './port-race';
import { isAlive, readRecord, sleep, startDetached, stopRecorded } from './processes';
import { ensureLayout, estateLayout, repoRoot } from './state-dir';

/**
 * moto's server mode: an emulator of AWS's APIs, here for Route 53, which the flight-status service's DNS failover
 * lives in. It keeps everything in memory, so whatever the estate creates in it is created again on every `up`.
 */

/** Where `scripts/install-moto.sh` (run by `npm install`) puts moto. */
export const MOTO_DIR = join(repoRoot, '.tools', 'moto');

/** The name moto's server is recorded under in the estate's run dir (so `down` stops it). */
export const MOTO_RECORD = 'moto';

/** What is missing to run moto, with how to install it; `undefined` when it is there. */
export function motoMissing(): string | undefined {
  if (!existsSync(join(MOTO_DIR, '.installed'))) {
    return (
      `moto is not installed in ${MOTO_DIR}: run \`npm install\` (it runs scripts/install-moto.sh), ` +
      'or `bash scripts/install-moto.sh` alone (needs python3 and pip)'
    );
  }
  return undefined;
}

/** A moto server the estate runs. */
export interface MotoServer {
  /** Its base URL: the `endpoint` of the Route 53 settings and of SDK clients. */
  endpoint: string;
  port: number;
  pid: number;
}

/** Whether moto answers HTTP on its own dashboard path (anything else on the port does not serve it). */
async function motoAnswers(endpoint: string): Promise<boolean> {
  try {
    return (await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1_000) })).ok;
  } catch {
    return false;
  }
}

/**
 * Starts moto's server detached on 127.0.0.1:`port` (taken from `take` when not given) and resolves once it answers.
 * When it already runs (recorded and alive), returns it as it is. On a start that finds its port taken by another
 * process (its log says "Address already in use"), starts again on a port from `take`, up to `PORT_RACE_STARTS` starts.
 */
export async function startMotoServer(o: { stateDir: string; port?: number; take: () => Promise<number>; log?: (line: string) => void }): Promise<MotoServer> {
  const missing = motoMissing();
  if (missing) throw new Error(missing);
  const log = o.log ?? (() => undefined);
  const layout = estateLayout(o.stateDir);
  ensureLayout(layout);
  const existing = readRecord(layout.run, MOTO_RECORD);
  if (existing?.port && isAlive(existing.pid) && (await motoAnswers(`http://127.0.0.1:${existing.port}`))) {
    return { endpoint: `http://127.0.0.1:${existing.port}`, port: existing.port, pid: existing.pid };
  }
  await stopRecorded(layout.run, MOTO_RECORD, 0);
  const logFile = join(layout.logs, 'moto.log');
  let port = o.port ?? (await o.take());
  for (let start = 1; ; start++) {
    log(`start moto (Route 53 for flight-status) on port ${port}`);
    const from = logEnd(logFile);
    const record = startDetached({
      name: MOTO_RECORD,
      command: ['python3', '-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)],
      runDir: layout.run,
      logFile,
      port,
      env: { PYTHONPATH: MOTO_DIR, PYTHONDONTWRITEBYTECODE: '1' },
    });
    const endpoint = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 60_000;
    while (isAlive(record.pid) && Date.now() < deadline && !lostPortRace(logFile, from)) {
      // Something answered; when our moto exited meanwhile, it was another process holding the port.
      if ((await motoAnswers(endpoint)) && isAlive(record.pid)) return { endpoint, port, pid: record.pid };
      await sleep(100);
    }
    await stopRecorded(layout.run, MOTO_RECORD, 0);
    if (start >= PORT_RACE_STARTS || !lostPortRace(logFile, from)) {
      throw new Error(`moto did not answer on ${endpoint}; see ${logFile}`);
    }
    const lost = port;
    port = await o.take();
    log(`another process took port ${lost} before moto bound it; trying port ${port}`);
  }
}
