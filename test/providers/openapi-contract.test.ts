import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startTestEstate, type TestEstate } from '../../estate/testing';
import { createHttpBookingService } from '../../providers/http/booking-service';
import { createHttpFleet } from '../../providers/http/fleet';

/** The part of JSON Schema the contracts use: enough to check a response's shape, not a full validator. */
interface Schema {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  required?: string[];
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
}

interface Parameter {
  name: string;
  in: 'path' | 'query';
  required?: boolean;
  example?: unknown;
}

interface Operation {
  operationId: string;
  tags: string[];
  parameters?: Parameter[];
  requestBody?: { content: { 'application/json': { example?: unknown } } };
  responses: Record<string, { content?: { 'application/json'?: { schema: Schema } } }>;
}

interface OpenApi {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

const load = (name: string) => JSON.parse(readFileSync(join(__dirname, '..', '..', 'docs', 'api', name), 'utf8')) as OpenApi;
const serviceModeDoc = load('service-mode.openapi.json');
const fleetDoc = load('fleet.openapi.json');

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

/** Every operation of a document, in document order: the examples are written to succeed in that order. */
function operationsOf(doc: OpenApi): { method: string; path: string; op: Operation }[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, op]) => ({ method: method.toUpperCase(), path, op })),
  );
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** Where `value` departs from `schema`: missing required properties, wrong types, values outside an enum. */
function mismatches(doc: OpenApi, schema: Schema, value: unknown, at: string): string[] {
  if (schema.$ref) {
    const target = doc.components.schemas[schema.$ref.replace('#/components/schemas/', '')];
    if (!target) return [`${at}: ${schema.$ref} is not defined`];
    return mismatches(doc, target, value, at);
  }
  const actual = typeOf(value);
  if (schema.type) {
    const allowed = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!allowed.includes(actual) && !(actual === 'integer' && allowed.includes('number'))) return [`${at}: ${allowed.join(' or ')} expected, got ${actual}`];
  }
  if (schema.enum && !schema.enum.includes(value)) return [`${at}: ${JSON.stringify(value)} is not one of ${schema.enum.join(', ')}`];
  const found: string[] = [];
  if (actual === 'object') {
    const object = value as Record<string, unknown>;
    for (const name of schema.required ?? []) if (!(name in object)) found.push(`${at}.${name}: required, missing`);
    for (const [name, v] of Object.entries(object)) {
      const property = schema.properties?.[name] ?? (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
      if (property) found.push(...mismatches(doc, property, v, `${at}.${name}`));
    }
  }
  if (actual === 'array' && schema.items) (value as unknown[]).forEach((item, i) => found.push(...mismatches(doc, schema.items!, item, `${at}[${i}]`)));
  return found;
}

/**
 * Sends each operation's documented example to the server, in document order, and says what went wrong: a route the
 * server does not have (404/405), an answer that is not one of the documented successes, or a body that does not
 * match the documented schema.
 */
async function exercise(doc: OpenApi, baseUrl: string): Promise<string[]> {
  const problems: string[] = [];
  for (const { method, path, op } of operationsOf(doc)) {
    const label = `${op.operationId} (${method} ${path})`;
    let url = path;
    const query = new URLSearchParams();
    for (const p of op.parameters ?? []) {
      if (p.in === 'path') url = url.replace(`{${p.name}}`, encodeURIComponent(String(p.example)));
      else if (p.example !== undefined) query.set(p.name, String(p.example));
    }
    const example = op.requestBody?.content['application/json'].example;
    const response = await fetch(`${baseUrl}${url}${query.size ? `?${query}` : ''}`, {
      method,
      ...(example === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(example) }),
    });
    const text = await response.text();
    if (response.status === 404 || response.status === 405) {
      problems.push(`${label}: HTTP ${response.status}, the server does not answer it: ${text.slice(0, 200)}`);
      continue;
    }
    const documented = op.responses[String(response.status)];
    if (!response.ok || !documented) {
      problems.push(`${label}: HTTP ${response.status} is not a documented success: ${text.slice(0, 200)}`);
      continue;
    }
    if (!response.headers.get('content-type')?.startsWith('application/json')) problems.push(`${label}: content-type ${response.headers.get('content-type')}`);
    const schema = documented.content?.['application/json']?.schema;
    if (schema) problems.push(...mismatches(doc, schema, JSON.parse(text), label));
  }
  return problems;
}

let estate: TestEstate;

beforeAll(async () => {
  estate = await startTestEstate({ loadBalancer: false });
});

afterAll(async () => {
  await estate?.stop();
});

test('both contracts are OpenAPI 3.1, every operation is tagged and has what it needs to be called', () => {
  for (const doc of [serviceModeDoc, fleetDoc]) {
    expect(doc.openapi).toBe('3.1.0');
    const ids = operationsOf(doc).map((o) => o.op.operationId);
    expect(new Set(ids).size, 'operationIds are unique').toBe(ids.length);
    for (const { path, op } of operationsOf(doc)) {
      expect(op.tags.length, `${op.operationId} has a tag`).toBeGreaterThan(0);
      for (const name of path.match(/\{(\w+)\}/g) ?? []) {
        expect(op.parameters?.find((p) => `{${p.name}}` === name && p.in === 'path')?.example, `${op.operationId}: ${name} has an example`).toBeDefined();
      }
      if (op.requestBody) expect(op.requestBody.content['application/json'].example, `${op.operationId}: its body has an example`).toBeDefined();
    }
  }
});

test("the service-mode tag holds exactly what the http provider calls, and the booking tag every one of the booking service's calls", () => {
  const ids = (tag: string) =>
    operationsOf(serviceModeDoc)
      .filter((o) => o.op.tags.includes(tag))
      .map((o) => o.op.operationId);
  expect(ids('service-mode')).toEqual(['getHealth', 'getMode', 'setMode']);
  const provider = createHttpBookingService({ provider: 'http', regions: { A: { url: 'http://127.0.0.1:1' } }, timeoutMs: 1_000 });
  const called = Object.keys(provider).map((name) => (name === 'health' ? 'getHealth' : name));
  expect(called.filter((id) => !operationsOf(serviceModeDoc).some((o) => o.op.operationId === id))).toEqual([]);
});

test("the fleet tag documents every operation of the fleet API under its name (the command provider's operation names)", () => {
  const documented = operationsOf(fleetDoc)
    .filter((o) => o.op.tags.includes('fleet'))
    .map((o) => o.op.operationId)
    .sort();
  expect(documented).toEqual(Object.keys(createHttpFleet({ url: 'http://127.0.0.1:1' })).sort());
});

test('the sample booking service answers every operation of the service-mode document as documented', async () => {
  expect(await exercise(serviceModeDoc, estate.catalog.services.booking.regions.A.url)).toEqual([]);
});

test('the sample fleet answers every operation of the fleet document as documented', async () => {
  expect(await exercise(fleetDoc, estate.catalog.fleet.url)).toEqual([]);
});

test('the check refuses a server without an operation, and a body without a required property', async () => {
  const renamed: OpenApi = { ...fleetDoc, paths: { '/summaries': fleetDoc.paths['/summary']! } };
  expect(await exercise(renamed, estate.catalog.fleet.url)).toEqual([
    expect.stringMatching(/^fleetSummary \(GET \/summaries\): HTTP 404, the server does not answer it/),
  ]);
  const stricter: OpenApi = {
    ...fleetDoc,
    paths: { '/health': fleetDoc.paths['/health']! },
    components: { schemas: { ...fleetDoc.components.schemas, ConsoleHealth: { type: 'object', required: ['ok', 'hosts', 'version'] } } },
  };
  expect(await exercise(stricter, estate.catalog.fleet.url)).toEqual(['getHealth (GET /health).version: required, missing']);
});
