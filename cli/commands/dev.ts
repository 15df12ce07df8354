import { ensureEmbeddedServer, takeDevLock } from '../../lib/dev-environment';
import { rosterPathFrom, runWorker } from '../../worker';
import { commonOptions, type Command } from '../command';
import { CliError } from '../errors';

export const devCommand: Command = {
  name: 'dev',
  summary: 'Bring up the embedded Temporal dev server (or reuse one) and a worker; what `npm start` runs',
  usage: 'lifeboat dev [--roster FILE]',
  options: { ...commonOptions, roster: { type: 'string' } },
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
    try {
      if (!configured) {
        say('starting the Temporal dev server...');
        server = await ensureEmbeddedServer(ctx.env);
        say(server.started ? `Temporal dev server started on ${server.address}` : `reusing the Temporal dev server already on ${server.address}`);
      } else {
        say(`using the configured Temporal at ${ctx.settings().connectionOptions.address}; no embedded server`);
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
              '',
              'Try, in another terminal:',
              '  npx lifeboat runbooks',
              '  npx lifeboat plan paging-check',
              '  npx lifeboat run paging-check --as alice',
              '  npx lifeboat status paging-check/sre-oncall --watch',
              '  npx lifeboat approve paging-check/sre-oncall --as erin',
              '',
              'Ctrl-C stops what this command started.',
            ].join('\n'),
          ),
      });
      return 0;
    } catch (err) {
      throw new CliError((err as Error).message, { code: 'dev-failed' });
    } finally {
      if (server?.started) {
        say('stopping the Temporal dev server...');
        await server.started.stop();
      }
      releaseLock();
      say('stopped.');
    }
  },
};
