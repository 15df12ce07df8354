import { Socket } from 'node:net';

/**
 * Sends one command to HAProxy's runtime API (the admin "stats socket" on TCP) and returns its answer.
 * Non-interactive mode: HAProxy answers and closes the connection.
 */
export function haproxyCommand(api: { host: string; port: number }, command: string, timeoutMs = 3_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    let out = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`HAProxy runtime API ${api.host}:${api.port} did not answer "${command}" within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('data', (d) => (out += d));
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`HAProxy runtime API ${api.host}:${api.port} unreachable: ${err.message}`));
    });
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
    // Written, not ended: HAProxy closes once it has answered, and a half-close would make a proxy in between (such as
    // Toxiproxy, which closes both ways on a half-close) drop the answer before it comes.
    socket.connect(api.port, api.host, () => socket.write(`${command}\n`));
  });
}

/** Parses the CSV of `show stat` into rows keyed by column name. */
export function parseShowStat(csv: string): Record<string, string>[] {
  const lines = csv.split('\n').filter((l) => l.trim() !== '');
  const header = lines.shift()?.replace(/^# /, '').split(',') ?? [];
  return lines.map((line) => {
    const cells = line.split(',');
    return Object.fromEntries(header.map((h, i) => [h, cells[i] ?? '']));
  });
}
