// @ts-check
'use strict';
/**
 * The compiled CLI: where `npm run build` puts it, and whether it still matches the TypeScript sources.
 *
 * The bin runs the compiled code only when it was built from exactly the sources in the checkout now; after any edit
 * it runs the sources through tsx instead, so a change is never hidden behind an older build. Plain JavaScript,
 * because the bin reads it before anything can compile TypeScript, and cheap: it lists the source folders and stats
 * each file (a few milliseconds for the whole tree), it reads none of them.
 */
const { createHash } = require('node:crypto');
const { readdirSync, readFileSync, statSync } = require('node:fs');
const { join, relative } = require('node:path');

const root = join(__dirname, '..');

/**
 * Git-ignored folder of the compiled JavaScript. Each build writes a folder of its own in it, laid out as the sources
 * are (cli/main.ts becomes .build/<build>/cli/main.js), so a build never rewrites files a running command loads.
 */
const buildDir = join(root, '.build');

/** Names the current build and the fingerprint of the sources it compiled; written last, by renaming. */
const stampPath = join(buildDir, 'current.json');

/** Top-level folders whose TypeScript never runs compiled: vitest and tsx run tests, benchmarks and the chaos suite from source. */
const notCompiled = new Set(['test', 'bench', 'chaos']);

/**
 * Besides the TypeScript: files that change what the compiler emits (tsconfig.json, the module type in package.json,
 * the build script) and this file, which says how the build is checked.
 */
const buildInputs = ['tsconfig.json', 'package.json', 'scripts/build-cli.js', 'bin/compiled-cli.js'];

/**
 * Every TypeScript file the build compiles: the whole checkout but tests, benchmarks, node_modules and dot folders
 * (.build, .state, .tools), so whatever the CLI imports is compiled, whichever folder it lives in.
 * @param {string} [dir]
 * @param {string[]} [found]
 * @returns {string[]}
 */
function sourceFiles(dir = root, found = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules' || (dir === root && notCompiled.has(entry.name))) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) sourceFiles(path, found);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) found.push(path);
  }
  return found;
}

/**
 * The sources as they are now: where the checkout is (the compiled code names its source files), and each file's
 * path, modification time and size. Any edit, new file, deleted file or rename changes it; equal fingerprints mean
 * the build was made from these very files.
 * @param {string[]} [files]
 * @returns {string}
 */
function fingerprint(files = sourceFiles()) {
  const hash = createHash('sha256');
  hash.update(`${root}\n`);
  for (const file of [...files.map((f) => relative(root, f)), ...buildInputs].sort()) {
    const stat = statSync(join(root, file), { throwIfNoEntry: false });
    hash.update(`${file}\0${stat ? `${stat.mtimeMs}\0${stat.size}` : 'missing'}\n`);
  }
  return hash.digest('hex');
}

/**
 * The compiled `cli/main.js` when the current build matches the sources now; undefined when there is no build, or
 * it was made from other sources (older or newer ones).
 * @returns {string | undefined}
 */
function freshCompiledMain() {
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(stampPath, 'utf8'));
  } catch {
    return undefined;
  }
  return stamp && typeof stamp.build === 'string' && stamp.fingerprint === fingerprint() ? join(buildDir, stamp.build, 'cli', 'main.js') : undefined;
}

module.exports = { root, buildDir, stampPath, sourceFiles, fingerprint, freshCompiledMain };
