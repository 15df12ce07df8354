import { ensureSystemPackages, estatePackages, testPackages } from '../dev/system-packages';

/**
 * The setup's system packages: what the sample estate runs on and what the tests need (`--estate` for the estate's
 * only). As root with apt-get it installs what is missing; elsewhere it prints the command. Exits 1 when something
 * is still missing, so the setup can say so.
 */
ensureSystemPackages({ packages: process.argv.includes('--estate') ? estatePackages : testPackages, log: (line) => console.log(line) })
  .then(({ missing }) => {
    if (missing.length) process.exitCode = 1;
  })
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
