import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { createActivities } from '../../activities';
import { CodecConfigError, CodecDecryptError, CodecKeyNotFoundError, codecFromEnv, dataConverterFromEnv, parseKeyFile } from '../../lib/codec';
import { freePort } from '../../lib/free-port';
import { requireTemporalCli } from '../../dev/temporal-binaries';
import { lifeboatInProcess } from '../helpers/cli';
import { createExerciseActivities } from '../helpers/exercise-activities';
import { signingInterceptor } from '../helpers/signing';
import { connectToTestServer, testTaskQueue, waitForStatus, type TemporalTestContext } from '../helpers/temporal';
import { SCHEDULED_BY_RUN_HEADER } from '../../kit/trust';

const dir = mkdtempSync(join(tmpdir(), 'lifeboat-codec-'));
const children: ChildProcess[] = [];
let ctx: TemporalTestContext | undefined;
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await ctx?.close();
  rmSync(dir, { recursive: true, force: true });
});

const newKey = () => randomBytes(32).toString('base64');
const keysFile = (keys: object[]): string => {
  const path = join(dir, `keys-${randomUUID().slice(0, 8)}.json`);
  writeFileSync(path, JSON.stringify({ keys }), { mode: 0o600 });
  return path;
};
const codecWith = (keys: object[]) => codecFromEnv({ LIFEBOAT_CODEC_KEYS: keysFile(keys) })!;
const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString();
const configError = (fn: () => unknown): CodecConfigError => {
  try {
    fn();
  } catch (err) {
    if (err instanceof CodecConfigError) return err;
    throw err;
  }
  throw new Error('expected a CodecConfigError');
};

const october = { id: '2026-10', key: newKey() };
const november = { id: '2026-11', key: newKey() };

test('a payload round-trips; only the encoding and key id stay readable, and the ciphertext is IV, data and tag', async () => {
  const codec = codecWith([october]);
  const plain = defaultPayloadConverter.toPayload({ incident: 'INC-4711 booking db corrupted' });
  const [encrypted] = await codec.encode([plain]);
  expect(text(encrypted!.metadata!.encoding)).toBe('binary/encrypted');
  expect(text(encrypted!.metadata!['encryption-key-id'])).toBe('2026-10');
  expect(Object.keys(encrypted!.metadata!).sort()).toEqual(['encoding', 'encryption-key-id']);
  expect(text(encrypted!.data)).not.toContain('INC-4711');
  expect(text(encrypted!.data)).not.toContain('json/plain');
  expect(encrypted!.data!.length).toBeGreaterThan(12 + 16);
  const [again] = await codec.encode([plain]);
  expect(Buffer.from(again!.data!).subarray(0, 12)).not.toEqual(Buffer.from(encrypted!.data!).subarray(0, 12));

  const [decoded] = await codec.decode([encrypted!]);
  expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual({ incident: 'INC-4711 booking db corrupted' });
  expect(text(decoded!.metadata!.encoding)).toBe('json/plain');
});

test('payloads that are not encrypted pass through decode unchanged, so turning the codec on keeps old runs readable', async () => {
  const codec = codecWith([october]);
  const old: Payload = defaultPayloadConverter.toPayload('written before encryption');
  const nothing: Payload = { metadata: {}, data: new Uint8Array() };
  const decoded = await codec.decode([old, nothing]);
  expect(decoded[0]).toBe(old);
  expect(decoded[1]).toBe(nothing);
  expect(await codec.encode([])).toEqual([]);
});

test('rotation: a new key encrypts new payloads, and payloads under the old key still decrypt by their id', async () => {
  const before = codecWith([october]);
  const [old] = await before.encode([defaultPayloadConverter.toPayload('old secret')]);

  const after = codecWith([october, november]);
  expect(after.currentKeyId).toBe('2026-11');
  const [fresh] = await after.encode([defaultPayloadConverter.toPayload('new secret')]);
  expect(text(fresh!.metadata!['encryption-key-id'])).toBe('2026-11');
  const [oldDecoded, freshDecoded] = await after.decode([old!, fresh!]);
  expect(defaultPayloadConverter.fromPayload(oldDecoded!)).toBe('old secret');
  expect(defaultPayloadConverter.fromPayload(freshDecoded!)).toBe('new secret');

  // A key added ahead of time is not used until it is marked current; the last key is the default only.
  const staged = codecWith([{ ...october, current: true }, november]);
  expect(staged.currentKeyId).toBe('2026-10');
  // The single-key variable works the same way.
  const single = codecFromEnv({ LIFEBOAT_CODEC_KEY: `2026-10:${october.key}` })!;
  expect(defaultPayloadConverter.fromPayload((await single.decode([old!]))[0]!)).toBe('old secret');
});

test('a tampered ciphertext, tag or IV, and a different key under the same id, all fail authentication', async () => {
  const codec = codecWith([october]);
  const [encrypted] = await codec.encode([defaultPayloadConverter.toPayload('do not alter')]);
  const length = encrypted!.data!.length;
  for (const index of [0, 12, length - 17, length - 1]) {
    const data = Buffer.from(encrypted!.data!);
    data[index]! ^= 0x01;
    await expect(codec.decode([{ ...encrypted!, data }])).rejects.toThrow(CodecDecryptError);
  }
  await expect(codec.decode([{ ...encrypted!, data: Buffer.from(encrypted!.data!).subarray(0, 20) }])).rejects.toThrow(/shorter than its IV and tag/);
  const impostor = codecWith([{ id: '2026-10', key: newKey() }]);
  await expect(impostor.decode([encrypted!])).rejects.toThrowErrorMatchingInlineSnapshot(
    `[CodecDecryptError: an encrypted payload failed authentication with key "2026-10": it was altered, or the key under that id is not the one that encrypted it]`,
  );
  await expect(codec.decode([{ metadata: { encoding: Buffer.from('binary/encrypted') }, data: encrypted!.data! }])).rejects.toThrow(
    'an encrypted payload has no encryption-key-id in its metadata',
  );
});

test('a payload under a key id this process does not hold is refused, naming the id', async () => {
  const [old] = await codecWith([october]).encode([defaultPayloadConverter.toPayload('x')]);
  const path = keysFile([november]);
  const codec = codecFromEnv({ LIFEBOAT_CODEC_KEYS: path })!;
  const err = await codec.decode([old!]).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(CodecKeyNotFoundError);
  expect((err as CodecKeyNotFoundError).keyId).toBe('2026-10');
  expect((err as Error).message.replace(path, 'KEYS')).toMatchInlineSnapshot(
    `"a payload is encrypted with key "2026-10", which the codec keys file KEYS (LIFEBOAT_CODEC_KEYS) does not hold (it holds: 2026-11); add key "2026-10" back to the keys file: keep old keys for as long as runs encrypted with them exist"`,
  );
});

test('bad key configuration names the field and the fix', () => {
  const short = configError(() => parseKeyFile(JSON.stringify({ keys: [october, { id: 'short', key: randomBytes(16).toString('base64') }] }), 'keys.json'));
  expect(short.message).toMatchInlineSnapshot(`
    "the codec keys file keys.json (LIFEBOAT_CODEC_KEYS) is invalid:
    ✖ key is 16 bytes, AES-256 needs exactly 32; make one with \`openssl rand -base64 32\`
      → at keys[1].key
      fix: the file is {"keys":[{"id":"2026-11","key":"<base64 of 32 bytes>"}]}; the last key, or the one marked "current": true, encrypts"
  `);
  const messages = [
    parseKeyFile.bind(null, '{"keys":[]}', 'k.json'),
    parseKeyFile.bind(null, '{"keys":[{"id":"a b","key":"!!"}]}', 'k.json'),
    parseKeyFile.bind(null, JSON.stringify({ keys: [october, { ...october, current: true }, { ...november, current: true }] }), 'k.json'),
    parseKeyFile.bind(null, '{"keys":', 'k.json'),
  ].map((fn) => configError(fn).problem);
  expect(messages[0]).toContain('list at least one key\n  → at keys');
  expect(messages[1]).toMatch(/a key id is 1 to 64 letters.*\n  → at keys\[0\]\.id\n✖ key is not base64.*\n  → at keys\[0\]\.key/s);
  expect(messages[2]).toMatch(/key id "2026-10" appears twice.*\n  → at keys\[1\]\.id\n✖ only one key may be "current": true \(keys 1 and 2 are\)/s);
  expect(messages[3]).toMatch(/^the codec keys file k\.json \(LIFEBOAT_CODEC_KEYS\) is not valid JSON/);

  expect(configError(() => codecFromEnv({ LIFEBOAT_CODEC_KEY: `2026-11:${randomBytes(31).toString('base64')}` })).message).toMatchInlineSnapshot(`
    "LIFEBOAT_CODEC_KEY: the key after the colon: key is 31 bytes, AES-256 needs exactly 32; make one with \`openssl rand -base64 32\`
      fix: set it like LIFEBOAT_CODEC_KEY=2026-11:$(openssl rand -base64 32)"
  `);
  expect(configError(() => codecFromEnv({ LIFEBOAT_CODEC_KEY: newKey() })).problem).toBe('LIFEBOAT_CODEC_KEY is not <id>:<base64 key>');
  expect(configError(() => codecFromEnv({ LIFEBOAT_CODEC_KEYS: '/nonexistent/keys.json' })).problem).toBe(
    'cannot read the codec keys file /nonexistent/keys.json (LIFEBOAT_CODEC_KEYS): ENOENT',
  );
  expect(configError(() => codecFromEnv({ LIFEBOAT_CODEC_KEYS: keysFile([october]), LIFEBOAT_CODEC_KEY: `x:${newKey()}` })).problem).toBe(
    'both LIFEBOAT_CODEC_KEYS and LIFEBOAT_CODEC_KEY are set',
  );
  expect(codecFromEnv({})).toBeUndefined();
  expect(dataConverterFromEnv({ LIFEBOAT_CODEC_KEYS: '' })).toBeUndefined();
});

test('the CLI refuses a bad codec key before it connects, with exit 2, the problem and the fix', async () => {
  const result = await lifeboatInProcess(['status', 'paging-check/sre-oncall'], { TEMPORAL_ADDRESS: '127.0.0.1:1', LIFEBOAT_CODEC_KEY: 'k1:c2hvcnQ=' });
  expect(result.code).toBe(2);
  expect(result.stderr).toMatchInlineSnapshot(`
    "error: LIFEBOAT_CODEC_KEY: the key after the colon: key is 5 bytes, AES-256 needs exactly 32; make one with \`openssl rand -base64 32\`
      fix: set it like LIFEBOAT_CODEC_KEY=2026-11:$(openssl rand -base64 32)
    "
  `);
  const server = await lifeboatInProcess(['codec-server', '--port', '0'], { LIFEBOAT_CODEC_KEY: undefined, LIFEBOAT_CODEC_KEYS: undefined });
  expect(server.code).toBe(2);
  expect(server.stderr).toContain('error: no payload codec is configured');
  const badFlag = await lifeboatInProcess(['codec-server', '--port', 'x', '--cors-origin', 'http://localhost:8233/ui'], {
    LIFEBOAT_CODEC_KEY: `k1:${newKey()}`,
  });
  expect(badFlag.code).toBe(2);
  expect(badFlag.stderr).toMatchInlineSnapshot(`
    "error: invalid codec-server options:
      --port: a port is a number from 0 to 65535
      --cors-origin: an origin is scheme://host[:port] with no path, such as http://localhost:8233
      fix: usage: lifeboat codec-server [--port 8888] [--host 127.0.0.1] [--cors-origin http://localhost:8233]... [--auth-token TOKEN]
    "
  `);
});

// End to end, on the dev server the suite started: a worker and a client with the codec, the stock `temporal` CLI
// with and without the codec server, and `lifeboat status`.

const token = randomBytes(24).toString('hex');
let codecEnv: Record<string, string>;
let codecUrl: string;
let codecServer: ReturnType<typeof startCodecServer>;

function startCodecServer(port: number, env: Record<string, string>) {
  const child = spawn(process.execPath, [resolve(__dirname, '../../bin/lifeboat.js'), 'codec-server', '--port', String(port)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  /** Resolves once the server has printed `line`; rejects if it exits first. */
  const printed = (line: string) =>
    new Promise<void>((resolveLine, reject) => {
      const check = () => output.includes(line) && resolveLine();
      child.stdout!.on('data', check);
      void exited.then((code) => reject(new Error(`lifeboat codec-server exited (${code}) before printing "${line}":\n${output}`)));
      check();
    });
  return { child, exited, printed, output: () => output };
}

beforeAll(async () => {
  ctx = await connectToTestServer();
  codecEnv = { LIFEBOAT_CODEC_KEYS: keysFile([october, november]), LIFEBOAT_CODEC_SERVER_TOKEN: token };
  const port = await freePort();
  codecUrl = `http://127.0.0.1:${port}`;
  codecServer = startCodecServer(port, codecEnv);
  await codecServer.printed(`codec server listening on ${codecUrl} (new payloads use key 2026-11)`);
});

async function codecWorker(taskQueue: string) {
  const kit = createActivities({ rosterPath: inject('testRosterPath'), notify: { log: () => undefined }, targetsPath: '/nonexistent/lifeboat.targets.json' });
  return Worker.create({
    connection: ctx!.nativeConnection,
    namespace: 'default',
    taskQueue,
    workflowBundle: { codePath: inject('testBundlePath') },
    activities: { ...kit, ...createExerciseActivities().activities },
    dataConverter: dataConverterFromEnv(codecEnv)!,
  });
}

/** A client with the codec; like the other tests' client, it signs starts and decisions with the test people's keys. */
function codecClient(): Client {
  const options = { connection: ctx!.connection, namespace: 'default', dataConverter: dataConverterFromEnv(codecEnv)! };
  const raw = new Client(options);
  return new Client({ ...options, interceptors: { workflow: [signingInterceptor(() => raw)] } });
}

/**
 * Every payload in the stock CLI's JSON output, its metadata and data base64-decoded. The JSON form keeps even
 * plain payloads in base64, so a secret must be looked for here, not only in the raw text.
 */
function payloadsIn(json: unknown): { metadata: Record<string, string>; data: string }[] {
  if (Array.isArray(json)) return json.flatMap(payloadsIn);
  if (typeof json !== 'object' || json === null) return [];
  const { metadata, data } = json as { metadata?: unknown; data?: unknown };
  if (typeof metadata === 'object' && metadata !== null && !Array.isArray(metadata) && 'encoding' in metadata) {
    return [
      {
        metadata: Object.fromEntries(Object.entries(metadata as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()])),
        data: typeof data === 'string' ? Buffer.from(data, 'base64').toString() : '',
      },
    ];
  }
  // The run ID an activity's scheduling run stamps on it (the worker's reset guard) is Temporal metadata, plain in
  // every event anyway; the test checks it below and every other payload here.
  return Object.entries(json)
    .filter(([key]) => key !== SCHEDULED_BY_RUN_HEADER)
    .flatMap(([, value]) => payloadsIn(value));
}

/** The scheduling run IDs stamped on the run's activities, as the stock CLI shows them. */
function schedulingRunIdsIn(json: unknown): string[] {
  if (Array.isArray(json)) return json.flatMap(schedulingRunIdsIn);
  if (typeof json !== 'object' || json === null) return [];
  return Object.entries(json).flatMap(([key, value]) =>
    key === SCHEDULED_BY_RUN_HEADER ? [JSON.parse(Buffer.from((value as { data: string }).data, 'base64').toString()) as string] : schedulingRunIdsIn(value),
  );
}

/** The stock `temporal workflow show --output json`, optionally through the codec server. */
async function stockShow(workflowId: string, codec: string[] = []): Promise<string> {
  const { stdout } = await promisify(execFile)(
    requireTemporalCli().path,
    ['workflow', 'show', '--workflow-id', workflowId, '--output', 'json', '--address', ctx!.address, '--namespace', 'default', ...codec],
    { maxBuffer: 32 * 1024 * 1024 },
  );
  return stdout;
}

test('the stock CLI sees only ciphertext; through lifeboat codec-server it sees the plain text', async () => {
  const taskQueue = testTaskQueue();
  const secret = `INC-${randomUUID()} primary in region A lost its disk`;
  const workflowId = `codec-plain-${randomUUID()}`;
  const worker = await codecWorker(taskQueue);
  await worker.runUntil(async () => {
    // A workflow outside the kit, so this holds however runs and decisions are started; the extra argument is
    // stored in the start event like any input.
    const handle = await codecClient().workflow.start('plainSteps', { taskQueue, workflowId, args: [1, { note: secret }] });
    expect(await handle.result()).toBe(1);
  });

  const raw = await stockShow(workflowId);
  expect(raw).not.toContain(secret);
  expect(raw).not.toContain('INC-');
  const stored = payloadsIn(JSON.parse(raw));
  expect(stored.length).toBeGreaterThanOrEqual(4); // the start's two arguments, the activity's result, the workflow's result
  for (const payload of stored) {
    expect(payload.metadata).toEqual({ encoding: 'binary/encrypted', 'encryption-key-id': '2026-11' });
    expect(payload.data).not.toContain('INC-');
  }
  const runIds = schedulingRunIdsIn(JSON.parse(raw));
  expect(runIds.length).toBeGreaterThan(0);
  for (const runId of runIds) expect(runId).toMatch(/^[0-9a-f-]{36}$/);

  const decoded = await stockShow(workflowId, ['--codec-endpoint', codecUrl, '--codec-auth', `Bearer ${token}`]);
  const plain = payloadsIn(JSON.parse(decoded));
  expect(plain.map((p) => p.metadata.encoding)).toEqual(stored.map(() => expect.stringMatching(/^(json\/plain|binary\/null)$/)));
  expect(plain.map((p) => p.data)).toContain(JSON.stringify({ note: secret }));
});

test('lifeboat codec-server speaks the remote codec protocol to a browser: CORS, preflight, token, errors', async () => {
  const ui = 'http://localhost:8233';
  const preflight = await fetch(`${codecUrl}/decode`, {
    method: 'OPTIONS',
    headers: { Origin: ui, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type,x-namespace,authorization' },
  });
  expect(preflight.status).toBe(204);
  expect(preflight.headers.get('access-control-allow-origin')).toBe(ui);
  expect(preflight.headers.get('access-control-allow-headers')).toBe('Content-Type, X-Namespace, Authorization');
  expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
  expect((await fetch(`${codecUrl}/decode`, { method: 'OPTIONS', headers: { Origin: 'http://evil.example' } })).status).toBe(403);

  const plain = defaultPayloadConverter.toPayload({ secret: 'gate code 0000' });
  const asJson = (p: Payload) => ({
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
  });
  const post = (path: string, body: unknown, headers: Record<string, string> = { Authorization: `Bearer ${token}` }) =>
    fetch(`${codecUrl}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Namespace': 'default', Origin: ui, ...headers },
      body: JSON.stringify(body),
    });

  const encoded = await post('/encode', { payloads: [asJson(plain)] });
  expect(encoded.status).toBe(200);
  expect(encoded.headers.get('access-control-allow-origin')).toBe(ui);
  const encodedBody = (await encoded.json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
  expect(Buffer.from(encodedBody.payloads[0]!.metadata.encoding!, 'base64').toString()).toBe('binary/encrypted');
  const decoded = (await (await post('/decode', encodedBody)).json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
  expect(decoded.payloads).toEqual([asJson(plain)]);

  expect((await post('/decode', encodedBody, {})).status).toBe(401);
  expect((await post('/decode', encodedBody, { Authorization: 'Bearer wrong-token-wrong-token' })).status).toBe(401);
  const notJson = await fetch(`${codecUrl}/decode`, { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: '{"payloads": [' });
  expect(notJson.status).toBe(400);
  expect((await post('/decode', { payload: [] })).status).toBe(400);
  const foreignKey = await codecWith([{ id: '2025-01', key: newKey() }]).encode([plain]);
  const unknown = await post('/decode', { payloads: foreignKey.map(asJson) });
  expect(unknown.status).toBe(422);
  expect(((await unknown.json()) as { error: string }).error).toContain('key "2025-01"');
  expect((await fetch(`${codecUrl}/decode`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(405);
  expect((await fetch(`${codecUrl}/other`, { method: 'POST' })).status).toBe(404);
});

/** Starts a kit exercise (signed by the client's interceptor) and waits for its gate; a refused start fails at once. */
async function startKitExercise(client: Client, taskQueue: string, target: string) {
  const handle = await client.workflow.start('kitExercise', {
    taskQueue,
    workflowId: `kit-exercise/${target}`,
    args: [{ input: { target }, requestedBy: 'alice' }],
  });
  const refused = handle.result().then(
    () => Promise.reject(new Error('the kit exercise finished before its gate')),
    (err: { cause?: Error; message: string }) => Promise.reject(new Error(`the kit exercise did not start: ${err.cause?.message ?? err.message}`)),
  );
  await Promise.race([waitForStatus(client.workflow.getHandle(handle.workflowId), (s) => s.state === 'waiting-approval'), refused]);
  return handle;
}

test('lifeboat status reads an encrypted run with the codec keys, and without them cannot', async () => {
  const taskQueue = testTaskQueue();
  const target = `codec-${randomUUID().slice(0, 8)}`;
  const worker = await codecWorker(taskQueue);
  await worker.runUntil(async () => {
    const handle = await startKitExercise(codecClient(), taskQueue, target);
    try {
      const env = { ...codecEnv, TEMPORAL_ADDRESS: ctx!.address, LIFEBOAT_TASK_QUEUE: taskQueue };
      const status = await lifeboatInProcess(['status', handle.workflowId], env);
      expect(status.stderr).toBe('');
      expect(status.code).toBe(0);
      expect(status.stdout).toContain('state: waiting-approval');
      expect(status.stdout).toContain(`kit-exercise on ${target}`);

      // The status the worker answers with is encrypted too: without the keys the CLI cannot read it.
      const withoutKeys = await lifeboatInProcess(['status', handle.workflowId], { TEMPORAL_ADDRESS: ctx!.address, LIFEBOAT_TASK_QUEUE: taskQueue });
      expect(withoutKeys.code).toBe(1);
      expect(withoutKeys.stderr).toContain('binary/encrypted');
    } finally {
      await handle.terminate('codec test done').catch(() => undefined);
    }
  });
});

test('the codec server stops cleanly on SIGTERM', async () => {
  codecServer.child.kill('SIGTERM');
  expect(await codecServer.exited).toBe(0);
  expect(codecServer.output()).toContain('codec server stopped.');
});
