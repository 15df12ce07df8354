/**
 * The SSH wire encoding (RFC 4251 section 5) that keys, signatures and SSHSIG blobs are made of:
 * big-endian uint32s and length-prefixed strings. Shared by the parsers and the signer.
 */

/** Thrown by {@link SshReader} when a blob ends early or holds a field that cannot be right. */
export class SshFormatError extends Error {
  override readonly name = 'SshFormatError';
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Reads SSH wire fields from a blob in order; every read checks the blob's bounds. */
export class SshReader {
  private offset = 0;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly what: string,
  ) {}

  /** Bytes not read yet. */
  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  take(length: number, field: string): Uint8Array {
    if (length > this.remaining) throw new SshFormatError(`${this.what} is truncated (reading ${field})`);
    const out = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }

  byte(field: string): number {
    return this.take(1, field)[0]!;
  }

  uint32(field: string): number {
    const b = this.take(4, field);
    return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  }

  string(field: string): Uint8Array {
    return this.take(this.uint32(field), field);
  }

  /** A string that must be UTF-8 text, such as a key type, namespace or algorithm name. */
  text(field: string): string {
    try {
      return utf8.decode(this.string(field));
    } catch (err) {
      if (err instanceof SshFormatError) throw err;
      throw new SshFormatError(`${this.what} has a ${field} that is not valid UTF-8`);
    }
  }

  /** A non-negative mpint; negative or needlessly padded encodings are refused, as OpenSSH does. */
  mpint(field: string): bigint {
    const b = this.string(field);
    if (b.length === 0) return 0n;
    if (b[0]! & 0x80) throw new SshFormatError(`${this.what} has a negative ${field}`);
    if (b[0] === 0 && (b.length === 1 || !(b[1]! & 0x80))) throw new SshFormatError(`${this.what} has a badly padded ${field}`);
    return bytesToBigInt(b);
  }

  /** Refuses bytes after the last field, so two different blobs never read as the same thing. */
  end(): void {
    if (this.remaining !== 0) throw new SshFormatError(`${this.what} has ${this.remaining} unexpected trailing bytes`);
  }
}

/** Big-endian unsigned bytes to a bigint. */
export function bytesToBigInt(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}

/** A bigint as exactly `length` big-endian bytes; undefined when it does not fit. */
export function bigIntToBytes(value: bigint, length: number): Uint8Array | undefined {
  if (value < 0n || value >> BigInt(8 * length) !== 0n) return undefined;
  const out = new Uint8Array(length);
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(value & 0xffn);
    value >>= 8n;
  }
  return out;
}

const utf8Encoder = new TextEncoder();

/** UTF-8 bytes of a string; bytes pass through untouched. */
export function toBytes(data: Uint8Array | string): Uint8Array {
  return typeof data === 'string' ? utf8Encoder.encode(data) : data;
}

/** A big-endian uint32. */
export function uint32(value: number): Uint8Array {
  return new Uint8Array([(value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff]);
}

/** A length-prefixed SSH string. */
export function sshString(data: Uint8Array | string): Uint8Array {
  const bytes = toBytes(data);
  return concat(uint32(bytes.length), bytes);
}

/** Joins byte arrays into one. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Byte-wise equality. The inputs here are public (keys, digests), so timing does not matter. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
