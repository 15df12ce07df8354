import { join } from 'node:path';
import type { Client, WorkflowClientInterceptor } from '@temporalio/client';
import { inject } from 'vitest';
import type { SignedDecision, Statement } from '../../kit/trust';
import { KeyFolderSigner, signedStartWith, signingInterceptor as interceptorWith } from './signing-core';

export { decisionStatement, statementOf } from './signing-core';

/** People with a test key: the sample roster's five, plus mallory, whose key no roster lists. */
export const testPeople = ['alice', 'bob', 'carol', 'dave', 'erin', 'mallory'] as const;

let signer: KeyFolderSigner | undefined;
const testSigner = () => (signer ??= new KeyFolderSigner(inject('testKeysDir')));

/** The private key file of a test person, for `--key`. */
export function testKeyFile(who: string): string {
  return join(inject('testKeysDir'), who);
}

/** Signs a statement with `signer`'s test key (by default the person the statement names). */
export function signAs(statement: Statement, by: string = statement.by): SignedDecision {
  return testSigner().sign(statement, by);
}

/** The signed start of a run, as `lifeboat run` makes it. */
export function signedStart(opts: Parameters<typeof signedStartWith>[1]): SignedDecision {
  return signedStartWith(testSigner(), opts);
}

/** The test client's interceptor: signs old-shaped starts and decisions with the test people's keys. */
export function signingInterceptor(raw: () => Client, namespace = 'default'): WorkflowClientInterceptor {
  return interceptorWith(testSigner(), raw, namespace);
}
