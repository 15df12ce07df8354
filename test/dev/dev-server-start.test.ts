import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { startDevServer } from '../../dev/dev-server';
import { freePort } from '../../lib/free-port';
import { requireTemporalCli } from '../../dev/temporal-binaries';

const dir = mkdtempSync(join(tmpdir(), 'lifeboat-dev-start-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A `temporal` that loses the race for one of its own randomly picked ports on its first start, as the real one
 * does when another program binds that port between its pick and its bind, then starts for real.
 */
function racingTemporal(failures: number, message: string): { binary: string; starts: () => number } {
  const counter = join(dir, `starts-${failures}-${message.length}`);
  writeFileSync(counter, '');
  const binary = join(dir, `temporal-${failures}-${message.length}.sh`);
  writeFileSync(
    binary,
    `#!/bin/sh
echo x >> '${counter}'
if [ "$(wc -l < '${counter}')" -le ${failures} ]; then echo '${message}'; exit 1; fi
exec '${requireTemporalCli().path}' "$@"
`,
  );
  chmodSync(binary, 0o755);
  return { binary, starts: () => readFileSync(counter, 'utf8').split('\n').filter(Boolean).length };
}

test('a start that loses a port race to another program is tried again, and the server comes up', async () => {
  const { binary, starts } = racingTemporal(1, 'Error: unable to start frontend: listen tcp 127.0.0.1:41234: bind: address already in use');
  const server = await startDevServer({ binary, port: await freePort(), logFile: join(dir, 'race.log') });
  try {
    expect(starts()).toBe(2);
  } finally {
    await server.stop();
  }
}, 90_000);

test('a start that fails for another reason is not tried again, and the error gives the reason and the log', async () => {
  const { binary, starts } = racingTemporal(5, 'Error: sqlite: database disk image is malformed');
  const logFile = join(dir, 'broken.log');
  await expect(startDevServer({ binary, port: await freePort(), logFile })).rejects.toThrow(
    `the Temporal dev server exited with code 1 before it was ready: Error: sqlite: database disk image is malformed; see ${logFile}`,
  );
  expect(starts()).toBe(1);
});

test('a port race that keeps being lost is reported after three starts', async () => {
  const { binary, starts } = racingTemporal(5, 'Error: listen tcp 127.0.0.1:41234: bind: address already in use');
  await expect(startDevServer({ binary, port: await freePort(), logFile: join(dir, 'lost.log') })).rejects.toThrow(/address already in use; see /);
  expect(starts()).toBe(3);
});
