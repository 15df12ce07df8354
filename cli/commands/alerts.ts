import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import { terminalSafeJson } from '../../lib/terminal-text';
import { createNotifyActivities, notifyConfigFromEnv } from '../../activities/notify';
import { readRoster } from '../../activities/roster';
import { AlertReceiver, alertRequestListener, type AlertOutcome } from '../alerts/receiver';
import { loadAlertRules, type AlertRules } from '../alerts/rules';
import { commonOptions, type Command } from '../command';
import { CliError, ExitCode, usageError } from '../errors';
import { ClaimedName } from '../signing';

const usage =
  'lifeboat alerts serve --rules FILE [--port 9095] [--host 127.0.0.1] [--token TOKEN] [--as alertmanager] [--key FILE] ' +
  '[--tls-cert FILE --tls-key FILE [--client-ca FILE]] [--json]';

/** The command's flags, parsed once at the edge; secrets and the key may also come from the environment. */
export const AlertsServeOptions = z
  .object({
    rules: z.string({ error: 'missing: the JSON file of rules (see alert-rules.sample.json)' }).min(1),
    port: z.coerce.number({ error: 'a port is a number from 0 to 65535' }).int().min(0).max(65535).default(9095),
    host: z.string().min(1).default('127.0.0.1'),
    token: z
      .string({ error: 'set the shared secret senders must present: LIFEBOAT_ALERTS_TOKEN (or --token); make one with `openssl rand -hex 32`' })
      .min(16, 'a token is at least 16 characters; make one with `openssl rand -hex 32`'),
    as: ClaimedName.default('alertmanager'),
    key: z
      .string({ error: "missing: the receiver's own private key, whose public half its roster entry lists; it signs every start" })
      .refine((f) => existsSync(f), { message: 'no such file; give the path of the private key the roster lists for the receiver' }),
    tlsCert: z.string().optional(),
    tlsKey: z.string().optional(),
    clientCa: z.string().optional(),
  })
  .refine((o) => Boolean(o.tlsCert) === Boolean(o.tlsKey), { message: '--tls-cert and --tls-key go together', path: ['tlsCert'] })
  .refine((o) => !o.clientCa || o.tlsCert, { message: '--client-ca (mTLS) needs --tls-cert and --tls-key', path: ['clientCa'] });
export type AlertsServeOptions = z.infer<typeof AlertsServeOptions>;

const flagOf: Record<string, string> = {
  rules: '--rules (or LIFEBOAT_ALERT_RULES)',
  token: '--token (or LIFEBOAT_ALERTS_TOKEN)',
  key: '--key (or LIFEBOAT_ALERTS_KEY)',
  as: '--as (or LIFEBOAT_ALERTS_AS)',
  tlsCert: '--tls-cert',
  tlsKey: '--tls-key',
  clientCa: '--client-ca',
};

function readPem(flag: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw usageError(`cannot read ${flag} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'give the path of a PEM file');
  }
}

function makeServer(options: Pick<AlertsServeOptions, 'tlsCert' | 'tlsKey' | 'clientCa'>, listener: ReturnType<typeof alertRequestListener>): Server {
  if (!options.tlsCert || !options.tlsKey) return createServer(listener);
  return createTlsServer(
    {
      cert: readPem('--tls-cert', options.tlsCert),
      key: readPem('--tls-key', options.tlsKey),
      // With a client CA, a sender must show a certificate it signed before any request is read (Alertmanager: http_config.tls_config).
      ...(options.clientCa ? { ca: readPem('--client-ca', options.clientCa), requestCert: true, rejectUnauthorized: true } : {}),
    },
    listener,
  );
}

/** A running receiver: its URL, and how to stop it. */
export interface ServingAlerts {
  url: string;
  close(): Promise<void>;
}

/**
 * Starts the alert receiver's HTTP(S) server with its rules, signing starts as `as` with `key`; `lifeboat alerts
 * serve` and `lifeboat dev` both run it. Pages go where the worker's do (LIFEBOAT_WEBHOOK_URL, LIFEBOAT_NOTIFY_COMMAND).
 */
export async function serveAlerts(
  options: Omit<AlertsServeOptions, 'rules'> & {
    rules: AlertRules;
    client: Client;
    taskQueue: string;
    env: NodeJS.ProcessEnv;
    log: (o: AlertOutcome) => void;
    say: (line: string) => void;
  },
): Promise<ServingAlerts> {
  let notifier: ReturnType<typeof createNotifyActivities>;
  try {
    notifier = createNotifyActivities(notifyConfigFromEnv(options.env, (message, fields) => options.say(`notify: ${message} ${JSON.stringify(fields)}`)));
  } catch (err) {
    throw usageError((err as Error).message);
  }
  const receiver = new AlertReceiver({
    rules: options.rules,
    client: options.client,
    taskQueue: options.taskQueue,
    requester: options.as,
    keyFile: options.key,
    notify: (n) => notifier.notify(n),
    log: options.log,
    say: options.say,
  });
  const server = makeServer(options, alertRequestListener(receiver, options.token, options.say));
  const address = await new Promise<AddressInfo>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolveListen(server.address() as AddressInfo);
    });
  }).catch((err: NodeJS.ErrnoException) => {
    throw new CliError(`cannot listen on ${options.host}:${options.port}: ${err.code ?? err.message}`, {
      code: 'listen-failed',
      suggestion: err.code === 'EADDRINUSE' ? `port ${options.port} is taken; pick another with --port` : 'check --host and --port',
    });
  });
  const host = address.address.includes(':') ? `[${address.address}]` : address.address;
  return {
    url: `${options.tlsCert ? 'https' : 'http'}://${host}:${address.port}/alerts`,
    close: () =>
      new Promise<void>((resolveClosed) => {
        receiver.close();
        server.close(() => resolveClosed());
        server.closeAllConnections();
      }),
  };
}

export const alertsCommand: Command = {
  name: 'alerts',
  summary: 'Receive alerts (Alertmanager webhook or generic JSON) and start runbooks by rule, signed as the receiver',
  usage,
  options: {
    ...commonOptions,
    rules: { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string' },
    token: { type: 'string' },
    as: { type: 'string' },
    key: { type: 'string' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    'client-ca': { type: 'string' },
  },
  async run(ctx, { positionals, values }) {
    if (positionals[0] !== 'serve') throw usageError(positionals[0] ? `unknown alerts command "${positionals[0]}"` : 'say what to do', `usage: ${usage}`);
    const env = ctx.env;
    const parsed = AlertsServeOptions.safeParse({
      rules: values.rules ?? (env.LIFEBOAT_ALERT_RULES || undefined),
      port: values.port,
      host: values.host,
      token: values.token ?? (env.LIFEBOAT_ALERTS_TOKEN || undefined),
      as: values.as ?? (env.LIFEBOAT_ALERTS_AS || undefined),
      key: values.key ?? (env.LIFEBOAT_ALERTS_KEY || undefined),
      tlsCert: values['tls-cert'],
      tlsKey: values['tls-key'],
      clientCa: values['client-ca'],
    });
    if (!parsed.success) {
      const lines = parsed.error.issues.map((issue) => `${flagOf[String(issue.path[0])] ?? `--${String(issue.path[0])}`}: ${issue.message}`);
      throw usageError(`invalid alerts serve options:\n  ${lines.join('\n  ')}`, `usage: ${usage}`);
    }
    const options = parsed.data;
    const rules = loadAlertRules(options.rules);
    await checkReceiverInRoster(options.as, env);
    const say = (line: string) => ctx.io.stderr(`${line}\n`);
    const log = (o: AlertOutcome) => {
      // One line per alert, so a log shipper (or a test) reads them as they come.
      if (ctx.json) ctx.io.stdout(`${terminalSafeJson(o)}\n`);
      else ctx.print(`${new Date().toISOString()} ${o.alertname} [${o.fingerprint}] rule=${o.rule ?? '-'} ${o.outcome}: ${o.detail}`);
    };
    const serving = await serveAlerts({ ...options, rules, client: await ctx.client(), taskQueue: ctx.taskQueue, env, log, say });
    const summary = { listening: serving.url, requester: options.as, rules: rules.rules.map((r) => r.name), mtls: Boolean(options.clientCa) };
    if (ctx.json) ctx.io.stdout(`${terminalSafeJson(summary)}\n`);
    else {
      ctx.print(
        [
          `alert receiver listening on ${serving.url}, starting runs as ${options.as}; rules: ${summary.rules.join(', ')}`,
          `  Alertmanager: webhook_configs: [{url: ${serving.url}, http_config: {authorization: {credentials: <LIFEBOAT_ALERTS_TOKEN>}}}]`,
          'Ctrl-C stops it.',
        ].join('\n'),
      );
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
    say('alert receiver stopped.');
    return 0;
  },
};

/**
 * The receiver signs each start as `--as`; the workers accept it only if the roster lists that id with a key. Where this
 * CLI can read the roster (LIFEBOAT_ROSTER), say so now rather than at the first alert of an outage.
 */
async function checkReceiverInRoster(as: string, env: NodeJS.ProcessEnv): Promise<void> {
  const path = env.LIFEBOAT_ROSTER;
  if (!path) return;
  let roster;
  try {
    roster = await readRoster(path);
  } catch (err) {
    throw new CliError((err as Error).message, { code: 'roster', exitCode: ExitCode.usage });
  }
  const person = roster.people.find((p) => p.id === as);
  if (!person || person.keys.length === 0) {
    throw new CliError(`the roster ${path} ${person ? `lists ${as} without a key` : `has no ${as}`}, so every start this receiver signs would be refused`, {
      code: 'receiver-not-in-roster',
      suggestion: `add ${as} to the roster as a service principal with the public key of --key (see alertmanager in roster.sample.json)`,
      exitCode: ExitCode.usage,
    });
  }
}
