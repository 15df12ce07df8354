import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { startClusterServer, type ClusterServer } from '../support/cluster-server';
import { connectionSettings } from '../../lib/connection';
import { ensureSearchAttributes } from '../../lib/search-attributes';
import { lifeboat } from '../helpers/cli';
import { installQuietRuntime, testTaskQueue } from '../helpers/temporal';

const certs = mkdtempSync(join(tmpdir(), 'lifeboat-mtls-'));
const file = (name: string) => join(certs, name);
let server: ClusterServer | undefined;

/** A CA, a server certificate for localhost and 127.0.0.1, and a client certificate, made with openssl. */
function makeCertificates(): void {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: certs, stdio: 'pipe' });
  const key = (name: string) => openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file(name));
  key('ca.key');
  openssl(
    ...['req', '-x509', '-new', '-key', file('ca.key'), '-subj', '/CN=Lifeboat test CA', '-days', '2', '-out', file('ca.pem')],
    ...['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
  );
  const sign = (name: string, subject: string, extensions: string) => {
    key(`${name}.key`);
    openssl('req', '-new', '-key', file(`${name}.key`), '-subj', subject, '-out', file(`${name}.csr`));
    writeFileSync(file(`${name}.ext`), extensions);
    openssl(
      ...['x509', '-req', '-in', file(`${name}.csr`), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial'],
      ...['-days', '2', '-out', file(`${name}.pem`), '-extfile', file(`${name}.ext`)],
    );
  };
  // The server's certificate also authenticates the services to one another, so it is good for client auth too.
  sign(
    'server',
    '/CN=localhost',
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n',
  );
  sign('client', '/CN=lifeboat-worker', 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n');
}

beforeAll(async () => {
  makeCertificates();
  server = await startClusterServer({
    tls: {
      caCertFile: file('ca.pem'),
      serverCertFile: file('server.pem'),
      serverKeyFile: file('server.key'),
      clientCertFile: file('client.pem'),
      clientKeyFile: file('client.key'),
    },
  });
}, 240_000);

afterAll(async () => {
  await server?.stop();
  rmSync(certs, { recursive: true, force: true });
}, 60_000);

test('with only the TEMPORAL_TLS_* variables, a worker connects over mTLS and a run completes; without the client certificate the server refuses', async () => {
  const address = server!.address;
  // An IP address as TEMPORAL_ADDRESS makes Node warn on every connection (a TLS server name cannot be an IP), so
  // TEMPORAL_TLS_SERVER_NAME names the host the certificate was issued to.
  const serverOnly = {
    TEMPORAL_ADDRESS: address,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: file('ca.pem'),
    TEMPORAL_TLS_SERVER_NAME: 'localhost',
    LIFEBOAT_DEV_PORT: undefined,
  };
  const mtls = { ...serverOnly, TEMPORAL_TLS_CLIENT_CERT_PATH: file('client.pem'), TEMPORAL_TLS_CLIENT_KEY_PATH: file('client.key') };

  // The worker's connection, from the variables alone: the check it makes before polling passes, and it runs a run.
  const settings = connectionSettings(mtls);
  expect(settings.connectionOptions.tls).toMatchObject({ clientCertPair: expect.anything(), serverRootCACertificate: expect.anything() });
  installQuietRuntime();
  const native = await NativeConnection.connect(settings.connectionOptions);
  const connection = await Connection.connect(settings.connectionOptions);
  try {
    await ensureSearchAttributes(native, settings.namespace, address);
    const taskQueue = testTaskQueue();
    const worker = await Worker.create({
      connection: native,
      namespace: settings.namespace,
      taskQueue,
      workflowBundle: { codePath: inject('testBundlePath') },
      activities: { noop: async () => undefined },
    });
    const client = new Client({ connection, namespace: settings.namespace });
    const result = await worker.runUntil(client.workflow.execute('plainSteps', { taskQueue, workflowId: `mtls-${randomUUID()}`, args: [2] }));
    expect(result).toBe(2);
  } finally {
    await connection.close();
    await native.close();
  }

  // The real CLI: with the client certificate it lists runs; without it the server refuses the connection.
  const allowed = await lifeboat(['list'], mtls);
  expect(allowed).toMatchObject({ code: 0, stdout: 'no runs\n', stderr: '' });
  const refused = await lifeboat(['list'], serverOnly);
  expect(refused).toMatchObject({ code: 1, stdout: '' });
  expect(refused.stderr).toContain(`cannot reach Temporal at ${address}`);

  // The same settings as a profile in a config file, in the shape docs/production.md shows.
  const profile = file('temporal.toml');
  writeFileSync(
    profile,
    [
      '[profile.production]',
      `address = "${address}"`,
      'namespace = "default"',
      '[profile.production.tls]',
      `server_name = "localhost"`,
      `server_ca_cert_path = "${file('ca.pem')}"`,
      `client_cert_path = "${file('client.pem')}"`,
      `client_key_path = "${file('client.key')}"`,
      '',
    ].join('\n'),
  );
  const fromProfile = await lifeboat(['list'], { TEMPORAL_CONFIG_FILE: profile, TEMPORAL_PROFILE: 'production', LIFEBOAT_DEV_PORT: undefined });
  expect(fromProfile).toMatchObject({ code: 0, stdout: 'no runs\n', stderr: '' });
}, 120_000);
