import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import ts from 'typescript';
import { expect, test } from 'vitest';

const root = resolve(__dirname, '../..');

/** The names a module exports, as the type checker sees them (re-exports and `export *` followed). */
function exportedNames(entry: string): string[] {
  const program = ts.createProgram([resolve(root, entry)], { strict: true, esModuleInterop: true, skipLibCheck: true, noEmit: true });
  const checker = program.getTypeChecker();
  const module = checker.getSymbolAtLocation(program.getSourceFile(resolve(root, entry))!)!;
  return checker.getExportsOfModule(module).map((s) => s.name);
}

// Recovery plans brought their own names to the runbook door (the plan's definition, its run and what it shows of its
// members), so its bound is 55; the trust door takes the rest.
test('the runbook door stays small (at most 55 names), and the two doors share none', () => {
  const runbookDoor = exportedNames('kit/index.ts');
  const trustDoor = exportedNames('kit/trust.ts');
  expect(runbookDoor.length).toBeGreaterThan(20);
  expect(runbookDoor.length).toBeLessThanOrEqual(55);
  expect(runbookDoor).toEqual(expect.arrayContaining(['defineRunbook', 'step', 'gate', 'runRunbook', 'RunbookRun', 'statusQuery']));
  expect(trustDoor).toEqual(expect.arrayContaining(['Roster', 'verifySignedDecision', 'statementText', 'planOf']));
  expect(runbookDoor.filter((name) => trustDoor.includes(name))).toEqual([]);
});

test('runbook and recovery plan definitions need only the runbook door', () => {
  const throughTrust = ['runbooks', 'plans'].flatMap((folder) =>
    readdirSync(resolve(root, folder))
      .filter((f) => f.endsWith('.ts'))
      .filter((f) => /from '\.\.\/kit\/trust'/.test(readFileSync(resolve(root, folder, f), 'utf8')))
      .map((f) => `${folder}/${f}`),
  );
  expect(throughTrust).toEqual([]);
});
