#!/usr/bin/env node
// Runs the compiled CLI (.build/, made by `npm run build` and at every `npm install`) when it was built from exactly
// the sources in this checkout, so a command starts in a fraction of the time. Otherwise (after any edit, with no
// build, or with LIFEBOAT_FROM_SOURCE=1) runs the TypeScript straight from the checkout through tsx, as before.
async function entry() {
  const compiled = process.env.LIFEBOAT_FROM_SOURCE === '1' ? undefined : require('./compiled-cli').freshCompiledMain();
  if (compiled) return require(compiled);
  require('tsx/cjs/api').register();
  // The CLI loads each command with import() when it runs; tsx's CommonJS hook alone does not see import().
  (await import('tsx/esm/api')).register();
  return require('../cli/main.ts');
}

entry()
  .then((cli) => cli.main(process.argv.slice(2)))
  .then((code) => {
    process.exitCode = code;
  });
