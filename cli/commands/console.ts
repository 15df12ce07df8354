import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { demoRosterPath } from '../../dev/demo-keys';
import { devPorts } from '../../dev/dev-environment';
import { commonOptions, type Command } from '../command';
import type { CliContext } from '../context';
import { usageError } from '../errors';
import { startConsoleServer, type ConsoleServer } from '../console/server';
import { streamBoundsFromEnv } from '../console/live-streams';

const usage =
  'lifeboat console [--port 8090] [--host 127.0.0.1] [--token TOKEN] [--origin https://HOST] [--roster FILE] [--temporal-ui URL] [--drill-controls]';

const loopback = new Set(['127.0.0.1', 'localhost', '::1']);

/** The command's flags, parsed once at the edge. */
export const ConsoleOptions = z
  .object({
    port: z.coerce.number({ error: 'a port is a number from 0 to 65535' }).int().min(0).max(65535).default(8090),
    host: z.string().min(1).default('127.0.0.1').describe('Address to bind; loopback (the default) is the read-only boundary'),
    token: z.string().min(16, 'a token is at least 16 characters; make one with `openssl rand -hex 32`').optional(),
    origin: z
      .url({ protocol: /^https?$/, error: 'an origin such as https://lifeboat.example.com' })
      .transform((u) => new URL(u).origin)
      .optional()
      .describe('Where people open the console when it is not on loopback; passkeys belong to its host name'),
    roster: z.string().min(1).optional(),
    temporalUi: z.url().optional(),
    drillControls: z.boolean().default(false),
  })
  .refine((o) => loopback.has(o.host) || o.token !== undefined, {
    path: ['token'],
    message: 'a console beyond loopback needs a login token: set LIFEBOAT_CONSOLE_TOKEN (or --token), or keep --host 127.0.0.1',
  })
  .refine((o) => loopback.has(o.host) || o.origin !== undefined, {
    path: ['origin'],
    message: 'a console beyond loopback needs --origin https://<its host name>, the address people open (passkeys are bound to it)',
  });
export type ConsoleOptions = z.infer<typeof ConsoleOptions>;

const flagOf: Record<string, string> = { temporalUi: '--temporal-ui', drillControls: '--drill-controls' };

/**
 * Starts the console for a CLI context: its client, namespace and task queue, the roster for names and passkey ids
 * (LIFEBOAT_ROSTER, or the demo's on the embedded server), and the Temporal Web UI for links.
 */
export async function serveConsole(ctx: CliContext, options: ConsoleOptions): Promise<ConsoleServer> {
  const settings = ctx.settings();
  const rosterPath = consoleRosterPath(ctx, options);
  const temporalUiUrl =
    options.temporalUi ?? ctx.env.LIFEBOAT_TEMPORAL_UI_URL ?? (settings.embedded ? `http://localhost:${devPorts(ctx.env).uiPort}` : undefined);
  return startConsoleServer({
    client: await ctx.client(),
    namespace: settings.namespace,
    taskQueue: ctx.taskQueue,
    host: options.host,
    port: options.port,
    ...(options.token ? { token: options.token } : {}),
    ...(options.origin ? { publicOrigin: options.origin } : {}),
    ...(rosterPath ? { rosterPath: resolve(rosterPath) } : {}),
    ...(temporalUiUrl ? { temporalUiUrl: temporalUiUrl.replace(/\/$/, '') } : {}),
    rpId: options.origin ? new URL(options.origin).hostname : 'localhost',
    drillControls: options.drillControls,
    streamBounds: streamBoundsFromEnv(ctx.env),
  });
}

/** The roster the console reads names and passkey ids from: --roster, LIFEBOAT_ROSTER, or the demo's on the embedded server. */
function consoleRosterPath(ctx: CliContext, options: ConsoleOptions): string | undefined {
  return options.roster ?? ctx.env.LIFEBOAT_ROSTER ?? (ctx.settings().embedded && existsSync(demoRosterPath(ctx.env)) ? demoRosterPath(ctx.env) : undefined);
}

export const consoleCommand: Command = {
  name: 'console',
  summary: 'The web console: live runs, gates with passkey-signed approvals, reports, starts, drills (read-only without a passkey)',
  usage,
  options: {
    ...commonOptions,
    port: { type: 'string' },
    host: { type: 'string' },
    token: { type: 'string' },
    origin: { type: 'string' },
    roster: { type: 'string' },
    'temporal-ui': { type: 'string' },
    'drill-controls': { type: 'boolean' },
  },
  async run(ctx, { values }) {
    const env = ctx.env;
    const parsed = ConsoleOptions.safeParse({
      port: values.port ?? (env.LIFEBOAT_CONSOLE_PORT || undefined),
      host: values.host,
      token: values.token ?? (env.LIFEBOAT_CONSOLE_TOKEN || undefined),
      origin: values.origin ?? (env.LIFEBOAT_CONSOLE_ORIGIN || undefined),
      roster: values.roster,
      temporalUi: values['temporal-ui'],
      drillControls: values['drill-controls'] ?? false,
    });
    if (!parsed.success) {
      const lines = parsed.error.issues.map((issue) => `${flagOf[String(issue.path[0])] ?? `--${String(issue.path[0])}`}: ${issue.message}`);
      throw usageError(`invalid console options:\n  ${lines.join('\n  ')}`, `usage: ${usage}`);
    }
    const serving = await serveConsole(ctx, parsed.data);
    if (!consoleRosterPath(ctx, parsed.data)) {
      ctx.io.stderr('NOTE: no roster (--roster or LIFEBOAT_ROSTER, the file the workers read): the console shows runs, but nobody can sign from it\n');
    }
    if (ctx.json) ctx.printJson({ listening: serving.url, readOnlyBoundary: parsed.data.token ? 'token' : 'loopback' });
    else {
      ctx.print(`Lifeboat console on ${serving.url} (${parsed.data.token ? 'login token required to view' : 'loopback only'}; deciding needs your passkey)`);
      ctx.print('Ctrl-C stops it.');
    }
    await new Promise<void>((resolveStopped) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        void serving.close().then(resolveStopped);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    ctx.io.stderr('console stopped.\n');
    return 0;
  },
};
