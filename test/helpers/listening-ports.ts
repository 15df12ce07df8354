import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { canListen, type PortRange } from '../../estate/ports';

/** `size` consecutive ports free on 127.0.0.1 now, below the OS's ephemeral range so no outgoing connection takes one. */
export async function freeRange(size: number): Promise<PortRange> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const from = 20_000 + Math.floor(Math.random() * 12_000);
    const ports = Array.from({ length: size }, (_, i) => from + i);
    if ((await Promise.all(ports.map((p) => canListen(p)))).every(Boolean)) return { from, to: from + size - 1 };
  }
  throw new Error(`no ${size} consecutive free ports found between 20000 and 32000`);
}

/** Every TCP port a process listens on, from its open sockets (/proc/<pid>/fd) matched against /proc/net/tcp{,6}. */
export function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m?.[1]) inodes.add(m[1]);
    } catch {
      /* closed meanwhile */
    }
  }
  const ports: number[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      const [local, state, inode] = [f[1], f[3], f[9]];
      if (local && state === '0A' && inode && inodes.has(inode)) ports.push(parseInt(local.split(':').at(-1)!, 16));
    }
  }
  return ports;
}
