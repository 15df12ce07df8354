import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import ts from 'typescript';
import { expect, test } from 'vitest';

const root = resolve(__dirname, '../..');

/** The repository's own TypeScript files, tracked or new (fixtures of other builds aside). */
function sourceFiles(): string[] {
  return execFileSync('git', ['ls-files', '-co', '--exclude-standard', '*.ts'], { cwd: root, encoding: 'utf8' })
    .split('\n')
    .filter((f) => f && !f.startsWith('test/fixtures/') && existsSync(resolve(root, f)));
}

/** The file a relative import names, as TypeScript resolves it (`./x` is x.ts or x/index.ts). */
function resolved(from: string, specifier: string): string | undefined {
  const base = resolve(root, dirname(from), specifier);
  const found = [`${base}.ts`, `${base}/index.ts`, base].find((c) => existsSync(c) && statSync(c).isFile());
  return found && relative(root, found);
}

/** Every file's relative imports and re-exports, type-only ones included: a type circle still ties two files together. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles()) {
    const source = ts.createSourceFile(file, readFileSync(resolve(root, file), 'utf8'), ts.ScriptTarget.ES2022);
    const targets: string[] = [];
    for (const statement of source.statements) {
      if (!(ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) || !statement.moduleSpecifier) continue;
      const specifier = (statement.moduleSpecifier as ts.StringLiteral).text;
      const target = specifier.startsWith('.') ? resolved(file, specifier) : undefined;
      if (target) targets.push(target);
    }
    graph.set(file, targets);
  }
  return graph;
}

/** Each circle found by a depth-first walk, written `a -> b -> a`. */
function circles(graph: Map<string, string[]>): string[] {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const found = new Set<string>();
  const visit = (file: string) => {
    state.set(file, 'open');
    path.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') found.add([...path.slice(path.indexOf(next)), next].join(' -> '));
      else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return [...found];
}

test('no two files of the repository import each other in a circle, type-only imports included', () => {
  const graph = importGraph();
  expect(graph.size).toBeGreaterThan(300);
  expect(graph.get('kit/index.ts')?.length).toBeGreaterThan(5);
  expect(circles(graph)).toEqual([]);
});

test('the walk finds a circle when there is one', () => {
  const graph = new Map([
    ['a.ts', ['b.ts']],
    ['b.ts', ['c.ts']],
    ['c.ts', ['a.ts']],
    ['d.ts', ['a.ts']],
  ]);
  expect(circles(graph)).toEqual(['a.ts -> b.ts -> c.ts -> a.ts']);
});
