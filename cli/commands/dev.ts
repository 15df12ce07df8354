import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { estateDir, estatePids, sampleEstateAwsEnv, serviceAddresses, startEstate, stopEstate } from '../../providers/sample-estate/lifecycle';
import { surviveClosedOutput } from '../../dev/closed-output';
import { demoAlertsPrincipal, demoKeysDir, demoTrustRootPath, prepareDemoRoster } from '../../dev/demo-keys';
import { demoArchiving } from '../../dev/demo-evidence';
import { sampleAlertRulesPath, stateDir } from '../../lib/paths';
import { loadAlertRules } from '../alerts/rules';
import { serveAlerts } from './alerts';
import { startDemoConsole, type DemoConsole } from '../console/demo';
import { CliContext } from '../context';
import { ensureEmbeddedServer, takeDevLock, takeOverLeftovers, type EmbeddedServer } from '../../dev/dev-environment';
import { clearDevRecord, writeDevRecord, type DevRecord } from '../../lib/dev-record';
import { ensureSystemPackages, estatePackages } from '../../dev/system-packages';
import { rosterPathFrom, runWorker, trustRootFrom } from '../../worker';
import { commonOptions, type Command } from '../command';
import { CliError } from '../errors';

export const devCommand: Command = {
  name: 'dev',
  summary: 'Bring up the embedded Temporal dev server (or reuse one) and a worker; what `npm start` runs',
  usage: 'lifeboat dev [--roster FILE] [--trust-root FILE] [--no-estate] [--no-evidence]',
  options: {
    ...commonOptions,
    roster: { type: 'string' },
    'trust-root': { type: 'string' },
    'no-estate': { type: 'boolean' },
    'no-evidence': { type: 'boolean' },
  },
  async run(ctx, { values }) {
    // Whatever happens to the terminal or the pipe we print to, what this command started is stopped.
    surviveClosedOutput();
    const say = (line: string) => ctx.io.stderr(`${line}\n`);
    let releaseLock: () => void;
    try {
      releaseLock = takeDevLock();
    } catch (err) {
      throw new CliError((err as Error).message, { code: 'already-running' });
    }
    // Until the worker runs (and its runtime turns Ctrl-C into a shutdown), a Ctrl-C lets the step under way finish and skips the rest.
    let stopRequested = false;
    let workerUp = false;
    const onSignal = () => {
      if (!stopRequested) say('stopping...');
      stopRequested = true;
    };
    // The worker's runtime shuts it down on SIGINT and SIGTERM only; any other stop is handed to it as a SIGTERM
    // (emitted, not sent: nothing can kill this process by it), so the cleanup below runs whatever the way in.
    const stopWorker = () => {
      if (workerUp) process.emit('SIGTERM', 'SIGTERM');
    };
    // A closed terminal sends SIGHUP, whose default would end this process at once, leaving all it started running.
    const onHangup = () => {
      onSignal();
      stopWorker();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.on('SIGHUP', onHangup);

    const configured = !ctx.settings().embedded;
    const withEstate = !values['no-estate'];
    const dir = estateDir(ctx.env);
    const record: DevRecord = { pid: process.pid, startedAt: new Date().toISOString() };
    let server: EmbeddedServer | undefined;
    let ownEstate = false;
    let gaveUp: string | undefined;
    let alerts: DemoAlerts | undefined;
    let webConsole: DemoConsole | undefined;
    // An uncaught error ends the process without the cleanup below: then what it started is at least told to stop.
    let cleanedUp = false;
    const lastResort = () => {
      if (cleanedUp) return;
      const pids = [...(ownEstate ? estatePids(dir) : []), ...(server?.started?.pid ? [server.started.pid] : [])];
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          // gone already
        }
      }
    };
    process.on('exit', lastResort);
    try {
      const { adoptedEstate } = await takeOverLeftovers({ estateDir: withEstate ? dir : undefined, log: say });
      ownEstate = adoptedEstate;
      if (adoptedEstate) record.estate = { dir };
      writeDevRecord(record);
      if (!configured) {
        say('starting the Temporal dev server...');
        server = await ensureEmbeddedServer(ctx.env, {
          log: say,
          onStarted: (started, { uiPort, dbFile, logFile }) => {
            record.server = { pid: started.process.pid!, address: started.address, uiPort: uiPort!, dbFile: dbFile!, logFile };
            writeDevRecord(record);
          },
          onGiveUp: (reason) => {
            say(reason);
            gaveUp = reason;
            // The worker's runtime shuts it down on this signal, as on Ctrl-C; then everything started is stopped.
            process.kill(process.pid, 'SIGTERM');
          },
        });
        say(
          server.started
            ? `Temporal dev server started on ${server.address} (pid ${server.started.pid}); web UI ${server.uiUrl}`
            : `reusing the Temporal dev server already on ${server.address}`,
        );
      } else {
        say(`using the configured Temporal at ${ctx.settings().connectionOptions.address}; no embedded server`);
      }
      let estateLine = '  estate:       not started (--no-estate)';
      if (withEstate && !stopRequested) {
        await ensureSystemPackages({ packages: estatePackages, env: ctx.env, log: say });
        const wasUp = estatePids(dir).length > 0;
        if (!wasUp) {
          // Recorded before it starts, so a start cut short is stopped by the next `lifeboat dev`.
          ownEstate = true;
          record.estate = { dir };
          writeDevRecord(record);
        }
        say(
          adoptedEstate
            ? 'bringing the sample estate up to date...'
            : wasUp
              ? `the sample estate is already running in ${dir}; reusing it (Ctrl-C leaves it running)`
              : 'starting the sample airline estate (booking, loyalty, checkin, crew, flight-status; fleet, HAProxy, Patroni, moto)...',
        );
        try {
          const startedAt = Date.now();
          const { catalog, warnings } = await startEstate({ dir, log: (line) => say(`  ${line}`) });
          for (const w of warnings) say(`NOTE: ${w}; the rest of the estate runs`);
          // The Route 53 provider finds moto's credentials the way it finds real ones: in the environment.
          for (const [name, value] of Object.entries(sampleEstateAwsEnv(catalog, process.env))) process.env[name] = value;
          estateLine = [
            `  estate:       up in ${((Date.now() - startedAt) / 1000).toFixed(1)} s; npm run estate -- status`,
            ...serviceAddresses(catalog).map((line) => `  ${line}`),
          ].join('\n');
        } catch (err) {
          say(`NOTE: the sample estate could not start: ${(err as Error).message}`);
          say('      Lifeboat runs without it; runbooks that act on the estate will wait in needs-intervention.');
          estateLine = '  estate:       not running (see the note above)';
        }
      }
      if (!stopRequested) {
        // The demo gives each sample roster person a key, so `--as bob` signs as bob does with a real key.
        const demoRoster = await prepareDemoRoster(ctx.env);
        const workerEnv = server ? { ...ctx.env, TEMPORAL_ADDRESS: server.address } : ctx.env;
        alerts = await startDemoAlerts(ctx, workerEnv, say);
        const rosterPath = rosterPathFrom(values.roster as string | undefined, ctx.env, demoRoster);
        // The demo roster goes with the demo trust root its demo admins signed under; a roster of your own needs yours.
        const trustRoot = trustRootFrom(
          values['trust-root'] as string | undefined,
          ctx.env,
          rosterPath === demoRoster ? demoTrustRootPath(ctx.env) : undefined,
        );
        // Every finished run is sealed into the evidence archive, as a production worker told to archive does.
        // The CLI finds LIFEBOAT_TRUST_ROOT by itself; the demo's own trust root, or a --trust-root, is named for it.
        const demoTrustRoot = rosterPath === demoRoster && !ctx.env.LIFEBOAT_TRUST_ROOT ? demoTrustRootPath(ctx.env) : undefined;
        const archiving = demoArchiving({
          off: values['no-evidence'] === true,
          demoRoster: rosterPath === demoRoster,
          trustRootPath: (values['trust-root'] as string | undefined) ?? demoTrustRoot,
          env: ctx.env,
        });
        if (archiving.store && !archiving.store.startsWith('s3://')) mkdirSync(archiving.store, { recursive: true });
        if (archiving.store) record.evidenceStore = archiving.store;
        writeDevRecord(record);
        const uiUrl = ctx.env.LIFEBOAT_TEMPORAL_UI_URL ?? server?.uiUrl;
        webConsole = await startDemoConsole(ctx.io, { ...workerEnv, LIFEBOAT_ROSTER: rosterPath, ...(uiUrl ? { LIFEBOAT_TEMPORAL_UI_URL: uiUrl } : {}) }, say);
        await runWorker({
          rosterPath,
          trustRoot,
          env: { ...workerEnv, ...archiving.workerEnv },
          onReady: () => {
            say(readyText(ctx.taskQueue, server, estateLine, archiving.line, alerts?.line, webConsole?.line));
            workerUp = true;
            // A stop asked for while the worker was being set up, before its runtime listened for signals.
            if (stopRequested) stopWorker();
          },
        });
      }
      if (gaveUp) throw new Error(gaveUp);
      return 0;
    } catch (err) {
      throw new CliError((err as Error).message, { code: 'dev-failed' });
    } finally {
      // Each step on its own: one that fails must not leave the estate or the dev server running.
      await settle(() => alerts?.stop(), 'the alert receiver', say);
      await settle(() => webConsole?.stop(), 'the web console', say);
      if (ownEstate) {
        say('stopping the sample estate (its data is kept)...');
        await stopEstate(dir).catch((err: unknown) => say(`could not stop the estate: ${(err as Error).message}; run npm run estate -- down`));
      }
      if (server?.started) {
        say('stopping the Temporal dev server...');
        await settle(() => server?.started?.stop(), 'the Temporal dev server', say);
      }
      clearDevRecord();
      releaseLock();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.off('SIGHUP', onHangup);
      cleanedUp = true;
      process.off('exit', lastResort);
      say('stopped.');
    }
  },
};

/** Runs one step of the shutdown; a failure is said, not thrown, so the steps after it still run. */
async function settle(step: () => Promise<void> | undefined, what: string, say: (line: string) => void): Promise<void> {
  try {
    await step();
  } catch (err) {
    say(`could not stop ${what}: ${(err as Error).message}`);
  }
}

interface DemoAlerts {
  line: string;
  stop(): Promise<void>;
}

/**
 * The demo's alert receiver on 127.0.0.1:9095 (LIFEBOAT_ALERTS_PORT), with the sample rules (LIFEBOAT_ALERT_RULES),
 * signing as the demo roster's `alertmanager` with its demo key. The token is LIFEBOAT_ALERTS_TOKEN, or one made once
 * and kept in `.state/alerts-token`. The demo runs on without it when it cannot start (a taken port, say).
 */
async function startDemoAlerts(ctx: CliContext, env: NodeJS.ProcessEnv, say: (line: string) => void): Promise<DemoAlerts | undefined> {
  const alertsCtx = new CliContext(ctx.io, env, false);
  try {
    const tokenFile = join(stateDir, 'alerts-token');
    let token = env.LIFEBOAT_ALERTS_TOKEN;
    if (!token) {
      if (!existsSync(tokenFile)) {
        mkdirSync(stateDir, { recursive: true });
        writeFileSync(tokenFile, `${randomBytes(24).toString('hex')}\n`, { mode: 0o600 });
      }
      token = readFileSync(tokenFile, 'utf8').trim();
    }
    const serving = await serveAlerts({
      rules: loadAlertRules(env.LIFEBOAT_ALERT_RULES ?? sampleAlertRulesPath),
      port: Number(env.LIFEBOAT_ALERTS_PORT ?? 9095),
      host: '127.0.0.1',
      token,
      as: demoAlertsPrincipal,
      key: join(demoKeysDir(env), demoAlertsPrincipal),
      client: await alertsCtx.client(),
      taskQueue: alertsCtx.taskQueue,
      env,
      log: (o) => say(`alert ${o.alertname} [${o.fingerprint}] rule=${o.rule ?? '-'} ${o.outcome}: ${o.detail}`),
      say,
    });
    const tokenHint = env.LIFEBOAT_ALERTS_TOKEN ? 'LIFEBOAT_ALERTS_TOKEN' : tokenFile;
    return {
      line: `  alerts:       ${serving.url} (bearer token in ${tokenHint}); rules ${env.LIFEBOAT_ALERT_RULES ?? 'alert-rules.sample.json'}`,
      stop: async () => {
        await serving.close();
        await alertsCtx.close();
      },
    };
  } catch (err) {
    say(`NOTE: the alert receiver did not start: ${(err as Error).message}; the rest of the demo runs`);
    await alertsCtx.close();
    return undefined;
  }
}

function readyText(
  taskQueue: string,
  server: EmbeddedServer | undefined,
  estateLine: string,
  evidenceLine: string,
  alertsLine = '  alerts:       not receiving (see the note above)',
  consoleLine = '  console:      not running (see the note above)',
): string {
  return [
    '',
    'Lifeboat is up.',
    ...(server ? [`  Temporal UI:  ${server.uiUrl}`] : []),
    `  worker:       polling task queue ${taskQueue}`,
    estateLine,
    evidenceLine,
    alertsLine,
    consoleLine,
    '',
    'Try, in another terminal:',
    '  npx lifeboat runbooks',
    '  npx lifeboat plan region-failover',
    '  npx lifeboat run region-failover --set service=booking --set mode=planned --as alice',
    '  npx lifeboat status region-failover/booking --watch',
    '  npx lifeboat approve region-failover/booking --as bob      # and --as carol: two SRE leads',
    '  npx lifeboat run region-failback --set service=booking --as alice',
    '  npm run estate -- bad-vendor-update --crash-rate 0.3',
    '  npx lifeboat run isolate-vendor-module --set badVersion=C-00000291 --set goodVersion=C-00000290 --as alice',
    '',
    'Ctrl-C stops what this command started.',
  ].join('\n');
}
