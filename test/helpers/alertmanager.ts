import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, isListening } from '../../lib/free-port';

/** Debian's package puts the binary here (`.ci/run` installs it). */
export const alertmanagerBinary = '/usr/bin/prometheus-alertmanager';

export interface AlertmanagerOptions {
  /** A folder for its configuration and storage. */
  dir: string;
  /** Lifeboat's receiver, and the bearer token it wants. */
  receiverUrl: string;
  token: string;
  groupBy: string[];
  groupWait: string;
  repeatInterval: string;
}

/**
 * The real Alertmanager on a free loopback port with its own configuration: one route to Lifeboat's receiver with
 * the bearer token, clustering off. Resolves once it listens; `stop` ends it.
 */
export async function startAlertmanager(options: AlertmanagerOptions): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const config = join(options.dir, 'alertmanager.yml');
  writeFileSync(
    config,
    [
      'route:',
      '  receiver: lifeboat',
      `  group_by: [${options.groupBy.map((l) => `'${l}'`).join(', ')}]`,
      `  group_wait: ${options.groupWait}`,
      '  group_interval: 1s',
      `  repeat_interval: ${options.repeatInterval}`,
      'receivers:',
      '  - name: lifeboat',
      '    webhook_configs:',
      `      - url: ${options.receiverUrl}`,
      '        send_resolved: true',
      '        http_config:',
      '          authorization:',
      `            credentials: ${options.token}`,
      '',
    ].join('\n'),
  );
  const storage = join(options.dir, 'am-data');
  mkdirSync(storage, { recursive: true });
  const child: ChildProcess = spawn(
    alertmanagerBinary,
    [`--config.file=${config}`, `--storage.path=${storage}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=warn'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  const deadline = Date.now() + 20_000;
  while (!(await isListening(port))) {
    if (Date.now() > deadline || child.exitCode !== null) {
      await stop();
      throw new Error(`Alertmanager did not listen on ${port}; it said:\n${err}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url: `http://127.0.0.1:${port}`, stop };
}
