#!/usr/bin/env node
// Runs the TypeScript CLI straight from a checkout: no build step, no global install.
require('tsx/cjs/api').register();
require('../cli/main.ts')
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
