import { parsePublicKeyLine, Roster, rosterDigest, verifySshSignature } from '../../kit/trust';
import { lifeboatNamespace, signStatement } from '../ssh-keys';
import type { EvidenceManifest } from './manifest';

/**
 * The seal of a bundle: an SSH signature (namespace `lifeboat`) of the manifest file's exact bytes by the worker's
 * archive signer. The signer is a roster person in no group: listed, so an auditor can tell whose key sealed the
 * archive, and in no group, so no gate ever counts that key as an approval. An auditor can check a seal with
 * `ssh-keygen -Y verify -n lifeboat -I <signer> -f allowed_signers -s manifest.json.sig < manifest.json`.
 */

/** The worker's archive signer: its roster id and the private key file that signs as it. */
export interface ArchiveSigner {
  id: string;
  keyFile: string;
}

/** Signs the manifest's text as the archive signer; the armoured signature is the bundle's `manifest.json.sig`. */
export async function sealManifest(text: string, signer: ArchiveSigner): Promise<string> {
  return signStatement(text, signer.keyFile);
}

/**
 * Why a seal does not verify, or undefined when it does. `rosterBytes` is the bundle's own roster file: it must be
 * the roster the manifest names (by digest), list the signer the manifest names with the key that made the signature,
 * and put that signer in no group. Never throws.
 */
export function sealProblem(manifest: EvidenceManifest, manifestBytes: Uint8Array, signature: string, rosterBytes: Uint8Array | undefined): string | undefined {
  if (rosterBytes === undefined) return 'the bundle holds no roster.json to check its seal against';
  let roster: Roster;
  try {
    roster = Roster.parse(JSON.parse(new TextDecoder().decode(rosterBytes)));
  } catch {
    return 'roster.json is not a roster';
  }
  const digest = rosterDigest(roster);
  if (digest !== manifest.rosterDigest) return `roster.json is the roster ${digest}, but the manifest names ${manifest.rosterDigest}`;
  const by = manifest.sealedBy;
  const person = roster.people.find((p) => p.id === by);
  if (!person) return `the seal names ${by}, whom the roster ${manifest.rosterDigest} does not list`;
  if (person.groups.length > 0)
    return `the seal names ${by}, who is in group ${person.groups.join(', ')}: an archive signer may sign, never approve, so it must be in no group`;
  const verified = verifySshSignature(signature, manifestBytes, lifeboatNamespace);
  if (!verified.ok) return `the seal does not verify: ${verified.reason}`;
  const listed = person.keys.some((line) => {
    const key = parsePublicKeyLine(line);
    return key.ok && key.key.fingerprint === verified.publicKey.fingerprint;
  });
  if (!listed) return `the seal is made with a key (${verified.publicKey.fingerprint}) the roster does not list for ${by}`;
  return undefined;
}
