import { join } from 'node:path';
import { logEnd, lostPortRace, PORT_RACE_STARTS } from './port-race';
import { isAlive, nodeServerCommand, readRecord, startDetached, waitForHttp } from './processes';

/** One of the estate's Node servers: a booking or airline service in a region, or the fleet API. */
export interface ServerSpec {
  /** Its process name: `booking-A`, `checkin-B`, `fleet`. */
  name: string;
  /** The server's file below `estate/`. */
  file: string;
  /** The path that answers once it listens (`/live`, `/health`). */
  probe: string;
  args: (port: number) => string[];
}

/**
 * Starts a server detached on `port` and waits until it answers; when another process took the port since it was
 * picked (the log says "address already in use"), starts it again on a fresh port, up to `PORT_RACE_STARTS` times.
 * A server already running under its name is left alone. Resolves with the port it listens on.
 */
export async function startServer(
  spec: ServerSpec,
  port: number,
  where: { runDir: string; logs: string },
  freshPort: () => Promise<number>,
  log: (line: string) => void,
): Promise<number> {
  const existing = readRecord(where.runDir, spec.name);
  if (existing && isAlive(existing.pid)) return existing.port ?? port;
  const logFile = join(where.logs, `${spec.name}.log`);
  for (let start = 1; ; start++) {
    log(`start ${spec.name} on port ${port}`);
    const from = logEnd(logFile);
    const rec = startDetached({ name: spec.name, command: nodeServerCommand(spec.file, spec.args(port)), runDir: where.runDir, logFile, port });
    try {
      await waitForHttp(`http://127.0.0.1:${port}${spec.probe}`, { pid: rec.pid, logFile, timeoutMs: 60_000 });
      // Something answered; if our server exited meanwhile, it was another process holding the port.
      if (!isAlive(rec.pid)) throw new Error(`${spec.name} exited at start; see ${logFile}`);
      return port;
    } catch (err) {
      if (start >= PORT_RACE_STARTS || !lostPortRace(logFile, from)) throw err;
      log(`another process took port ${port} before ${spec.name} bound it; trying a fresh port`);
      port = await freshPort();
    }
  }
}
