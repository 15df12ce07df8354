import { inject } from 'vitest';
import type { TrustRoot } from '../../lib/roster-seal';
import { readTrustRoot } from '../../lib/trust-root';
import { sealRosterWithKeys, testRosterAdmins } from './roster-seal-core';

export { testRosterAdmins } from './roster-seal-core';

/**
 * Seals a roster a test wrote (or changed) with the test roster admins' signatures, as the admins would after
 * reviewing it; without this the worker refuses the roster. Returns the digest sealed.
 */
export function sealTestRoster(rosterPath: string, admins: readonly string[] = testRosterAdmins): Promise<string> {
  return sealRosterWithKeys(rosterPath, inject('testKeysDir'), admins);
}

/** The trust root every test worker is given (the global setup also sets LIFEBOAT_TRUST_ROOT to its file). */
export function testTrustRoot(): TrustRoot {
  return readTrustRoot(inject('testTrustRootPath'));
}
