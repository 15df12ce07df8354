#!/usr/bin/env node
// @ts-check
'use strict';
/**
 * `npm run build` (and every `npm install`): compiles the TypeScript into .build/ so `lifeboat` starts without
 * transpiling at every call. Each file is compiled on its own, as tsx compiles it when it runs the sources, with the
 * very esbuild tsx uses, so the compiled CLI behaves as the sources do; it takes about a second, where tsc took 18 to
 * 35 s on this shared machine even with --noCheck (types are checked by `npm run typecheck`, not here). The workflow code a worker serves
 * is still bundled from the TypeScript sources (lib/workflow-bundle.ts): replay and the bundle's source hash do not
 * depend on this build.
 */
const { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } = require('node:fs');
const { basename, dirname, join, relative, resolve } = require('node:path');
const { buildDir, fingerprint, root, sourceFiles, stampPath } = require('../bin/compiled-cli');

/** esbuild as tsx resolves it: a dependency of tsx, so it is there whenever the sources can run at all. */
function esbuild() {
  return require(require.resolve('esbuild', { paths: [dirname(require.resolve('tsx'))] }));
}

/** Builds kept besides the current one, for commands still running from them. */
const KEEP_PREVIOUS = 2;

/**
 * Compiles one file to CommonJS. `__dirname` and `__filename` keep naming the TypeScript source, as under tsx, so
 * code that finds files next to itself (the console's static files, the checkout's root) finds the same ones; a moved
 * checkout changes the fingerprint (it names the root), so these paths are never used from elsewhere.
 * @param {ReturnType<typeof esbuild>} compiler
 * @param {object} compilerOptions
 * @param {string} outDir
 * @param {string} source
 */
async function compile(compiler, compilerOptions, outDir, source) {
  const { code, map } = await compiler.transform(readFileSync(source, 'utf8'), {
    loader: 'ts',
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    sourcefile: source,
    tsconfigRaw: { compilerOptions },
    define: { __dirname: JSON.stringify(dirname(source)), __filename: JSON.stringify(source) },
    // `await import('./status')` loads a command only when it runs; in CommonJS it becomes a require, loaded then.
    supported: { 'dynamic-import': false },
    // Errors point into .build/; NODE_OPTIONS=--enable-source-maps maps them back to the TypeScript.
    sourcemap: 'external',
    sourcesContent: false,
  });
  const output = join(outDir, relative(root, source)).replace(/\.ts$/, '.js');
  mkdirSync(dirname(output), { recursive: true });
  writeFileSync(`${output}.map`, map);
  writeFileSync(output, `${code}//# sourceMappingURL=${basename(output)}.map\n`);
  return { source, output, code };
}

/**
 * Relative requires that would leave the compiled tree: a require of a file that is not TypeScript (a JSON file, say)
 * resolves against the build's folder, where there is none. package.json is linked in (its version is read so); anything else
 * fails the build here, naming the file, rather than the command that needs it later.
 * @param {{ source: string, output: string, code: string }[]} compiled
 */
function checkRequires(compiled) {
  const missing = [];
  for (const { source, output, code } of compiled) {
    for (const [, specifier] of code.matchAll(/\brequire\("(\.{1,2}\/[^"]*)"\)/g)) {
      const target = resolve(dirname(output), specifier);
      if (!['', '.js', '/index.js'].some((ending) => existsSync(`${target}${ending}`))) missing.push(`${relative(root, source)}: require("${specifier}")`);
    }
  }
  if (missing.length) {
    throw new Error(
      `the compiled CLI could not load these (files that are not TypeScript, reached by a relative path); ` +
        `read them with a path from lib/paths.ts instead:\n  ${missing.join('\n  ')}`,
    );
  }
}

/** Removes all but the newest builds; the current one is the newest. */
function prune() {
  const builds = readdirSync(buildDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => ({ path: join(buildDir, entry.name), made: statSync(join(buildDir, entry.name)).mtimeMs }))
    .sort((a, b) => b.made - a.made);
  for (const old of builds.slice(1 + KEEP_PREVIOUS)) rmSync(old.path, { recursive: true, force: true });
}

async function build() {
  const started = Date.now();
  const files = sourceFiles();
  // Taken before compiling: a file edited while the build runs makes the stamp disagree, and the bin uses the sources.
  const before = fingerprint(files);
  // A folder of its own: commands running from the current build keep loading from it while this one is written.
  const name = `${Date.now().toString(36)}-${process.pid}`;
  const outDir = join(buildDir, name);
  mkdirSync(outDir, { recursive: true });
  symlinkSync(join('..', '..', 'package.json'), join(outDir, 'package.json'));
  const compiler = esbuild();
  const { compilerOptions } = JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8'));
  try {
    checkRequires(await Promise.all(files.map((file) => compile(compiler, compilerOptions, outDir, file))));
  } catch (err) {
    rmSync(outDir, { recursive: true, force: true });
    throw err;
  }
  if (fingerprint(sourceFiles()) !== before) {
    rmSync(outDir, { recursive: true, force: true });
    process.stderr.write('lifeboat build: sources changed while building; lifeboat runs from the sources until the next npm run build\n');
    return;
  }
  const partial = `${stampPath}.${process.pid}`;
  writeFileSync(partial, JSON.stringify({ fingerprint: before, build: name, files: files.length, builtAt: new Date().toISOString() }, null, 2));
  renameSync(partial, stampPath);
  prune();
  process.stderr.write(`lifeboat build: ${files.length} files compiled into .build/${name}/ in ${Date.now() - started} ms\n`);
}

build().catch((err) => {
  process.stderr.write(`lifeboat build failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
