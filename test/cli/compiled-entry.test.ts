import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';

/**
 * Which code `bin/lifeboat.js` runs: the compiled build when it was made from exactly the sources in the checkout,
 * the TypeScript through tsx after any edit. Every case runs in a copy of the checkout (its node_modules linked), so
 * editing, adding and deleting sources there leaves this checkout alone. Which files a command loaded is read from
 * the process itself (a preload script lists require's cache at exit), not from timings.
 */

const checkout = resolve(__dirname, '../..');
/** What a copy needs to build and run the CLI: everything but tests, benchmarks, docs and local state. */
const notCopied = new Set(['node_modules', 'test', 'bench', 'docs', '.git', '.state', '.tools', '.build', '.bundle', 'coverage']);

let dir: string;
let copy: string;
let probe: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lifeboat-compiled-'));
  copy = join(dir, 'checkout');
  cpSync(checkout, copy, { recursive: true, filter: (from) => from === checkout || !notCopied.has(from.slice(checkout.length + 1).split('/')[0]!) });
  symlinkSync(join(checkout, 'node_modules'), join(copy, 'node_modules'));
  probe = join(dir, 'loaded-modules.js');
  writeFileSync(
    probe,
    `process.on('exit', () => require('node:fs').writeFileSync(process.env.LOADED_MODULES_FILE, JSON.stringify(Object.keys(require.cache))));\n`,
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
  /** Files of the copy this process loaded, relative to it (`.build/<build>/cli/main.js`, `cli/main.ts`), and packages by path. */
  loaded: string[];
}

function run(program: string[], env: Record<string, string> = {}): Promise<Ran> {
  const loadedFile = join(dir, `loaded-${Date.now()}-${Math.random()}.json`);
  return new Promise((done) => {
    execFile(
      process.execPath,
      program,
      { cwd: copy, env: { ...process.env, NODE_OPTIONS: `--require ${probe}`, LOADED_MODULES_FILE: loadedFile, ...env } },
      (err, stdout, stderr) => {
        const all = existsSync(loadedFile) ? (JSON.parse(readFileSync(loadedFile, 'utf8')) as string[]) : [];
        const loaded = all.map((f) => (f.startsWith(`${copy}/`) ? f.slice(copy.length + 1) : f));
        done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr, loaded });
      },
    );
  });
}

const lifeboat = (args: string[], env?: Record<string, string>) => run(['bin/lifeboat.js', ...args], env);
const build = () => run(['scripts/build-cli.js']);
const compiledMain = (r: Ran) => r.loaded.some((f) => /^\.build\/[^/]+\/cli\/main\.js$/.test(f));
const sourceMain = (r: Ran) => r.loaded.includes('cli/main.ts');

test('a build made from the sources in the checkout is what lifeboat runs', async () => {
  expect((await build()).code).toBe(0);
  const help = await lifeboat(['--help']);
  expect(help.code).toBe(0);
  expect(help.stdout).toMatch(/^ {2}runbooks +List the runbooks Lifeboat can run$/m);
  expect(compiledMain(help)).toBe(true);
  expect(sourceMain(help)).toBe(false);
  expect(help.loaded.some((f) => f.includes('/tsx/'))).toBe(false);
});

test('after a source is edited, lifeboat runs the TypeScript and shows the edit at once', async () => {
  expect((await build()).code).toBe(0);
  const index = join(copy, 'cli/commands/index.ts');
  const original = readFileSync(index, 'utf8');
  try {
    writeFileSync(index, original.replace("'List the runbooks Lifeboat can run'", "'List the runbooks (edited after the build)'"));
    const help = await lifeboat(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^ {2}runbooks +List the runbooks \(edited after the build\)$/m);
    expect(sourceMain(help)).toBe(true);
    expect(compiledMain(help)).toBe(false);
  } finally {
    writeFileSync(index, original);
  }
  // Rebuilt, the edit is compiled in and the build runs again.
  expect((await build()).code).toBe(0);
  expect(compiledMain(await lifeboat(['--help']))).toBe(true);
});

test('a file touched, added or deleted after the build counts as an edit', async () => {
  expect((await build()).code).toBe(0);
  const touched = join(copy, 'lib/paths.ts');
  const later = new Date(Date.now() + 5_000);
  utimesSync(touched, later, later);
  expect(sourceMain(await lifeboat(['--help']))).toBe(true);

  expect((await build()).code).toBe(0);
  const added = join(copy, 'cli/added-after-build.ts');
  writeFileSync(added, 'export const added = 1;\n');
  expect(sourceMain(await lifeboat(['--help']))).toBe(true);
  // The same files as the build again: the build runs.
  unlinkSync(added);
  expect(compiledMain(await lifeboat(['--help']))).toBe(true);

  const deleted = join(copy, 'cli/deleted-after-build.ts');
  writeFileSync(deleted, 'export const deleted = 1;\n');
  expect((await build()).code).toBe(0);
  unlinkSync(deleted);
  expect(sourceMain(await lifeboat(['--help']))).toBe(true);
});

test('with no build, or with LIFEBOAT_FROM_SOURCE=1, lifeboat runs the TypeScript', async () => {
  expect((await build()).code).toBe(0);
  const forced = await lifeboat(['runbooks'], { LIFEBOAT_FROM_SOURCE: '1' });
  expect(forced.code).toBe(0);
  expect(forced.stdout).toContain('paging-check');
  expect(sourceMain(forced)).toBe(true);

  rmSync(join(copy, '.build'), { recursive: true });
  const unbuilt = await lifeboat(['runbooks']);
  expect(unbuilt.code).toBe(0);
  expect(unbuilt.stdout).toContain('paging-check');
  expect(sourceMain(unbuilt)).toBe(true);
});

test('--help loads no command; a command loads only its own module, and finds the checkout from the build', async () => {
  expect((await build()).code).toBe(0);
  const commandModules = (r: Ran) => r.loaded.filter((f) => /cli\/commands\/(?!index\.js)[^/]+\.js$/.test(f)).map((f) => f.replace(/.*\//, ''));
  const help = await lifeboat(['--help']);
  expect(commandModules(help)).toEqual([]);
  expect(help.loaded.filter((f) => f.includes('/node_modules/'))).toEqual([]);

  const status = await lifeboat(['status']);
  expect(status.code).toBe(2);
  expect(status.stderr).toContain('name the run');
  expect(compiledMain(status)).toBe(true);
  expect(commandModules(status)).toEqual(['status.js']);
  expect(status.loaded.some((f) => f.includes('/@temporalio/worker/'))).toBe(false);

  // The compiled code names its TypeScript source as its own file, so paths found next to it are the checkout's.
  const paths = await run([
    '-e',
    `console.log(require(require('node:path').join(process.argv[1], 'lib/paths.js')).repoRoot)`,
    join(copy, '.build', buildName()),
  ]);
  expect(paths.stdout.trim()).toBe(copy);
});

test('a relative require of a file that is not TypeScript fails the build, naming it', async () => {
  const importer = join(copy, 'cli/reads-json.ts');
  writeFileSync(importer, "import data from './data.json';\nexport const value = data;\n");
  writeFileSync(join(copy, 'cli/data.json'), '{}\n');
  try {
    const failed = await build();
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('cli/reads-json.ts: require("./data.json")');
  } finally {
    unlinkSync(importer);
    unlinkSync(join(copy, 'cli/data.json'));
  }
});

function buildName(): string {
  return (JSON.parse(readFileSync(join(copy, '.build/current.json'), 'utf8')) as { build: string }).build;
}
