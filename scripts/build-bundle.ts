import { buildBundle } from '../lib/workflow-bundle';

/** Prebuilds the workflow bundle so workers start without bundling (checked against the sources at start). */
buildBundle()
  .then((path) => console.log(`workflow bundle written to ${path}`))
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
