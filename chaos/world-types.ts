import type { EstateCatalog } from '../estate/catalog';
import type { RunStatus } from '../kit';

/** What `lifeboat <args>` printed and how it exited. */
export interface CliOutcome {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Everything one chaos run acts on, brought up once by the runner (chaos/world.ts) and shared by the scenarios, the
 * scripted people, the fault injectors and the invariant checkers. Every address is on 127.0.0.1.
 */
export interface ChaosWorld {
  /** The runner's temp dir: logs, keys, roster, the dev server's database. */
  dir: string;
  /** The sample estate's catalog (its own record of addresses and data directories); checkers read the world here. */
  catalog: EstateCatalog;
  /** The targets file the worker reads: every estate endpoint goes through Toxiproxy. */
  targetsPath: string;
  /** The estate's own targets file, straight to the systems (checkers and scenario set-up use it). */
  directTargetsPath: string;
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  /** One unencrypted ssh key per roster person, named by roster id: `--key ${keysDir}/bob`. */
  keysDir: string;
  rosterPath: string;
  /** Runs the real CLI (bin/lifeboat.js) against this world's server, as `who` with their key; never throws on exit 1. */
  cli(args: string[], opts?: { as?: string; timeoutMs?: number }): Promise<CliOutcome>;
  /** A run's status as `lifeboat status --json` prints it; undefined when the server cannot be reached right now. */
  status(runId: string): Promise<RunStatus | undefined>;
  /**
   * An insider's flood: `count` forged approvals of about 500 KiB each, sent with the stock client straight to the
   * run (no signature, no CLI), enough to make a run waiting at a gate carry itself over (continue-as-new).
   */
  forgeFlood(runId: string, count: number): Promise<void>;
  log(line: string): void;
}

/** A broken invariant: which, and the evidence a person needs to see it broken. */
export interface Violation {
  invariant: string;
  evidence: string;
}
