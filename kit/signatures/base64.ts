/**
 * Standard-alphabet base64 for workflow code. The workflow sandbox has neither `atob`/`btoa` nor
 * `Buffer`, and SSH keys and signatures arrive base64-encoded, so this small codec lives here.
 */

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

const sextets: Int8Array = (() => {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < alphabet.length; i++) table[alphabet.charCodeAt(i)] = i;
  return table;
})();

/**
 * Decodes standard base64. Whitespace anywhere (the 70-column lines of an SSH signature's armour)
 * is skipped; padding is optional, but when present it must be correct. Throws an Error that says
 * what is wrong and where, so a person pasting a key or signature can find the damaged character.
 */
export function decodeBase64(text: string): Uint8Array {
  const compact = text.replace(/\s+/g, '');
  const padding = /=*$/.exec(compact)?.[0].length ?? 0;
  const body = compact.slice(0, compact.length - padding);
  if (padding > 2) throw new Error('invalid base64: more than two "=" padding characters');
  if (padding > 0 && compact.length % 4 !== 0) throw new Error('invalid base64: "=" padding does not complete a 4-character group');
  if (body.length % 4 === 1) throw new Error('invalid base64: the text is cut short (one character left over)');

  const out = new Uint8Array(Math.floor((body.length * 3) / 4));
  let buffer = 0;
  let bits = 0;
  let written = 0;
  for (let i = 0; i < body.length; i++) {
    const code = body.charCodeAt(i);
    const value = code < 128 ? (sextets[code] ?? -1) : -1;
    if (value < 0) {
      const shown = body[i] === '=' ? '"=" before the end' : `character ${JSON.stringify(body[i])}`;
      throw new Error(`invalid base64: unexpected ${shown} at position ${i}`);
    }
    buffer = ((buffer << 6) | value) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[written++] = (buffer >> bits) & 0xff;
    }
  }
  return out;
}

/** Encodes bytes as standard base64; `padding: false` gives the form SSH fingerprints use. */
export function encodeBase64(bytes: Uint8Array, options: { padding?: boolean } = {}): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const chunk = bytes.subarray(i, i + 3);
    const word = ((chunk[0] ?? 0) << 16) | ((chunk[1] ?? 0) << 8) | (chunk[2] ?? 0);
    out += alphabet[(word >> 18) & 63]! + alphabet[(word >> 12) & 63]!;
    out += chunk.length > 1 ? alphabet[(word >> 6) & 63]! : '';
    out += chunk.length > 2 ? alphabet[word & 63]! : '';
  }
  if (options.padding ?? true) out += '='.repeat((4 - (out.length % 4)) % 4);
  return out;
}
