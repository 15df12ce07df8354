import { randomBytes } from 'node:crypto';
import { expect, test } from 'vitest';
import { signSshSignatureEd25519, verifySshSignature } from '../../kit/trust';
import { nodeEd25519 } from '../../lib/node-ed25519';

/*
 * The CLI signs with Node's Ed25519, the kit's tests and the browser with the portable one. Ed25519 is deterministic,
 * so the two must give the very same signature: a decision signed by the CLI is the one the workflow verifies.
 */

test("Node's Ed25519 gives the same public key and the same SSH signature as the portable one, and the kit verifies it", () => {
  for (let i = 0; i < 5; i++) {
    const seed = new Uint8Array(randomBytes(32));
    const statement = `approve gate ${i} of region-failover/booking`;
    const byNode = signSshSignatureEd25519(seed, statement, 'lifeboat', nodeEd25519);
    expect(byNode).toBe(signSshSignatureEd25519(seed, statement, 'lifeboat'));
    const verdict = verifySshSignature(byNode, statement, 'lifeboat');
    expect(verdict).toMatchObject({ ok: true });
    expect(verifySshSignature(byNode, `${statement}!`, 'lifeboat')).toMatchObject({ ok: false });
  }
});
