// ESLint for Lifeboat: a few rules that catch real bugs and hold the layout, no style rules (Prettier formats).
// Run it with `npm run lint`.
import { builtinModules } from 'node:module';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import prettier from 'eslint-config-prettier/flat';
import tseslint from 'typescript-eslint';

const root = dirname(fileURLToPath(import.meta.url));

/** Where a file is, relative to the repository, with forward slashes: `kit/steps.ts`. */
const repoPath = (file) => relative(root, file).split('\\').join('/');
/** The kit's two doors: `kit` (index.ts, for writing runbooks) and `kit/trust` (trust.ts, for the CLI, lib and the console). */
const kitDoors = ['kit', 'kit/index', 'kit/trust'];
const within = (path, folder) => path === folder || path.startsWith(`${folder}/`);

/**
 * Who may import the sample estate (`estate/**`): the estate itself and its provider, which the rest of Lifeboat
 * reaches it through (issue 12: only the sample provider touches the estate). Tests and benches may too: they run
 * the sample estate as the system under test, and test/estate tests it directly; so may `npm run estate`
 * (dev/estate/), the developer's console for the estate, which looks at it through Lifeboat's adapters.
 */
const estateImporters = ['estate', 'providers/sample-estate', 'dev/estate', 'test', 'bench', 'chaos'];

/**
 * The boundaries of the layout, checked on the resolved path of every import, export-from and `import()`:
 * nothing outside the kit reaches into it past its two doors; nothing but the sample provider reaches the estate, and the
 * estate reaches nothing of Lifeboat's (it stands in for another company's systems); lib/, the runtime the CLI and the
 * worker share, never imports the CLI; and activities reach the sample estate's drills only through the provider
 * registry, like every other provider. Exported for test/lint, which checks what it refuses.
 */
export const importBoundaries = {
  meta: {
    type: 'problem',
    docs: { description: 'keeps the kit behind its two doors (kit/index.ts, kit/trust.ts), the sample estate behind its provider, and lib/ below the CLI' },
    schema: [],
    messages: {
      deepKit:
        'Import the kit through one of its two doors ({{entry}} or {{entry}}/trust), not {{source}}: kit/index.ts and kit/trust.ts are its public surface.',
      estate:
        '{{source}} is the sample estate: only estate/ and providers/sample-estate/ import it (tests and benches too); go through the sample-estate provider.',
      estateOutward:
        '{{source}} is outside the sample estate: estate/ imports nothing from Lifeboat, which reaches it through providers/sample-estate/, never the other way; give the estate its own small helper.',
      libToTooling: '{{source}} is developer or test tooling: lib/ is product runtime and never imports dev/ or test/; move what the runtime needs into lib/.',
      libToCli: '{{source}} is the CLI: lib/ is the runtime the CLI and the worker share and never imports cli/; move what both need into lib/.',
      sampleFromActivities:
        '{{source}} is the sample-estate provider: activities reach its drills through the provider registry (need(service, "sampleEstate")), like every provider.',
    },
  },
  create(context) {
    const file = repoPath(context.filename);
    const check = (node) => {
      const source = node.source;
      if (!source || source.type !== 'Literal' || typeof source.value !== 'string' || !source.value.startsWith('.')) return;
      const target = repoPath(resolve(dirname(context.filename), source.value)).replace(/\.(ts|js)$/, '');
      if (within(target, 'kit') && !within(file, 'kit') && !kitDoors.includes(target)) {
        const entry = relative(dirname(context.filename), resolve(root, 'kit')).split('\\').join('/');
        context.report({ node: source, messageId: 'deepKit', data: { source: source.value, entry: entry.startsWith('.') ? entry : `./${entry}` } });
      }
      if (within(target, 'estate') && !estateImporters.some((f) => within(file, f))) {
        context.report({ node: source, messageId: 'estate', data: { source: source.value } });
      }
      if (within(file, 'estate') && !within(target, 'estate')) {
        context.report({ node: source, messageId: 'estateOutward', data: { source: source.value } });
      }
      if (within(file, 'lib') && within(target, 'cli')) {
        context.report({ node: source, messageId: 'libToCli', data: { source: source.value } });
      }
      if (within(file, 'lib') && (within(target, 'dev') || within(target, 'test'))) {
        context.report({ node: source, messageId: 'libToTooling', data: { source: source.value } });
      }
      if (within(file, 'activities') && within(target, 'providers/sample-estate')) {
        context.report({ node: source, messageId: 'sampleFromActivities', data: { source: source.value } });
      }
    };
    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check, ImportExpression: check };
  },
};

const nodeBuiltins = builtinModules.filter((m) => !m.startsWith('_'));

/** The browser's globals the console's modules use (cli/console/static); JavaScript's own, such as `Promise`, need no listing. */
const browserGlobals = [
  ...['window', 'document', 'location', 'history', 'navigator', 'localStorage', 'crypto', 'fetch', 'EventSource', 'setTimeout', 'clearTimeout'],
  ...['atob', 'btoa', 'TextEncoder', 'URL', 'URLSearchParams', 'Blob', 'Node'],
  ...['HTMLElement', 'HTMLInputElement', 'HTMLSelectElement', 'HTMLTextAreaElement', 'HTMLButtonElement'],
];

export default tseslint.config(
  {
    // Plain JavaScript is left alone, except the console's browser modules, which a block below lints.
    ignores: ['node_modules/', '.bundle/', '.build/', '.tools/', '.state/', 'coverage/', '**/*.js', '**/*.mjs', '**/*.cjs', '!cli/console/static/**/*.js'],
  },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: root },
    },
    plugins: { '@typescript-eslint': tseslint.plugin, lifeboat: { rules: { 'import-boundaries': importBoundaries } } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // A promise nobody awaits fails silently; `void` marks fire-and-forget where that is meant.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      'lifeboat/import-boundaries': 'error',
    },
  },
  {
    // Workflow code runs in Temporal's sandbox and runbooks are loaded into it: no Node built-ins, not even for types.
    files: ['workflows/**/*.ts', 'runbooks/**/*.ts', 'plans/**/*.ts', 'kit/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'workflow code runs in the Temporal sandbox: no Node built-ins (do it in an activity)' })),
          patterns: [{ group: ['node:*'], message: 'workflow code runs in the Temporal sandbox: no Node built-ins (do it in an activity)' }],
        },
      ],
    },
  },
  {
    // The console's browser modules (ES modules, `// @ts-check`): linted with type information from their own tsconfig
    // (DOM, no Node), and allowed only the browser globals they use, so a stray Node name or a new browser API on a
    // page that signs is seen in review.
    files: ['cli/console/static/**/*.js'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: root },
      sourceType: 'module',
      globals: Object.fromEntries(browserGlobals.map((name) => [name, 'readonly'])),
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      'no-undef': 'error',
    },
  },
  // Last, so no rule added later can fight Prettier's formatting.
  prettier,
);
