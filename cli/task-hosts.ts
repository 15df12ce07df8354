import { readFileSync } from 'node:fs';
import { HOSTS_LIST_MAX } from '../workflows/vendor-isolation/messages';
import { usageError } from './errors';

/**
 * The hosts a `lifeboat task done|waive` names: on the command line, and one a line in `--hosts-file` (blank lines and
 * `#` comments skipped), each once. A bad name is refused with where it came from, before anything is sent.
 */
export function hostsToClose(named: string[], hostsFile: string | undefined, example: string): string[] {
  const found: { host: string; from: string }[] = named.map((host, i) => ({ host, from: `host ${i + 1} on the command line` }));
  if (hostsFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(hostsFile, 'utf8');
    } catch (err) {
      throw usageError(`--hosts-file: cannot read ${hostsFile}: ${(err as Error).message}`, example);
    }
    text.split('\n').forEach((line, i) => {
      const host = line.replace(/#.*/, '').trim();
      if (host) found.push({ host, from: `${hostsFile} line ${i + 1}` });
    });
  }
  for (const { host, from } of found) {
    if (host.length > 128 || /[\s,]/.test(host))
      throw usageError(`${from}: "${host.slice(0, 40)}" is not a host name (at most 128 characters, no spaces or commas)`, example);
  }
  if (found.length === 0) throw usageError(hostsFile ? `--hosts-file: ${hostsFile} names no host` : 'name the run and the host', example);
  return [...new Set(found.map((f) => f.host))];
}

/** The hosts as comma-separated lists that each fit one signed decision. */
export function hostLists(hosts: string[], max = HOSTS_LIST_MAX): string[][] {
  const lists: string[][] = [];
  let current: string[] = [];
  let length = 0;
  for (const host of hosts) {
    const added = (current.length > 0 ? 1 : 0) + host.length;
    if (current.length > 0 && length + added > max) {
      lists.push(current);
      current = [];
      length = 0;
    }
    length += current.length > 0 ? 1 + host.length : host.length;
    current.push(host);
  }
  if (current.length > 0) lists.push(current);
  return lists;
}
