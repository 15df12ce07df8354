import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { startDetached, stopPid } from '../../estate/processes';
import { childEnv } from '../../lib/child-env';

const workerEnv = {
  PATH: '/usr/bin:/bin',
  HOME: '/home/lifeboat',
  LANG: 'C.UTF-8',
  LC_ALL: 'C.UTF-8',
  TZ: 'UTC',
  PGPASSFILE: '/home/lifeboat/.pgpass',
  PGSSLMODE: 'require',
  TEMPORAL_API_KEY: 'sekrit-api-key',
  TEMPORAL_ADDRESS: 'ns.tmprl.cloud:7233',
  LIFEBOAT_WEBHOOK_URL: 'https://hooks.example.com/services/sekrit',
  LIFEBOAT_WEBHOOK_URLS: 'https://hooks.example.com/services/sekrit2',
  LIFEBOAT_CODEC_KEY: 'sekrit-codec-key',
  AWS_SECRET_ACCESS_KEY: 'sekrit-aws',
};

test('a child gets PATH, HOME, the locale, TZ and libpq settings, and none of the worker secrets', () => {
  expect(childEnv({}, workerEnv)).toEqual({
    PATH: '/usr/bin:/bin',
    HOME: '/home/lifeboat',
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
    TZ: 'UTC',
    PGPASSFILE: '/home/lifeboat/.pgpass',
    PGSSLMODE: 'require',
  });
  expect(childEnv({ PGPORT: '5433', EXTRA: 'x', HOME: undefined }, workerEnv)).toEqual(
    expect.objectContaining({ PGPORT: '5433', EXTRA: 'x', HOME: '/home/lifeboat' }),
  );
});

test('an estate process started detached does not inherit TEMPORAL_API_KEY or the webhook URL', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-child-env-'));
  const saved = { TEMPORAL_API_KEY: process.env.TEMPORAL_API_KEY, LIFEBOAT_WEBHOOK_URL: process.env.LIFEBOAT_WEBHOOK_URL };
  process.env.TEMPORAL_API_KEY = 'sekrit-api-key';
  process.env.LIFEBOAT_WEBHOOK_URL = 'https://hooks.example.com/services/sekrit';
  try {
    const logFile = join(dir, 'env.log');
    const record = startDetached({ name: 'env', command: ['/usr/bin/env'], runDir: dir, logFile, env: { LIFEBOAT_PART: 'fleet' } });
    await expect.poll(() => readFileSync(logFile, 'utf8')).toMatch(/^PATH=/m);
    await stopPid(record.pid, 0);
    const env = readFileSync(logFile, 'utf8');
    expect(env).toMatch(/^LIFEBOAT_PART=fleet$/m);
    expect(env).not.toMatch(/TEMPORAL_API_KEY|LIFEBOAT_WEBHOOK_URL|sekrit/);
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    rmSync(dir, { recursive: true, force: true });
  }
});
