import { join } from 'node:path';
import { expect, test } from 'vitest';
import { demoArchiving } from '../../dev/demo-evidence';

const env = { LIFEBOAT_STATE_DIR: '/srv/demo-state' };

test('with the demo roster and nothing set, the demo archives into its state folder, sealed by archiver with its demo key', () => {
  const archiving = demoArchiving({ off: false, demoRoster: true, trustRootPath: '/srv/demo-state/trust-root.demo.json', env });
  expect(archiving.workerEnv).toEqual({
    LIFEBOAT_EVIDENCE_STORE: '/srv/demo-state/evidence',
    LIFEBOAT_ARCHIVE_KEY: join('/srv/demo-state', 'demo-keys', 'archiver'),
    LIFEBOAT_ARCHIVE_SIGNER: 'archiver',
  });
  expect(archiving.store).toBe('/srv/demo-state/evidence');
  expect(archiving.line).toContain('npx lifeboat evidence verify --all --trust-root /srv/demo-state/trust-root.demo.json');
});

test('a store named in the environment is used, and a signer named there is taken whole, never paired with a demo key', () => {
  const s3 = demoArchiving({ off: false, demoRoster: true, trustRootPath: undefined, env: { ...env, LIFEBOAT_EVIDENCE_STORE: 's3://audit/demo' } });
  expect(s3.workerEnv).toMatchObject({ LIFEBOAT_EVIDENCE_STORE: 's3://audit/demo', LIFEBOAT_ARCHIVE_SIGNER: 'archiver' });
  expect(s3.line).toContain('npx lifeboat evidence verify --all');
  expect(s3.line).not.toContain('--trust-root');
  // An id without its key: the worker is left to refuse it, as a production worker does.
  const halfSigner = demoArchiving({ off: false, demoRoster: true, trustRootPath: undefined, env: { ...env, LIFEBOAT_ARCHIVE_SIGNER: 'sealer' } });
  expect(halfSigner.workerEnv).toMatchObject({ LIFEBOAT_ARCHIVE_SIGNER: 'sealer', LIFEBOAT_ARCHIVE_KEY: '' });
});

test('a roster of your own has no demo signer: only the environment turns archiving on, and the line says what to set', () => {
  const own = demoArchiving({ off: false, demoRoster: false, trustRootPath: undefined, env });
  expect(own.workerEnv).toEqual({});
  expect(own.store).toBeUndefined();
  expect(own.line).toContain('not archived: with a roster of your own, set LIFEBOAT_EVIDENCE_STORE, LIFEBOAT_ARCHIVE_KEY and LIFEBOAT_ARCHIVE_SIGNER');
  const named = { ...env, LIFEBOAT_EVIDENCE_STORE: '/archive', LIFEBOAT_ARCHIVE_KEY: '/keys/seal', LIFEBOAT_ARCHIVE_SIGNER: 'sealer' };
  expect(demoArchiving({ off: false, demoRoster: false, trustRootPath: undefined, env: named }).workerEnv).toEqual({
    LIFEBOAT_EVIDENCE_STORE: '/archive',
    LIFEBOAT_ARCHIVE_KEY: '/keys/seal',
    LIFEBOAT_ARCHIVE_SIGNER: 'sealer',
  });
});

test('--no-evidence takes the store away from the worker, even one the environment names', () => {
  const off = demoArchiving({ off: true, demoRoster: true, trustRootPath: undefined, env: { ...env, LIFEBOAT_EVIDENCE_STORE: '/archive' } });
  expect(off.workerEnv).toEqual({ LIFEBOAT_EVIDENCE_STORE: undefined });
  expect(off.store).toBeUndefined();
  expect(off.line).toBe('  evidence:     not archived (--no-evidence)');
});
