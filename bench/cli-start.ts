import { spawn, execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { requireTemporalCli } from '../dev/temporal-binaries';
import type { BenchContext, BenchSection } from './section';
import { median, ms } from './stats';

const ROUNDS = 5;
const root = resolve(__dirname, '..');
const bin = resolve(root, 'bin', 'lifeboat.js');

/** The bin's own check (plain JavaScript): the compiled `cli/main.js` when the build matches the sources, else undefined. */
const { freshCompiledMain } = require('../bin/compiled-cli') as { freshCompiledMain(): string | undefined };

/** What the measured commands act on: a run to show, and a fresh run with an open gate for each approval. */
export interface CliStartSubjects {
  env: Record<string, string>;
  statusRunId: string;
  /** Starts a run whose gate one approval (bob's) opens, and resolves its id once it waits; not timed. */
  openGate(): Promise<string>;
}

/**
 * `lifeboat` as a person runs it, whole processes timed from spawn to exit: the compiled build against the TypeScript
 * run through tsx (LIFEBOAT_FROM_SOURCE=1), beside `node -e 0` (no CLI can start faster) and the stock
 * `temporal --help` (a Go binary). Rounds alternate the variants so noise from other work hits them alike.
 */
export async function cliStartBenchmark(ctx: BenchContext, subjects: CliStartSubjects): Promise<BenchSection> {
  const temporal = requireTemporalCli().path;
  const node = await samples(ctx, 'node -e 0', () => timeProcess(process.execPath, ['-e', '0']));
  const stock = await samples(ctx, 'temporal --help', () => timeProcess(temporal, ['--help']));
  const commands: { label: string; args: () => Promise<string[]>; target?: number }[] = [
    { label: 'lifeboat --help', args: async () => ['--help'], target: 150 },
    { label: 'lifeboat status <run>', args: async () => ['status', subjects.statusRunId], target: 450 },
    { label: 'lifeboat approve <run> --as bob', args: async () => ['approve', await subjects.openGate(), '--as', 'bob'], target: 450 },
  ];
  const rows: string[][] = [
    ['node -e 0', ms(median(node)), '', '1.0', ratio(median(node), median(stock))],
    ['temporal --help (stock CLI)', ms(median(stock)), '', ratio(median(stock), median(node)), '1.0'],
  ];
  const notes: string[] = [];
  for (const command of commands) {
    const compiled: number[] = [];
    const source: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      ctx.log(`${command.label}: round ${round + 1}/${ROUNDS}`);
      compiled.push(await compiledRun(() => command.args().then((args) => timeProcess(process.execPath, [bin, ...args], subjects.env))));
      const args = await command.args();
      source.push(await timeProcess(process.execPath, [bin, ...args], { ...subjects.env, LIFEBOAT_FROM_SOURCE: '1' }));
    }
    const c = median(compiled);
    rows.push([command.label, ms(c), ms(median(source)), ratio(c, median(node)), ratio(c, median(stock))]);
    if (command.target) notes.push(`${command.label}: compiled ${ms(c)}, target under ${command.target} ms: ${c < command.target ? 'met' : 'NOT met'}`);
  }
  notes.push(`medians of ${ROUNDS}, wall time from spawn to exit; "from sources" is the TypeScript through tsx, as after an edit`);
  return {
    title: 'CLI start (whole processes, this machine)',
    header: ['command', 'compiled', 'from sources (tsx)', 'compiled / node -e 0', 'compiled / temporal --help'],
    rows,
    notes,
  };
}

/**
 * One timing of the compiled CLI, made sure of: the build matches the sources before and after it (so the bin did
 * not fall back to the sources), rebuilding first when someone edited a file since the last build.
 */
async function compiledRun(run: () => Promise<number>): Promise<number> {
  for (let attempt = 0; attempt < 5; attempt++) {
    if (!freshCompiledMain()) execFileSync(process.execPath, [resolve(root, 'scripts', 'build-cli.js')], { stdio: 'ignore' });
    if (!freshCompiledMain()) continue;
    const took = await run();
    if (freshCompiledMain()) return took;
  }
  throw new Error('the sources kept changing: could not time the compiled CLI (npm run build, then run the bench again)');
}

async function samples(ctx: BenchContext, label: string, run: () => Promise<number>): Promise<number[]> {
  ctx.log(`${label}: ${ROUNDS} runs`);
  const took: number[] = [];
  for (let round = 0; round < ROUNDS; round++) took.push(await run());
  return took;
}

/** Spawns a program and resolves the milliseconds until it exits; rejects, with its stderr, unless it exits 0. */
function timeProcess(program: string, args: string[], env: Record<string, string> = {}): Promise<number> {
  return new Promise((done, fail) => {
    const started = performance.now();
    const child = spawn(program, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => {
      const took = performance.now() - started;
      if (code === 0) done(took);
      else fail(new Error(`${[program, ...args].join(' ')} exited ${code}: ${stderr}`));
    });
  });
}

function ratio(value: number, base: number): string {
  return `${(value / base).toFixed(1)}x`;
}
