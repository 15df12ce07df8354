import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { hostLists, hostsToClose } from '../../cli/task-hosts';
import { TaskDecision } from '../../workflows/vendor-isolation/messages';

const dir = mkdtempSync(join(tmpdir(), 'lifeboat-task-hosts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('hosts come from the command line and the file, each once, without blank lines and comments', () => {
  const file = join(dir, 'repaired.txt');
  writeFileSync(file, '# terminal 2, repaired by the night shift\na-kiosk-05\n\n  a-kiosk-06  # swapped the disk\na-gate-01\n');
  expect(hostsToClose(['a-gate-01', 'b-kiosk-02'], file, 'example')).toEqual(['a-gate-01', 'b-kiosk-02', 'a-kiosk-05', 'a-kiosk-06']);
});

test('a name that is no host name is refused with where it came from, and so is a file that names none or cannot be read', () => {
  const file = join(dir, 'bad.txt');
  writeFileSync(file, 'a-kiosk-05\na-kiosk-06, a-kiosk-07\n');
  expect(() => hostsToClose([], file, 'example')).toThrow(
    `${file} line 2: "a-kiosk-06, a-kiosk-07" is not a host name (at most 128 characters, no spaces or commas)`,
  );
  expect(() => hostsToClose(['a kiosk'], undefined, 'example')).toThrow('host 1 on the command line: "a kiosk" is not a host name');
  const empty = join(dir, 'empty.txt');
  writeFileSync(empty, '# nothing repaired yet\n');
  expect(() => hostsToClose([], empty, 'example')).toThrow(`--hosts-file: ${empty} names no host`);
  expect(() => hostsToClose([], join(dir, 'missing.txt'), 'example')).toThrow(/--hosts-file: cannot read .*missing\.txt/);
});

test('a long list is split into lists that each fit one signed decision, in order, and each such list is a valid decision', () => {
  const hosts = Array.from({ length: 1000 }, (_, i) => `kiosk-${String(i).padStart(5, '0')}.terminal-2.example-airline`);
  const lists = hostLists(hosts);
  expect(lists.flat()).toEqual(hosts);
  expect(lists.length).toBeGreaterThan(1);
  for (const list of lists) {
    expect(list.join(',').length).toBeLessThanOrEqual(2000);
    expect(TaskDecision.safeParse({ action: 'done', hosts: list.join(','), by: 'erin' }).success).toBe(true);
  }
  // Each list but the last is full: one more host would not have fitted.
  for (let i = 0; i < lists.length - 1; i++) expect([...lists[i]!, lists[i + 1]![0]].join(',').length).toBeGreaterThan(2000);
});

test('a task decision names a host or a list of hosts, never both or neither, and a list over the limit is refused', () => {
  expect(TaskDecision.safeParse({ action: 'done', by: 'erin' }).error?.issues[0]?.message).toBe('name the host, or a comma-separated list of hosts, not both');
  expect(TaskDecision.safeParse({ action: 'done', host: 'a', hosts: 'b,c', by: 'erin' }).success).toBe(false);
  expect(TaskDecision.safeParse({ action: 'done', hosts: 'a,,b', by: 'erin' }).error?.issues[0]?.path).toEqual(['hosts']);
  expect(TaskDecision.safeParse({ action: 'done', hosts: 'k,'.repeat(1001), by: 'erin' }).error?.issues[0]?.message).toContain(
    'hosts is at most 2000 characters',
  );
});
