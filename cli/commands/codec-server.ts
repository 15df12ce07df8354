import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { z } from 'zod';
import { HttpError, readBody, sameToken } from '../../lib/http-request';
import { commonOptions, type Command } from '../command';
import { CliError, ExitCode, usageError } from '../errors';

const usage = 'lifeboat codec-server [--port 8888] [--host 127.0.0.1] [--cors-origin http://localhost:8233]... [--auth-token TOKEN]';

/** Temporal's payloads can be up to 2 MB each and the UI sends a batch at a time; this bounds one request. */
const maxBodyBytes = 16 * 1024 * 1024;

const CorsOrigin = z.string().refine(
  (value) => {
    try {
      return new URL(value).origin === value.replace(/\/$/, '');
    } catch {
      return false;
    }
  },
  { message: 'an origin is scheme://host[:port] with no path, such as http://localhost:8233' },
);

/** The command's flags, parsed once at the edge. */
export const CodecServerOptions = z.object({
  port: z.coerce
    .number({ error: 'a port is a number from 0 to 65535' })
    .int('a port is a whole number')
    .min(0, 'a port is a number from 0 to 65535')
    .max(65535, 'a port is a number from 0 to 65535')
    .default(8888)
    .describe('Port to listen on; 0 lets the OS choose'),
  host: z.string().min(1).default('127.0.0.1').describe('Address to bind; loopback keeps the decryption endpoint off the network'),
  corsOrigins: z.array(CorsOrigin).default(['http://localhost:8233']).describe('Web UI origins allowed to call the server from a browser'),
  authToken: z
    .string()
    .min(16, 'a token is at least 16 characters; make one with `openssl rand -hex 32`')
    .optional()
    .describe('When set, every /encode and /decode needs Authorization: Bearer <token>'),
});
export type CodecServerOptions = z.infer<typeof CodecServerOptions>;

/** The JSON form of a Payload in Temporal's remote codec protocol: bytes as base64. */
const JsonPayload = z.object({
  metadata: z.record(z.string(), z.string()).nullish(),
  data: z.string().nullish(),
});
const PayloadsBody = z.object({ payloads: z.array(JsonPayload) });
type JsonPayload = z.infer<typeof JsonPayload>;

function fromJson(payload: JsonPayload): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    data: Buffer.from(payload.data ?? '', 'base64'),
  };
}

function toJson(payload: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64'),
  };
}

/**
 * An HTTP server speaking Temporal's remote codec protocol: POST /encode and /decode take and return
 * `{"payloads":[{"metadata":{k: base64}, "data": base64}]}`. Browsers may call it only from the allowed origins,
 * which also turns away DNS-rebinding pages; with a token, every call must carry it.
 */
export function createCodecServer(
  codec: PayloadCodec,
  options: { corsOrigins: readonly string[]; authToken?: string | undefined },
  log: (line: string) => void,
): Server {
  const send = (res: ServerResponse, status: number, body?: unknown) => {
    res.writeHead(status, body === undefined ? {} : { 'Content-Type': 'application/json' });
    res.end(body === undefined ? undefined : JSON.stringify(body));
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const origin = req.headers.origin;
    if (origin !== undefined) {
      if (!options.corsOrigins.includes(origin)) {
        throw new HttpError(403, `origin ${origin} is not allowed; start the codec server with --cors-origin ${origin}`);
      }
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Vary', 'Origin');
    }
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      // The protocol's headers, plus whatever else the allowed page asks to send (newer UIs may add some).
      const requested = String(req.headers['access-control-request-headers'] ?? '')
        .split(',')
        .map((h) => h.trim())
        .filter(Boolean);
      const allowed = ['Content-Type', 'X-Namespace', 'Authorization'];
      for (const header of requested) if (!allowed.some((h) => h.toLowerCase() === header.toLowerCase())) allowed.push(header);
      res.setHeader('Access-Control-Allow-Headers', allowed.join(', '));
      res.setHeader('Access-Control-Max-Age', '600');
      return send(res, 204);
    }
    const path = new URL(req.url ?? '/', 'http://codec').pathname.replace(/\/$/, '');
    const action = path.endsWith('/encode') ? 'encode' : path.endsWith('/decode') ? 'decode' : undefined;
    if (!action) throw new HttpError(404, 'not found; the endpoints are POST /encode and POST /decode');
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST, OPTIONS');
      throw new HttpError(405, `use POST for /${action}`);
    }
    if (options.authToken !== undefined) {
      const match = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
      if (!match || !sameToken(match[1]!.trim(), options.authToken)) {
        res.setHeader('WWW-Authenticate', 'Bearer');
        throw new HttpError(401, 'missing or wrong token; send Authorization: Bearer <token> (stock CLI: --codec-auth "Bearer <token>")');
      }
    }
    let json: unknown;
    try {
      json = JSON.parse(await readBody(req, maxBodyBytes));
    } catch (err) {
      if (err instanceof HttpError) throw err;
      throw new HttpError(400, `the body is not JSON: ${(err as Error).message}`);
    }
    const body = PayloadsBody.safeParse(json);
    if (!body.success) throw new HttpError(400, `the body is not {"payloads":[{"metadata":{...},"data":"<base64>"}]}:\n${z.prettifyError(body.error)}`);
    const payloads = body.data.payloads.map(fromJson);
    let result: Payload[];
    try {
      result = action === 'encode' ? await codec.encode(payloads) : await codec.decode(payloads);
    } catch (err) {
      throw new HttpError(422, (err as Error).message);
    }
    send(res, 200, { payloads: result.map(toJson) });
  };
  return createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 500;
      const message = err instanceof Error ? err.message : String(err);
      if (status >= 422) log(`${req.method ?? '?'} ${req.url ?? ''} (namespace ${String(req.headers['x-namespace'] ?? '-')}): ${status} ${message}`);
      if (status === 413) res.setHeader('Connection', 'close');
      if (!res.headersSent) send(res, status, { error: message });
      else res.end();
    });
  });
}

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolveListen(server.address() as AddressInfo);
    });
  });
}

function urlFor(address: AddressInfo): string {
  const host = address.address === '0.0.0.0' || address.address === '::' ? '127.0.0.1' : address.address;
  return `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
}

const isLoopback = (host: string) => host === 'localhost' || host === '::1' || host.startsWith('127.');

export const codecServerCommand: Command = {
  name: 'codec-server',
  summary: "Decrypt payloads for the Temporal Web UI and the stock temporal CLI (Temporal's remote codec protocol)",
  usage,
  options: {
    ...commonOptions,
    port: { type: 'string' },
    host: { type: 'string' },
    'cors-origin': { type: 'string', multiple: true },
    'auth-token': { type: 'string' },
  },
  async run(ctx, { values }) {
    const parsed = CodecServerOptions.safeParse({
      port: values.port,
      host: values.host,
      corsOrigins: values['cors-origin'],
      authToken: (values['auth-token'] as string | undefined) ?? (ctx.env.LIFEBOAT_CODEC_SERVER_TOKEN || undefined),
    });
    if (!parsed.success) {
      const flag = { corsOrigins: '--cors-origin', authToken: '--auth-token (or LIFEBOAT_CODEC_SERVER_TOKEN)' } as Record<string, string>;
      const lines = parsed.error.issues.map((issue) => `${flag[String(issue.path[0])] ?? `--${String(issue.path[0])}`}: ${issue.message}`);
      throw usageError(`invalid codec-server options:\n  ${lines.join('\n  ')}`, `usage: ${usage}`);
    }
    const options = parsed.data;
    const codec = ctx.dataConverter()?.payloadCodecs[0];
    if (!codec) {
      throw new CliError('no payload codec is configured, so there is nothing to serve', {
        code: 'codec-config',
        suggestion: 'set LIFEBOAT_CODEC_KEYS to a keys file (or LIFEBOAT_CODEC_KEY=<id>:<base64 key>), the same as the worker uses',
        exitCode: ExitCode.usage,
      });
    }
    const say = (line: string) => ctx.io.stderr(`${line}\n`);
    const server = createCodecServer(codec, options, say);
    let address: AddressInfo;
    try {
      address = await listen(server, options.port, options.host);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new CliError(`cannot listen on ${options.host}:${options.port}: ${code ?? (err as Error).message}`, {
        code: 'listen-failed',
        suggestion: code === 'EADDRINUSE' ? `port ${options.port} is taken; pick another with --port` : 'check --host and --port',
      });
    }
    const url = urlFor(address);
    const bound = url.includes(address.address) ? '' : ` (all interfaces, ${address.address})`;
    if (ctx.json) {
      ctx.printJson({ address: url, encryptionKeyId: codec.currentKeyId, corsOrigins: options.corsOrigins, authToken: options.authToken !== undefined });
    } else {
      ctx.print(
        [
          `codec server listening on ${url}${bound} (new payloads use key ${codec.currentKeyId})`,
          `  Web UI:     temporal server start-dev --ui-codec-endpoint ${url}`,
          `              or set ${url} as the codec server in the UI's settings; allowed origins: ${options.corsOrigins.join(', ')}`,
          `  stock CLI:  temporal workflow show --workflow-id region-failover/booking --codec-endpoint ${url}` +
            (options.authToken !== undefined ? ' --codec-auth "Bearer <token>"' : ''),
          'Ctrl-C stops it.',
        ].join('\n'),
      );
    }
    if (!isLoopback(options.host) && options.authToken === undefined) {
      say(`WARNING: anyone who can reach ${options.host} port ${address.port} can decrypt every run; set LIFEBOAT_CODEC_SERVER_TOKEN or bind to 127.0.0.1`);
    }
    await new Promise<void>((resolveStopped) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        server.close(() => resolveStopped());
        server.closeAllConnections();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    say('codec server stopped.');
    return 0;
  },
};
