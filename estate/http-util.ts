import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';

/** An error that becomes an HTTP answer with a status and a message a person can act on. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code = 'error',
  ) {
    super(message);
  }
}

/** Reads a JSON body (bounded, so a runaway client cannot exhaust memory). */
export async function readJson(req: IncomingMessage, limit = 8 * 1024 * 1024): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HttpError(413, 'request body too large');
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'request body is not valid JSON');
  }
}

/** Parses input with a zod schema and turns a failure into a 400 naming the fields. */
export function parseInput<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const detail = result.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
    throw new HttpError(400, `invalid request: ${detail}`, 'invalid-request');
  }
  return result.data;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Answers a thrown error: HttpError as itself, anything else as a 500 with its message. */
export function sendError(res: ServerResponse, err: unknown, headers: Record<string, string> = {}): void {
  if (err instanceof HttpError) sendJson(res, err.status, { error: err.code, message: err.message }, headers);
  else sendJson(res, 500, { error: 'internal', message: (err as Error).message ?? String(err) }, headers);
}

/** Parses `--name value` pairs from argv, for the estate's server entry points. */
export function argValue(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}
