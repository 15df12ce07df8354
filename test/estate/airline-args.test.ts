import { expect, test } from 'vitest';
import { parseAirlineArgs } from '../../estate/airline/args';

const base = ['--service', 'checkin', '--region', 'B', '--port', '41010', '--state-dir', '/tmp/estate'];

test('a service with every --db-* flag and its dependencies', () => {
  const opts = parseAirlineArgs([
    ...base,
    '--db-host',
    '127.0.0.1',
    '--db-port',
    '41002',
    '--db-name',
    'checkin',
    '--depends-on',
    'booking=http://127.0.0.1:41004/',
    '--depends-on',
    'loyalty=http://127.0.0.1:41006',
  ]);
  expect(opts).toEqual({
    service: 'checkin',
    region: 'B',
    port: 41010,
    stateDir: '/tmp/estate',
    db: { host: '127.0.0.1', port: 41002, user: 'postgres', database: 'checkin' },
    dependsOn: { booking: 'http://127.0.0.1:41004', loyalty: 'http://127.0.0.1:41006' },
  });
});

test('no --db-* flags is a stateless service', () => {
  const opts = parseAirlineArgs(base);
  expect(opts.db).toBeUndefined();
  expect(opts.dependsOn).toEqual({});
});

test('some --db-* flags but not all is refused, naming the missing ones', () => {
  expect(() => parseAirlineArgs([...base, '--db-host', '127.0.0.1'])).toThrow('a service with a database needs --db-port, --db-name too');
});

test('a malformed or circular --depends-on is refused with the expected form', () => {
  expect(() => parseAirlineArgs([...base, '--depends-on', 'http://127.0.0.1:41004'])).toThrow('--depends-on takes NAME=URL');
  expect(() => parseAirlineArgs([...base, '--depends-on', 'checkin=http://127.0.0.1:41004'])).toThrow('checkin cannot depend on itself');
});

test('a missing flag or a region other than A and B is named', () => {
  expect(() => parseAirlineArgs(base.slice(2))).toThrow('needs --service');
  expect(() => parseAirlineArgs(base.map((a) => (a === 'B' ? 'C' : a)))).toThrow('--region must be A or B, not "C"');
});
