import { CliContext } from '../context';
import { ConsoleOptions, serveConsole } from '../commands/console';

/** The console as `npm start` runs it, with the line the ready text prints and how to stop it. */
export interface DemoConsole {
  line: string;
  stop(): Promise<void>;
}

/**
 * The demo's console on localhost:8090 (LIFEBOAT_CONSOLE_PORT), loopback only, reading the demo roster. The demo runs
 * on without it when it cannot start (a taken port, say).
 */
export async function startDemoConsole(io: CliContext['io'], env: NodeJS.ProcessEnv, say: (line: string) => void): Promise<DemoConsole | undefined> {
  const ctx = new CliContext(io, env, false);
  try {
    const options = ConsoleOptions.parse({ port: env.LIFEBOAT_CONSOLE_PORT || undefined, host: '127.0.0.1' });
    const serving = await serveConsole(ctx, options);
    return {
      line: `  console:      ${serving.url} (loopback only; enrol a passkey on its Passkeys page, then npx lifeboat passkey add)`,
      stop: async () => {
        await serving.close();
        await ctx.close();
      },
    };
  } catch (err) {
    say(`NOTE: the console did not start: ${(err as Error).message}; the rest of the demo runs (set LIFEBOAT_CONSOLE_PORT to move it)`);
    await ctx.close();
    return undefined;
  }
}
