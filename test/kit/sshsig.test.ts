import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { afterAll, expect, test } from 'vitest';
import { generateEd25519KeyPair, readOpenSshEd25519PrivateKey, signStatement, signWithSshKeygen, SshKeyFileError } from '../../lib/ssh-keys';
import {
  concat,
  decodeBase64,
  encodeBase64,
  parsePublicKey,
  parsePublicKeyLine,
  sameKey,
  signSshSignatureEd25519,
  sshsigSignedData,
  sshString,
  uint32,
  verifySshSignature,
} from '../../kit/trust';

// Real ssh-keygen (OpenSSH 9.2) makes the keys and signatures, so these tests check our reading of
// the format against the tool people will actually sign with.
const dir = mkdtempSync(join(tmpdir(), 'lifeboat-sshsig-'));
const started: ChildProcess[] = [];
afterAll(() => {
  for (const child of started) child.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

const statement = 'approve promote-replica for region-failover/booking\n';

function keygen(name: string, ...args: string[]): { path: string; pub: string } {
  const path = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-N', '', '-C', `${name}@test`, '-f', path, ...args]);
  return { path, pub: readFileSync(`${path}.pub`, 'utf8') };
}

function sshSign(keyFile: string, message: string, namespace = 'lifeboat', ...args: string[]): string {
  return execFileSync('ssh-keygen', ['-Y', 'sign', '-n', namespace, '-f', keyFile, ...args], { input: message, stdio: ['pipe', 'pipe', 'ignore'] }).toString();
}

function sshFingerprint(pubFile: string): string {
  return execFileSync('ssh-keygen', ['-lf', pubFile]).toString().split(' ')[1]!;
}

const ed = keygen('ed', '-t', 'ed25519');
const other = keygen('other', '-t', 'ed25519');

for (const [name, args, signatures] of [
  ['ed25519', ['-t', 'ed25519'], 1],
  // OpenSSL does not normalise ECDSA's s, so several signatures make sure a high s is among them.
  ['ecdsa nistp256', ['-t', 'ecdsa', '-b', '256'], 8],
  ['rsa 3072', ['-t', 'rsa', '-b', '3072'], 1],
] as const) {
  test(`a ${name} signature from ssh-keygen verifies and names the key ssh-keygen -l names`, () => {
    const key = keygen(name.replace(/ /g, '-'), ...args);
    const listed = parsePublicKey(key.pub);
    expect(listed.fingerprint).toBe(sshFingerprint(`${key.path}.pub`));
    for (let i = 0; i < signatures; i++) {
      const message = `${statement}#${i}`;
      const result = verifySshSignature(sshSign(key.path, message), message, 'lifeboat');
      expect(result).toMatchObject({ ok: true, publicKey: { type: listed.type, fingerprint: listed.fingerprint } });
      expect(result.ok && sameKey(result.publicKey, listed)).toBe(true);
    }
  });
}

test('a sha256 SSHSIG (-O hashalg=sha256) verifies too', () => {
  expect(verifySshSignature(sshSign(ed.path, statement, 'lifeboat', '-O', 'hashalg=sha256'), statement, 'lifeboat')).toMatchObject({
    ok: true,
    hashAlgorithm: 'sha256',
  });
});

test('an altered message is refused', () => {
  const signature = sshSign(ed.path, statement);
  expect(verifySshSignature(signature, statement.replace('booking', 'billing'), 'lifeboat')).toEqual({ ok: false, reason: 'signature does not match' });
  expect(verifySshSignature(signature, statement.trimEnd(), 'lifeboat').ok).toBe(false);
});

test('a signature made for another namespace is refused by name', () => {
  expect(verifySshSignature(sshSign(ed.path, statement, 'git'), statement, 'lifeboat')).toEqual({
    ok: false,
    reason: 'signed for namespace "git", expected "lifeboat"; sign with -n lifeboat',
  });
});

test('a valid signature from a key not listed for the person does not match their key', () => {
  const result = verifySshSignature(sshSign(other.path, statement), statement, 'lifeboat');
  if (!result.ok) throw new Error(result.reason);
  expect(sameKey(result.publicKey, parsePublicKey(ed.pub))).toBe(false);
  expect(sameKey(result.publicKey.blob, parsePublicKey(other.pub).blob)).toBe(true);
  expect(result.publicKey.fingerprint).not.toBe(parsePublicKey(ed.pub).fingerprint);
});

test('truncated, damaged and foreign armour is refused with a reason, never thrown', () => {
  const signature = sshSign(ed.path, statement);
  const lines = signature.trim().split('\n');
  const cases: Array<[string, RegExp]> = [
    ['', /not an SSH signature/],
    ['hello', /not an SSH signature/],
    [ed.pub, /not an SSH signature/],
    [lines.slice(0, 3).join('\n'), /cut short/],
    [[lines[0], lines[1], lines.at(-1)].join('\n'), /damaged/],
    [[lines[0], 'AAAA', lines.at(-1)].join('\n'), /not an SSH signature/],
    [signature.replace(lines[2]!, lines[2]!.replace(/.$/, '!')), /base64/],
    [
      signature.replace(
        lines[2]!,
        lines[2]!.replace(/[A-Za-z]/, (c) => (c === 'A' ? 'B' : 'A')),
      ),
      /damaged|does not match|cannot be used/,
    ],
    [`${signature}trailing words`, /after/],
    [signature.replace(/^-----BEGIN SSH SIGNATURE-----/, '-----BEGIN PGP SIGNATURE-----'), /not an SSH signature/],
  ];
  for (const [armored, reason] of cases) {
    const result = verifySshSignature(armored, statement, 'lifeboat');
    expect(result.ok, armored).toBe(false);
    expect(!result.ok && result.reason).toMatch(reason);
  }
  expect(verifySshSignature(undefined as unknown as string, statement, 'lifeboat')).toEqual({ ok: false, reason: 'not an SSH signature' });
});

test('an armoured text over 8 KiB is refused unread', () => {
  const signature = sshSign(ed.path, statement);
  const padded = signature.replace('\n-----END', `${'\n'.repeat(9000)}-----END`);
  expect(verifySshSignature(padded, statement, 'lifeboat')).toEqual({ ok: false, reason: expect.stringMatching(/at most 8192/) });
});

test('the in-process ed25519 signer writes exactly what ssh-keygen writes, and ssh-keygen accepts it', () => {
  const { seed } = readOpenSshEd25519PrivateKey(readFileSync(ed.path, 'utf8'));
  const ours = signSshSignatureEd25519(seed, statement, 'lifeboat');
  expect(ours).toBe(sshSign(ed.path, statement));
  expect(verifySshSignature(ours, new TextEncoder().encode(statement), 'lifeboat')).toMatchObject({
    ok: true,
    publicKey: { fingerprint: sshFingerprint(`${ed.path}.pub`) },
  });
  const sigFile = join(dir, 'ours.sig');
  writeFileSync(sigFile, ours);
  const checked = execFileSync('ssh-keygen', ['-Y', 'check-novalidate', '-n', 'lifeboat', '-s', sigFile], { input: statement }).toString();
  expect(checked).toMatch(/Good "lifeboat" signature/);
});

test('an unencrypted ed25519 private key reads back to the public key line of its .pub file', () => {
  expect(readOpenSshEd25519PrivateKey(readFileSync(ed.path, 'utf8')).publicKeyLine).toBe(ed.pub.trim());
});

test('an encrypted or non-ed25519 private key is refused with what to use instead', () => {
  const encrypted = join(dir, 'encrypted');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'secret', '-f', encrypted]);
  expect(() => readOpenSshEd25519PrivateKey(readFileSync(encrypted, 'utf8'))).toThrow(
    'the private key is encrypted (aes256-ctr); use ssh-agent or ssh-keygen for this key (ssh-add it, then sign with the .pub)',
  );
  const ecdsa = keygen('ecdsa-private', '-t', 'ecdsa');
  expect(() => readOpenSshEd25519PrivateKey(readFileSync(ecdsa.path, 'utf8'))).toThrow(/ecdsa-sha2-nistp256 key.*use ssh-agent or ssh-keygen for this key/);
  expect(() => readOpenSshEd25519PrivateKey('-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----')).toThrow(/"RSA PRIVATE KEY" file/);
});

test('ssh-keygen signs through ssh-agent when given only the .pub file', async () => {
  const socket = join(dir, 'agent.sock');
  const agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
  started.push(agent);
  await expect.poll(() => existsSync(socket), { timeout: 5_000 }).toBe(true);
  const env = { PATH: process.env.PATH, SSH_AUTH_SOCK: socket, SSH_ASKPASS: join(dir, 'askpass.sh'), SSH_ASKPASS_REQUIRE: 'force' };
  writeFileSync(env.SSH_ASKPASS, '#!/bin/sh\necho secret\n', { mode: 0o700 });

  const agentOnly = keygen('agent-only', '-t', 'ed25519');
  const encrypted = join(dir, 'agent-encrypted');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'secret', '-f', encrypted]);
  execFileSync('ssh-add', [agentOnly.path, encrypted], { env, stdio: 'ignore' });
  unlinkSync(agentOnly.path);

  const saved = process.env.SSH_AUTH_SOCK;
  process.env.SSH_AUTH_SOCK = socket;
  try {
    const viaPub = await signWithSshKeygen(statement, { keyFile: `${agentOnly.path}.pub` });
    expect(verifySshSignature(viaPub, statement, 'lifeboat')).toMatchObject({
      ok: true,
      publicKey: { fingerprint: parsePublicKey(agentOnly.pub).fingerprint },
    });
    // An encrypted key cannot be signed in-process; signStatement falls back to ssh-keygen, which finds it in the agent.
    const viaFallback = await signStatement(statement, encrypted);
    expect(verifySshSignature(viaFallback, statement, 'lifeboat')).toMatchObject({
      ok: true,
      publicKey: { fingerprint: parsePublicKey(readFileSync(`${encrypted}.pub`, 'utf8')).fingerprint },
    });
  } finally {
    if (saved === undefined) delete process.env.SSH_AUTH_SOCK;
    else process.env.SSH_AUTH_SOCK = saved;
  }
});

test('signWithSshKeygen failures name the key file and what to do', async () => {
  const missing = join(dir, 'no-such-key');
  await expect(signWithSshKeygen(statement, { keyFile: missing })).rejects.toThrow(new RegExp(`could not sign with ${missing}.*check the path`));
  const encrypted = join(dir, 'encrypted-no-agent');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'secret', '-f', encrypted]);
  const saved = process.env.SSH_AUTH_SOCK;
  delete process.env.SSH_AUTH_SOCK;
  try {
    const failure = await signWithSshKeygen(statement, { keyFile: encrypted }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(SshKeyFileError);
    expect((failure as SshKeyFileError).suggestion).toBe(
      `load the key into ssh-agent (ssh-add ${encrypted}) and keep SSH_AUTH_SOCK set, or sign from a terminal`,
    );
  } finally {
    if (saved !== undefined) process.env.SSH_AUTH_SOCK = saved;
  }
});

test('signStatement signs an unencrypted ed25519 key in-process, identically to ssh-keygen', async () => {
  expect(await signStatement(statement, ed.path)).toBe(sshSign(ed.path, statement));
});

test('generateEd25519KeyPair makes a key once and returns the same key after', async () => {
  const keys = join(dir, 'demo-keys');
  const first = await generateEd25519KeyPair(keys, 'alice');
  const again = await generateEd25519KeyPair(keys, 'alice');
  expect(again).toEqual(first);
  expect(first.publicKeyLine).toBe(readFileSync(`${first.privateKeyPath}.pub`, 'utf8').trim());
  expect(first.publicKeyLine).toMatch(/ alice@lifeboat-demo$/);
  await expect(generateEd25519KeyPair(keys, '../escape')).rejects.toThrow(/cannot name a key file/);
});

// FIDO keys need hardware to make, so this builds their signatures by hand the way OpenSSH's
// PROTOCOL.u2f describes: the authenticator signs sha256(application) || flags || counter || sha256(data).
const application = 'ssh:';
function fidoSigned(flags: number, counter: number, data: Uint8Array): Uint8Array {
  return concat(sha256(new TextEncoder().encode(application)), new Uint8Array([flags]), uint32(counter), sha256(data));
}

function mpint(bytes: Uint8Array): Uint8Array {
  let start = 0;
  while (start < bytes.length && bytes[start] === 0) start++;
  const trimmed = bytes.subarray(start);
  return sshString(trimmed.length && trimmed[0]! & 0x80 ? concat(new Uint8Array([0]), trimmed) : trimmed);
}

function armour(keyBlob: Uint8Array, signatureBlob: Uint8Array, namespace = 'lifeboat'): string {
  const blob = concat(
    new TextEncoder().encode('SSHSIG'),
    uint32(1),
    sshString(keyBlob),
    sshString(namespace),
    sshString(new Uint8Array(0)),
    sshString('sha512'),
    sshString(signatureBlob),
  );
  return `-----BEGIN SSH SIGNATURE-----\n${encodeBase64(blob).replace(/(.{70})/g, '$1\n')}\n-----END SSH SIGNATURE-----\n`;
}

function skEd25519Signature(flags: number, counter = 7, signedCounter = counter) {
  const seed = sha256(new TextEncoder().encode('a software stand-in for a security key'));
  const type = 'sk-ssh-ed25519@openssh.com';
  const keyBlob = concat(sshString(type), sshString(ed25519.getPublicKey(seed)), sshString(application));
  const data = sshsigSignedData('lifeboat', 'sha512', new TextEncoder().encode(statement));
  const signature = ed25519.sign(fidoSigned(flags, signedCounter, data), seed);
  const signatureBlob = concat(sshString(type), sshString(signature), new Uint8Array([flags]), uint32(counter));
  return { keyLine: `${type} ${encodeBase64(keyBlob)} yubikey`, armored: armour(keyBlob, signatureBlob) };
}

function skEcdsaSignature(flags: number) {
  const secret = sha256(new TextEncoder().encode('another software stand-in'));
  const type = 'sk-ecdsa-sha2-nistp256@openssh.com';
  const keyBlob = concat(sshString(type), sshString('nistp256'), sshString(p256.getPublicKey(secret, false)), sshString(application));
  const data = sshsigSignedData('lifeboat', 'sha512', new TextEncoder().encode(statement));
  const rs = p256.sign(fidoSigned(flags, 1, data), secret);
  const ecdsa = concat(mpint(rs.subarray(0, 32)), mpint(rs.subarray(32)));
  const signatureBlob = concat(sshString(type), sshString(ecdsa), new Uint8Array([flags]), uint32(1));
  return { keyLine: `${type} ${encodeBase64(keyBlob)}`, armored: armour(keyBlob, signatureBlob) };
}

test('FIDO (sk-) signatures verify when the security key saw a touch', () => {
  for (const { keyLine, armored } of [skEd25519Signature(0x01), skEd25519Signature(0x05), skEcdsaSignature(0x01)]) {
    const listed = parsePublicKey(keyLine);
    const result = verifySshSignature(armored, statement, 'lifeboat');
    expect(result).toMatchObject({ ok: true, publicKey: { type: listed.type, fingerprint: listed.fingerprint } });
    expect(result.ok && sameKey(result.publicKey, listed)).toBe(true);
  }
});

test('a FIDO signature without the user-presence flag, or with a changed counter, is refused', () => {
  for (const { armored } of [skEd25519Signature(0x04), skEcdsaSignature(0x00)]) {
    expect(verifySshSignature(armored, statement, 'lifeboat')).toEqual({ ok: false, reason: expect.stringMatching(/did not confirm a touch/) });
  }
  expect(verifySshSignature(skEd25519Signature(0x01, 8, 7).armored, statement, 'lifeboat')).toEqual({ ok: false, reason: 'signature does not match' });
});

test('key lines: unsupported types list the supported ones, and mismatches are named', () => {
  expect(() => parsePublicKey('ssh-dss AAAAB3NzaC1kc3M= old')).toThrow(
    'key type "ssh-dss" is not supported; use one of: ' +
      'ssh-ed25519, ecdsa-sha2-nistp256, sk-ssh-ed25519@openssh.com, sk-ecdsa-sha2-nistp256@openssh.com, ssh-rsa',
  );
  const [, data] = ed.pub.split(' ');
  expect(parsePublicKeyLine(`ssh-rsa ${data}`)).toEqual({ ok: false, reason: 'the line says "ssh-rsa" but the key data is a "ssh-ed25519" key' });
  expect(parsePublicKeyLine('ssh-ed25519')).toMatchObject({ ok: false, reason: expect.stringMatching(/<type> <base64> \[comment\]/) });
  expect(parsePublicKeyLine('ssh-ed25519 AAAA$$')).toMatchObject({ ok: false, reason: expect.stringMatching(/not valid base64/) });
  expect(parsePublicKeyLine(`ssh-ed25519 ${data!.slice(0, 40)}`)).toMatchObject({ ok: false, reason: expect.stringMatching(/damaged/) });
  const shortRsa = keygen('rsa-1024', '-t', 'rsa', '-b', '1024');
  expect(parsePublicKeyLine(shortRsa.pub)).toEqual({
    ok: false,
    reason: 'the RSA key has 1024 bits; at least 2048 are required (make an ed25519 key instead)',
  });
  expect(parsePublicKey(`  ${ed.pub.trim()}  with spaces \n`).comment).toBe('ed@test  with spaces');
});

test('base64 matches the standard codec, tolerates line breaks and names a bad character', () => {
  for (let length = 0; length < 40; length++) {
    const bytes = sha256(new Uint8Array([length])).subarray(0, length % 33);
    const standard = Buffer.from(bytes).toString('base64');
    expect(encodeBase64(bytes)).toBe(standard);
    expect(encodeBase64(bytes, { padding: false })).toBe(standard.replace(/=+$/, ''));
    expect(decodeBase64(standard)).toEqual(new Uint8Array(bytes));
    expect(decodeBase64(standard.replace(/=+$/, '').replace(/(.{5})/g, '$1\r\n '))).toEqual(new Uint8Array(bytes));
  }
  expect(() => decodeBase64('AAA*')).toThrow('invalid base64: unexpected character "*" at position 3');
  expect(() => decodeBase64('AA=A')).toThrow(/"=" before the end/);
  expect(() => decodeBase64('AAAAA')).toThrow(/cut short/);
});

test('nothing under kit/signatures reaches for Node built-ins or globals the sandbox lacks', () => {
  const folder = resolve(__dirname, '../../kit/signatures');
  for (const file of readdirSync(folder)) {
    const source = readFileSync(join(folder, file), 'utf8');
    for (const [, from] of source.matchAll(/from '([^']+)'/g)) expect(from, file).toMatch(/^(\.\/|@noble\/(curves|hashes)\/)/);
    expect(source, file).not.toMatch(/\b(require|Buffer|atob|btoa|process|crypto)\b\s*[.(]/);
  }
});
