import { execFile } from 'node:child_process';
import { findOnPath, isExecutable } from './executables';

/** Where Debian puts daemons (haproxy), which a non-root PATH often lacks. */
const SBIN = ['/usr/sbin', '/usr/local/sbin'];

/** A Debian package that Lifeboat needs from the system, and how to tell that it is installed. */
export interface SystemPackage {
  /** The Debian package name. */
  name: string;
  /** What needs it, for the line that says it is missing. */
  neededBy: string;
  /** Commands looked up on PATH and in the sbin folders (HAProxy lives in /usr/sbin). */
  commands: string[];
  /** Fixed paths that count as installed (Debian keeps PostgreSQL's binaries off PATH). */
  paths?: string[];
}

/** What the sample estate runs on: the checks match the estate's own (`findHaproxy`, `pgBinDir`) and `.ci/run`. */
export const estatePackages: SystemPackage[] = [
  { name: 'haproxy', neededBy: "the estate's load balancer", commands: ['haproxy'] },
  { name: 'postgresql-15', neededBy: "the estate's databases", commands: ['initdb'], paths: ['/usr/lib/postgresql/15/bin/initdb'] },
  { name: 'patroni', neededBy: "the estate's crew database and the patroni provider's test", commands: ['patroni'], paths: ['/usr/bin/patroni'] },
  { name: 'etcd-server', neededBy: "the estate's crew database and the patroni provider's test", commands: ['etcd'], paths: ['/usr/bin/etcd'] },
];

/**
 * What the test suite needs on top of the estate: Chromium renders the HTML report; the alert test needs Alertmanager;
 * the console's reverse-proxy test needs nginx.
 */
export const testPackages: SystemPackage[] = [
  ...estatePackages,
  { name: 'chromium', neededBy: 'the HTML report and web console tests', commands: ['chromium'] },
  { name: 'prometheus-alertmanager', neededBy: 'the alert receiver test', commands: ['prometheus-alertmanager'] },
  { name: 'prometheus', neededBy: 'the alert rules test (promtool)', commands: ['promtool'] },
  { name: 'nginx', neededBy: "the console's reverse-proxy test", commands: ['nginx'] },
];

/** The packages of a list that are not installed here. */
export function missingPackages(packages: SystemPackage[], env: NodeJS.ProcessEnv = process.env): SystemPackage[] {
  return packages.filter((p) => !p.commands.some((c) => findOnPath(c, env, SBIN) !== undefined) && !(p.paths ?? []).some(isExecutable));
}

/** The machine as far as installing goes: root may run apt-get itself; anyone else is told the command. */
export interface PackageHost {
  root: boolean;
  aptGet: boolean;
}

export function packageHost(env: NodeJS.ProcessEnv = process.env): PackageHost {
  return { root: process.getuid?.() === 0, aptGet: findOnPath('apt-get', env, SBIN) !== undefined };
}

/** What to do about missing packages: nothing, install them (root with apt-get), or tell the person the command. */
export type PackagePlan =
  { action: 'none' } | { action: 'install'; packages: string[]; commands: string[][] } | { action: 'advise'; packages: string[]; command: string };

export function packagePlan(missing: SystemPackage[], host: PackageHost): PackagePlan {
  const packages = missing.map((p) => p.name);
  if (!packages.length) return { action: 'none' };
  const install = ['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...packages];
  if (host.aptGet && host.root) return { action: 'install', packages, commands: [['apt-get', 'update', '-qq'], install] };
  if (host.aptGet) return { action: 'advise', packages, command: `sudo apt-get update && sudo ${install.filter((a) => a !== '-qq').join(' ')}` };
  return { action: 'advise', packages, command: `install ${packages.join(', ')} (or your system's equivalent) with its package manager` };
}

/** Runs one command, resolving with nothing, or rejecting with the tail of what it printed. */
export type RunCommand = (command: string[], env: NodeJS.ProcessEnv) => Promise<void>;

const runCommand: RunCommand = (command, env) =>
  new Promise((resolveRun, reject) => {
    const [file, ...args] = command as [string, ...string[]];
    execFile(file, args, { env, timeout: 15 * 60_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) return resolveRun();
      const tail = `${stderr}${stdout}`.trim().split('\n').slice(-5).join('\n');
      reject(new Error(`${command.join(' ')} failed: ${tail || err.message}`));
    });
  });

/** What `ensureSystemPackages` found and did; `missing` is what is still not there afterwards. */
export interface PackageOutcome {
  plan: PackagePlan;
  missing: string[];
}

/**
 * Makes sure the system packages are there before something needs them, the way `.ci/run` does: as root with
 * apt-get, `apt-get update` and then one `apt-get install` of what is missing; anywhere else, one line with the
 * command that does it. Costs a few file checks when nothing is missing. Never throws: what could not be installed
 * is reported, and the caller goes on without it.
 */
export async function ensureSystemPackages(opts: {
  packages: SystemPackage[];
  log: (line: string) => void;
  env?: NodeJS.ProcessEnv;
  host?: PackageHost;
  run?: RunCommand;
}): Promise<PackageOutcome> {
  const env = opts.env ?? process.env;
  const missing = missingPackages(opts.packages, env);
  const plan = packagePlan(missing, opts.host ?? packageHost(env));
  const why = missing.map((p) => `${p.name} (${p.neededBy})`).join(', ');
  if (plan.action === 'none') return { plan, missing: [] };
  if (plan.action === 'advise') {
    opts.log(`missing system packages: ${why}; install them with: ${plan.command}`);
    return { plan, missing: plan.packages };
  }
  opts.log(`installing missing system packages with apt-get: ${why}...`);
  const run = opts.run ?? runCommand;
  try {
    for (const command of plan.commands) await run(command, { ...env, DEBIAN_FRONTEND: 'noninteractive' });
  } catch (err) {
    opts.log(`could not install ${plan.packages.join(', ')}: ${(err as Error).message}`);
    opts.log(`install them with: ${plan.commands.map((c) => c.join(' ')).join(' && ')}`);
  }
  const still = missingPackages(opts.packages, env).map((p) => p.name);
  opts.log(still.length ? `still missing: ${still.join(', ')}` : `installed ${plan.packages.join(', ')}`);
  return { plan, missing: still };
}
