import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCatalog, parseCatalog, type EstateCatalog } from '../../estate/catalog';
import { OfflineLedger } from '../../estate/booking/ledger';

const dir = mkdtempSync(join(tmpdir(), 'lifeboat-catalog-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pg = (port: number, role: 'primary' | 'standby') => ({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres', dataDir: `/x/${port}`, role });
const valid: EstateCatalog = {
  version: 1,
  stateDir: dir,
  services: {
    booking: {
      regions: { A: { url: 'http://127.0.0.1:1001', postgres: pg(2001, 'primary') }, B: { url: 'http://127.0.0.1:1002', postgres: pg(2002, 'standby') } },
    },
  },
  loadBalancer: null,
  frontends: {},
  fleet: { url: 'http://127.0.0.1:1003', hosts: 36 },
};

describe('estate catalog', () => {
  it('loads a valid catalog', () => {
    const file = join(dir, 'catalog.json');
    writeFileSync(file, JSON.stringify(valid));
    expect(loadCatalog(file)).toEqual(valid);
  });

  it('names the bad field', () => {
    const bad = structuredClone(valid) as unknown as { services: { booking: { regions: { B: { postgres: { port: unknown } } } } } };
    bad.services.booking.regions.B.postgres.port = 'x';
    expect(() => parseCatalog(bad)).toThrow(/services\.booking\.regions\.B\.postgres\.port/);
  });

  it('says how to create a missing catalog', () => {
    expect(() => loadCatalog(join(dir, 'missing.json'))).toThrow(/npm run estate -- up/);
  });
});

describe('offline ledger file', () => {
  it('keeps a torn last line visible and starts the next entry on a fresh line', () => {
    const ledger = new OfflineLedger(dir, 'A');
    const entry = {
      idempotencyKey: 'k1',
      station: 'S1',
      flight: 'LB1',
      seat: '1A',
      passenger: 'P',
      recordedAt: new Date().toISOString(),
      region: 'A' as const,
    };
    ledger.append(entry);
    writeFileSync(join(dir, 'A', 'S1.jsonl'), `${JSON.stringify(entry)}\n{"idempotencyKey":"k2"`);
    expect(ledger.read('S1').malformed).toMatchObject([{ lineNumber: 2, error: expect.stringMatching(/truncated/) }]);
    ledger.append({ ...entry, idempotencyKey: 'k3' });
    const read = ledger.read();
    expect(read.entries.map((e) => e.idempotencyKey)).toEqual(['k1', 'k3']);
    expect(read.malformed).toHaveLength(1);
  });
});
