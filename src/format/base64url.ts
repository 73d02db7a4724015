/**
 * Strict base64url (RFC 4648 §5, no padding) as JWS requires (RFC 7515 §2). Node's decoder is
 * lenient: it skips invalid characters, accepts `+/` and padding, and ignores non-zero trailing bits,
 * so several strings decode to the same bytes. A verifier must see one canonical form per value,
 * so we check the alphabet and the trailing bits first and let Node decode only canonical input.
 * @module
 */

// 1 for A-Z a-z 0-9 - _ ; indexed by char code. Built once.
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const VALUE = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUE[ALPHABET.charCodeAt(i)] = i;

// A native regular expression scans a 400-character segment about 4× faster than a JS loop.
const ALPHABET_ONLY = /^[A-Za-z0-9_-]*$/;

/** True when `s` is canonical unpadded base64url: the alphabet only, a valid length, zero trailing bits. */
export function isCanonicalBase64url(s: string): boolean {
  const n = s.length;
  if (n % 4 === 1 || !ALPHABET_ONLY.test(s)) return false;
  if (n === 0) return true;
  const last = VALUE[s.charCodeAt(n - 1)]!;
  // 2 chars -> 1 byte: 4 spare bits; 3 chars -> 2 bytes: 2 spare bits (RFC 4648 §3.5).
  if (n % 4 === 2) return (last & 0x0f) === 0;
  if (n % 4 === 3) return (last & 0x03) === 0;
  return true;
}

/** Decodes canonical base64url; `undefined` when `s` is not canonical. */
export function decodeBase64url(s: string): Buffer | undefined {
  return isCanonicalBase64url(s) ? Buffer.from(s, 'base64url') : undefined;
}

/** Encodes bytes or a UTF-8 string as unpadded base64url. */
export function encodeBase64url(data: Uint8Array | string): string {
  return (
    typeof data === 'string'
      ? Buffer.from(data, 'utf8')
      : Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  ).toString('base64url');
}
