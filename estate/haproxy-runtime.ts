import { Socket } from 'node:net';

/**
 * The estate's own word with its HAProxy: one command on the runtime API (the admin "stats socket" on TCP), in
 * non-interactive mode, where HAProxy answers and closes the connection. Lifeboat's HAProxy provider speaks the same
 * protocol on its side of the fence; the estate keeps its own so it never depends on the product it rehearses.
 */
export function runtimeCommand(api: { host: string; port: number }, command: string, timeoutMs = 3_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    let answer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`HAProxy runtime API ${api.host}:${api.port} did not answer "${command}" within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('data', (d) => (answer += d));
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`HAProxy runtime API ${api.host}:${api.port} unreachable: ${err.message}`));
    });
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(answer);
    });
    socket.connect(api.port, api.host, () => socket.end(`${command}\n`));
  });
}

/**
 * The backend the switch map sends `key` to now, as HAProxy holds it in memory (`show map` lines read
 * `<id> <key> <value>`). A switch through the runtime API changes only this, not the map file.
 */
export async function mappedBackend(api: { host: string; port: number }, mapFile: string, key: string): Promise<string> {
  const answer = await runtimeCommand(api, `show map ${mapFile}`);
  for (const line of answer.split('\n')) {
    const [, k, value] = line.trim().split(/\s+/);
    if (k === key && value) return value;
  }
  throw new Error(`HAProxy's map ${mapFile} has no entry for "${key}": ${answer.trim() || '(empty answer)'}`);
}
