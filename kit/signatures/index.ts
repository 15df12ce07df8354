/**
 * SSH signatures for workflow code: parse the keys listed for a person, verify an `ssh-keygen -Y sign`
 * signature deterministically inside the sandbox, and sign in-process for tests and the demo.
 * Nothing here touches Node built-ins, so all of it may enter the workflow bundle.
 */
export { decodeBase64, encodeBase64 } from './base64';
export {
  fingerprintOf,
  minRsaBits,
  parsePublicKey,
  parsePublicKeyLine,
  sameKey,
  SshKeyError,
  supportedKeyTypes,
  type ParsedKey,
  type PublicKeyLineResult,
  type SshKeyType,
} from './ssh-public-key';
export { maxArmoredSignatureLength, verifySshSignature, type SshSignatureResult, type SshsigHashAlgorithm } from './sshsig';
export { signSshSignatureEd25519 } from './sshsig-sign';
