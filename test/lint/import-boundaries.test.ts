import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { expect, test } from 'vitest';

const root = resolve(__dirname, '../..');

/** ESLint with only the layout's boundary rule (`npm run lint` runs it over the tree), to check what it refuses. */
async function boundaryLinter(): Promise<ESLint> {
  // The config is plain ESM without types; its rule is taken as ESLint's plugin API describes one.
  const config = (await import(pathToFileURL(resolve(root, 'eslint.config.mjs')).href)) as { importBoundaries: NonNullable<ESLint.Plugin['rules']>[string] };
  const { importBoundaries } = config;
  return new ESLint({
    cwd: root,
    overrideConfigFile: true,
    overrideConfig: [
      { ignores: ['node_modules/', '.bundle/', '.tools/', '.state/'] },
      {
        files: ['**/*.ts'],
        languageOptions: { parser: tseslint.parser },
        plugins: { lifeboat: { rules: { 'import-boundaries': importBoundaries } } },
        rules: { 'lifeboat/import-boundaries': 'error' },
      },
    ],
  });
}

async function problems(eslint: ESLint, file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: resolve(root, file) });
  return result!.messages.map((m) => m.message);
}

test('the boundary rule refuses deep kit imports and the estate from outside its provider, and allows the rest', async () => {
  const eslint = await boundaryLinter();
  expect(await problems(eslint, 'cli/x.ts', "import { Run } from '../kit/run';")).toEqual([
    'Import the kit through one of its two doors (../kit or ../kit/trust), not ../kit/run: kit/index.ts and kit/trust.ts are its public surface.',
  ]);
  expect(await problems(eslint, 'workflows/x.ts', "export { Run } from '../kit/run';")).toHaveLength(1);
  expect(await problems(eslint, 'cli/x.ts', "import { rosterDigest } from '../kit/trust';")).toEqual([]);
  expect(await problems(eslint, 'cli/x.ts', "import { Run } from '../kit';")).toEqual([]);
  expect(await problems(eslint, 'kit/x.ts', "import { Run } from './run';")).toEqual([]);
  expect(await problems(eslint, 'activities/x.ts', "import { startEstate } from '../estate/estate';")).toEqual([
    '../estate/estate is the sample estate: only estate/ and providers/sample-estate/ import it (tests and benches too); go through the sample-estate provider.',
  ]);
  expect(await problems(eslint, 'activities/x.ts', "const m = import('../estate/catalog');")).toHaveLength(1);
  expect(await problems(eslint, 'activities/x.ts', "import { estateActivities } from './estate';")).toEqual([]);
  expect(await problems(eslint, 'providers/sample-estate/x.ts', "import { startEstate } from '../../estate/estate';")).toEqual([]);
  expect(await problems(eslint, 'test/x.test.ts', "import { withEstate } from '../estate/testing';")).toEqual([]);
});

test('the estate imports nothing from Lifeboat, lib/ nothing from the CLI, and activities no sample-estate code', async () => {
  const eslint = await boundaryLinter();
  for (const [from, source] of [
    ['activities/booking', "import { createBookingActivities } from '../activities/booking';"],
    ['providers/haproxy/runtime-api', "import { haproxyCommand } from '../providers/haproxy/runtime-api';"],
    ['lib/child-env', "import { childEnv } from '../lib/child-env';"],
    ['cli/errors', "import { CliError } from '../cli/errors';"],
    ['kit', "import { Run } from '../kit';"],
  ] as const) {
    expect(await problems(eslint, 'estate/x.ts', source), from).toEqual([
      `../${from} is outside the sample estate: estate/ imports nothing from Lifeboat, which reaches it through providers/sample-estate/, never the other way; give the estate its own small helper.`,
    ]);
  }
  expect(await problems(eslint, 'estate/booking/x.ts', "const m = import('../../providers/targets/load');")).toHaveLength(1);
  expect(await problems(eslint, 'estate/booking/x.ts', "import { HttpError } from '../http-util';")).toEqual([]);

  expect(await problems(eslint, 'lib/x.ts', "import { CliError } from '../cli/errors';")).toEqual([
    '../cli/errors is the CLI: lib/ is the runtime the CLI and the worker share and never imports cli/; move what both need into lib/.',
  ]);
  expect(await problems(eslint, 'lib/x.ts', "import { startDevServer } from '../dev/dev-server';")).toEqual([
    '../dev/dev-server is developer or test tooling: lib/ is product runtime and never imports dev/ or test/; move what the runtime needs into lib/.',
  ]);
  expect(await problems(eslint, 'lib/x.ts', "import { startClusterServer } from '../test/support/cluster-server';")).toHaveLength(1);
  expect(await problems(eslint, 'lib/codec/x.ts', "export { handleError } from '../../cli/errors';")).toHaveLength(1);
  expect(await problems(eslint, 'cli/x.ts', "import { CliError } from '../lib/command-error';")).toEqual([]);

  expect(await problems(eslint, 'activities/x.ts', "import { countLostAcknowledged } from '../providers/sample-estate/load-counter';")).toEqual([
    '../providers/sample-estate/load-counter is the sample-estate provider: activities reach its drills through the provider registry (need(service, "sampleEstate")), like every provider.',
  ]);
  expect(await problems(eslint, 'activities/x.ts', "import type { LoadLoss } from '../providers/contracts/isolated-drills';")).toEqual([]);
  expect(await problems(eslint, 'providers/registry.ts', "import { createSampleEstateDrills } from './sample-estate/drills';")).toEqual([]);
});

test('the tree holds those boundaries: no file in estate/, lib/ or activities/ crosses them', async () => {
  const eslint = await boundaryLinter();
  const results = await eslint.lintFiles(['estate/**/*.ts', 'lib/**/*.ts', 'activities/**/*.ts']);
  expect(results.length).toBeGreaterThan(40);
  const crossings = results.flatMap((r) => r.messages.map((m) => `${r.filePath.slice(root.length + 1)}: ${m.message}`));
  expect(crossings).toEqual([]);
});
