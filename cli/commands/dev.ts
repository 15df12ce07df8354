import { estatePids, startEstate, stopEstate } from '../../estate/estate';
import { estateDir } from '../../estate/state-dir';
import { ensureEmbeddedServer, takeDevLock } from '../../lib/dev-environment';
import { rosterPathFrom, runWorker } from '../../worker';
import { commonOptions, type Command } from '../command';
import { CliError } from '../errors';

export const devCommand: Command = {
  name: 'dev',
  summary: 'Bring up the embedded Temporal dev server (or reuse one) and a worker; what `npm start` runs',
  usage: 'lifeboat dev [--roster FILE] [--no-estate]',
  options: { ...commonOptions, roster: { type: 'string' }, 'no-estate': { type: 'boolean' } },
  async run(ctx, { values }) {
    const say = (line: string) => ctx.io.stderr(`${line}\n`);
    let releaseLock: () => void;
    try {
      releaseLock = takeDevLock();
    } catch (err) {
      throw new CliError((err as Error).message, { code: 'already-running' });
    }
    const configured = !ctx.settings().embedded;
    let server: Awaited<ReturnType<typeof ensureEmbeddedServer>> | undefined;
    let startedEstate = false;
    const dir = estateDir(ctx.env);
    try {
      if (!configured) {
        say('starting the Temporal dev server...');
        server = await ensureEmbeddedServer(ctx.env);
        say(server.started ? `Temporal dev server started on ${server.address}` : `reusing the Temporal dev server already on ${server.address}`);
      } else {
        say(`using the configured Temporal at ${ctx.settings().connectionOptions.address}; no embedded server`);
      }
      let estateLine = '  estate:       not started (--no-estate)';
      if (!values['no-estate']) {
        const wasUp = estatePids(dir).length > 0;
        say(wasUp ? `the sample estate is already running in ${dir}; reusing it` : 'starting the sample airline estate (PostgreSQL pair, booking services, fleet, HAProxy)...');
        try {
          const { catalog, warnings } = await startEstate({ dir, log: (line) => say(`  ${line}`) });
          startedEstate = !wasUp;
          for (const w of warnings) say(`NOTE: ${w}; the rest of the estate runs`);
          estateLine = `  estate:       clients at ${catalog.loadBalancer?.clientUrl ?? '(no load balancer)'}; npm run estate -- status`;
        } catch (err) {
          say(`NOTE: the sample estate could not start: ${(err as Error).message}`);
          say('      Lifeboat runs without it; runbooks that act on the estate will wait in needs-intervention.');
          estateLine = '  estate:       not running (see the note above)';
        }
      }
      const env = server ? { ...ctx.env, TEMPORAL_ADDRESS: server.address } : ctx.env;
      await runWorker({
        rosterPath: rosterPathFrom(values.roster as string | undefined, ctx.env),
        env,
        onReady: () =>
          say(
            [
              '',
              'Lifeboat is up.',
              ...(server ? [`  Temporal UI:  ${server.uiUrl}`] : []),
              `  worker:       polling task queue ${ctx.taskQueue}`,
              estateLine,
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
            ].join('\n'),
          ),
      });
      return 0;
    } catch (err) {
      throw new CliError((err as Error).message, { code: 'dev-failed' });
    } finally {
      if (startedEstate) {
        say('stopping the sample estate (its data is kept)...');
        await stopEstate(dir).catch((err: unknown) => say(`could not stop the estate: ${(err as Error).message}; run npm run estate -- down`));
      }
      if (server?.started) {
        say('stopping the Temporal dev server...');
        await server.started.stop();
      }
      releaseLock();
      say('stopped.');
    }
  },
};
