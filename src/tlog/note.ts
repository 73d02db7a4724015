/**
 * Signed notes (c2sp.org/signed-note@v1): text signed by one or more keys, each signature on a
 * line `— <name> base64(key ID ‖ signature)` after a blank line. Here: the format (§Format),
 * key IDs and verifier keys (§Signatures, §Verifier keys), Ed25519 signers (type 0x01), and
 * verifiers for type 0x01 and for type 0x04, the timestamped Ed25519 checkpoint cosignatures of
 * c2sp.org/tlog-cosignature (their signer lives in `cosignature.ts`). Other types are refused.
 * @module
 */
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { TlogError } from './errors.js';

/** Signature type 0x01: Ed25519 over the note text (signed-note §Ed25519 signatures). */
export const SIGNATURE_TYPE_ED25519 = 0x01;
/** Signature type 0x04: timestamped Ed25519 checkpoint cosignature (tlog-cosignature). */
export const SIGNATURE_TYPE_COSIGNATURE_V1 = 0x04;
/**
 * Most signature lines a note may carry. The spec asks verifiers to set a limit of at least 16;
 * 100 leaves room for many witnesses while bounding the work one note can cause.
 */
export const NOTE_MAX_SIGNATURES = 100;

/** Produces the signature lines of one key. */
export interface NoteSigner {
  /** Key name (non-empty, no Unicode spaces, no `+`). */
  readonly name: string;
  /** The 4-byte key ID. */
  readonly keyId: Uint8Array;
  /** The signature bytes that follow the key ID on the line, over `message` (the note text). */
  sign(message: Uint8Array): Uint8Array;
}

/** Checks the signature lines of one key. */
export interface NoteVerifier {
  readonly name: string;
  /** The 4-byte key ID. */
  readonly keyId: Uint8Array;
  /** True when `signature` (the bytes after the key ID) signs `message` (the note text). */
  verify(message: Uint8Array, signature: Uint8Array): boolean;
}

/** One signature line of a note, decoded but not verified. */
export interface NoteSignature {
  readonly name: string;
  /** The 4-byte key ID. */
  readonly keyId: Uint8Array;
  /** The bytes after the key ID. */
  readonly signature: Uint8Array;
  /** The line as it appears in the note, without its newline. */
  readonly line: string;
}

const SIGNATURE_PREFIX = '— ';
const COSIGNATURE_V1_HEADER = 'cosignature/v1\n';
const ED25519_PUBLIC_KEY_BYTES = 32;
const ED25519_SIGNATURE_BYTES = 64;
const TIMESTAMP_BYTES = 8;
const MAX_TIMESTAMP = 2n ** 63n - 1n;

// Control characters other than newline (signed-note §Format: below U+0020).
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const CONTROL = /[\u0000-\u0009\u000b-\u001f]/;
// A UTF-16 surrogate without its pair cannot be encoded as UTF-8.
const LONE_SURROGATE = /\p{Cs}/u;
const WHITE_SPACE = /\p{White_Space}/u;
const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function malformed(message: string): TlogError {
  return new TlogError('TLOG_MALFORMED', message);
}

/**
 * Decodes standard base64 (RFC 4648 §4, padded) in its canonical form only: Node's decoder would
 * skip stray characters and ignore non-zero trailing bits, letting several texts mean one value.
 * `undefined` when `text` is not canonical base64.
 */
export function decodeBase64Std(text: string): Uint8Array | undefined {
  if (!STD_BASE64.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  if (bytes.toString('base64') !== text) return undefined;
  // A copy: small Buffers share a pool, which callers keeping a hash should not retain.
  return new Uint8Array(bytes);
}

/** Encodes bytes as padded standard base64 (RFC 4648 §4). */
export function encodeBase64Std(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Lowercase hex of bytes (a key ID in a vkey or a message). */
function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

/** True when `name` may name a key: non-empty, no Unicode spaces, no `+`, no control characters. */
export function isValidKeyName(name: string): boolean {
  return (
    name.length > 0 &&
    !WHITE_SPACE.test(name) &&
    !name.includes('+') &&
    !CONTROL.test(name) &&
    !LONE_SURROGATE.test(name)
  );
}

/** Throws TLOG_MALFORMED unless `text` may be in a note (valid UTF-8, no control characters). */
function checkNoteCharacters(text: string, what: string): void {
  if (LONE_SURROGATE.test(text)) throw malformed(`${what} is not valid UTF-8 (a lone surrogate)`);
  const control = CONTROL.exec(text);
  if (control !== null) {
    const code = control[0].charCodeAt(0).toString(16).padStart(4, '0');
    throw malformed(`${what} holds the control character U+${code} (only newline is allowed)`);
  }
}

/** The key ID of signed-note §Signatures: SHA-256(name ‖ 0x0A ‖ type ‖ public key)[:4]. */
export function noteKeyId(options: {
  readonly name: string;
  readonly type: number;
  readonly publicKey: Uint8Array;
}): Uint8Array {
  const digest = createHash('sha256')
    .update(options.name, 'utf8')
    .update(Uint8Array.of(0x0a, options.type))
    .update(options.publicKey)
    .digest();
  return new Uint8Array(digest.subarray(0, 4));
}

/** The 32-byte RFC 8032 encoding of an Ed25519 key (public, or a private key's public half). */
export function ed25519PublicKeyBytes(options: { readonly key: KeyObject }): Uint8Array {
  const { key } = options;
  if (key.asymmetricKeyType !== 'ed25519') {
    const type = key.asymmetricKeyType ?? key.type;
    throw malformed(`an Ed25519 key is required, not ${type}`);
  }
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const jwk = publicKey.export({ format: 'jwk' });
  return new Uint8Array(Buffer.from(jwk.x ?? '', 'base64url'));
}

function ed25519PublicKeyFromBytes(bytes: Uint8Array): KeyObject {
  const x = Buffer.from(bytes).toString('base64url');
  try {
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
  } catch (error) {
    throw new TlogError('TLOG_MALFORMED', 'the Ed25519 public key is unreadable', { cause: error });
  }
}

function checkPrivateEd25519(privateKey: KeyObject): void {
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519') {
    throw malformed('the signing key must be an Ed25519 private key');
  }
}

function checkSignerName(name: string): void {
  if (!isValidKeyName(name)) {
    throw malformed(`key name ${JSON.stringify(name)} is empty or holds a space, + or control`);
  }
}

/** A note signer of type 0x01: Ed25519 over the note text. */
export function ed25519NoteSigner(options: {
  readonly name: string;
  readonly privateKey: KeyObject;
}): NoteSigner {
  const { name, privateKey } = options;
  checkSignerName(name);
  checkPrivateEd25519(privateKey);
  const publicKey = ed25519PublicKeyBytes({ key: privateKey });
  const keyId = noteKeyId({ name, type: SIGNATURE_TYPE_ED25519, publicKey });
  return {
    name,
    keyId,
    sign(message: Uint8Array): Uint8Array {
      return new Uint8Array(sign(null, message, privateKey));
    },
  };
}

/** A vkey (signed-note §Verifier keys): `<name>+<hex key ID>+base64(type ‖ public key)`. */
export function formatVerifierKey(options: {
  readonly name: string;
  readonly type: number;
  readonly publicKey: Uint8Array;
}): string {
  const { name, type, publicKey } = options;
  checkSignerName(name);
  const keyId = noteKeyId({ name, type, publicKey });
  return `${name}+${hex(keyId)}+${encodeBase64Std(Uint8Array.of(type, ...publicKey))}`;
}

/** The vkey of an Ed25519 key: `<name>+<hex key ID>+base64(0x01 ‖ public key)`. */
export function ed25519VerifierKey(options: {
  readonly name: string;
  readonly publicKey: KeyObject;
}): string {
  const publicKey = ed25519PublicKeyBytes({ key: options.publicKey });
  return formatVerifierKey({ name: options.name, type: SIGNATURE_TYPE_ED25519, publicKey });
}

/**
 * The message an Ed25519 cosignature signs (tlog-cosignature §Ed25519 signed message):
 * `cosignature/v1\ntime <t>\n` followed by the checkpoint body.
 */
export function cosignatureV1Message(options: {
  readonly timestamp: bigint;
  readonly body: Uint8Array;
}): Uint8Array {
  const header = Buffer.from(`${COSIGNATURE_V1_HEADER}time ${options.timestamp.toString()}\n`);
  return new Uint8Array(Buffer.concat([header, options.body]));
}

function ed25519Verify(key: KeyObject, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== ED25519_SIGNATURE_BYTES) return false;
  try {
    return verify(null, message, key, signature);
  } catch {
    // A signature Node refuses to process is simply not a valid one.
    return false;
  }
}

function cosignatureV1Verify(key: KeyObject, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== TIMESTAMP_BYTES + ED25519_SIGNATURE_BYTES) return false;
  const timestamp = Buffer.from(signature.buffer, signature.byteOffset, 8).readBigUInt64BE(0);
  if (timestamp > MAX_TIMESTAMP) return false;
  const signed = cosignatureV1Message({ timestamp, body: message });
  return ed25519Verify(key, signed, signature.subarray(TIMESTAMP_BYTES));
}

/**
 * Reads a vkey (signed-note §Verifier keys) into a verifier. Types 0x01 (Ed25519) and 0x04
 * (Ed25519 cosignature/v1) are supported; the key ID must be the one the spec derives from
 * the name, type and key (it is required for 0x04 and the recommended form for 0x01).
 */
export function parseVerifierKey(options: { readonly vkey: string }): NoteVerifier {
  // The name holds no +, the ID is hex; the base64 key after them may hold + itself.
  const { vkey } = options;
  const first = vkey.indexOf('+');
  const second = first < 0 ? -1 : vkey.indexOf('+', first + 1);
  if (second < 0) {
    throw malformed('a verifier key is <name>+<hex key ID>+<base64 key>: three parts joined by +');
  }
  const name = vkey.slice(0, first);
  const idHex = vkey.slice(first + 1, second);
  const keyBase64 = vkey.slice(second + 1);
  if (!isValidKeyName(name)) throw malformed('the verifier key name is empty or holds a space');
  if (!/^[0-9a-f]{8}$/.test(idHex)) {
    throw malformed(`the verifier key ID ${JSON.stringify(idHex)} is not 8 lowercase hex digits`);
  }
  const material = decodeBase64Std(keyBase64);
  if (material === undefined || material.length === 0) {
    throw malformed('the verifier key material is not canonical standard base64');
  }
  const type = material[0]!;
  const publicKey = material.subarray(1);
  if (type !== SIGNATURE_TYPE_ED25519 && type !== SIGNATURE_TYPE_COSIGNATURE_V1) {
    const shown = type.toString(16).padStart(2, '0');
    throw malformed(`verifier key type 0x${shown} is not supported (only 0x01 and 0x04 are)`);
  }
  if (publicKey.length !== ED25519_PUBLIC_KEY_BYTES) {
    throw malformed(`an Ed25519 verifier key holds 32 bytes, not ${publicKey.length}`);
  }
  const keyId = noteKeyId({ name, type, publicKey });
  if (hex(keyId) !== idHex) {
    throw malformed(`the verifier key ID ${idHex} does not match the key (expected ${hex(keyId)})`);
  }
  const key = ed25519PublicKeyFromBytes(publicKey);
  const check = type === SIGNATURE_TYPE_ED25519 ? ed25519Verify : cosignatureV1Verify;
  return {
    name,
    keyId,
    verify(message: Uint8Array, signature: Uint8Array): boolean {
      return check(key, message, signature);
    },
  };
}

/** Throws TLOG_MALFORMED unless `text` may be a note text: valid characters, final newline. */
function checkNoteText(text: string): void {
  checkNoteCharacters(text, 'the note text');
  if (!text.endsWith('\n')) throw malformed('the note text does not end in a newline');
}

/** The signature line of one signer over `message`. */
function signatureLine(signer: NoteSigner, message: Uint8Array): string {
  checkSignerName(signer.name);
  if (signer.keyId.length !== 4) throw malformed(`signer ${signer.name} has no 4-byte key ID`);
  const signature = signer.sign(message);
  const bytes = new Uint8Array(4 + signature.length);
  bytes.set(signer.keyId, 0);
  bytes.set(signature, 4);
  return `${SIGNATURE_PREFIX}${signer.name} ${encodeBase64Std(bytes)}\n`;
}

/** Signs `text` (ending in a newline) with every signer: text, blank line, one line per signer. */
export function signNote(options: {
  readonly text: string;
  readonly signers: readonly NoteSigner[];
}): string {
  const { text, signers } = options;
  checkNoteText(text);
  if (signers.length === 0) throw malformed('a note needs at least one signer');
  if (signers.length > NOTE_MAX_SIGNATURES) {
    throw malformed(`a note holds at most ${NOTE_MAX_SIGNATURES} signatures`);
  }
  const message = new Uint8Array(Buffer.from(text, 'utf8'));
  return `${text}\n${signers.map((signer) => signatureLine(signer, message)).join('')}`;
}

/**
 * Decodes one signature line, `— <name> base64(key ID ‖ signature)` without its newline (for
 * lines that arrive alone, as in a witness's answer). Throws TLOG_MALFORMED.
 */
export function parseSignatureLine(options: { readonly line: string }): NoteSignature {
  const { line } = options;
  checkNoteCharacters(line, 'a signature line');
  if (line.includes('\n')) throw malformed('a signature line holds a newline');
  return signatureFromLine(line);
}

/** Decodes one signature line of a note already checked for its characters. */
function signatureFromLine(line: string): NoteSignature {
  if (!line.startsWith(SIGNATURE_PREFIX)) {
    throw malformed('a signature line does not start with an em dash and a space');
  }
  const rest = line.slice(SIGNATURE_PREFIX.length);
  const space = rest.indexOf(' ');
  if (space < 0) throw malformed('a signature line has no space between key name and signature');
  const name = rest.slice(0, space);
  if (!isValidKeyName(name)) throw malformed('a signature line has an invalid key name');
  const bytes = decodeBase64Std(rest.slice(space + 1));
  if (bytes === undefined) throw malformed(`the signature of ${name} is not canonical base64`);
  if (bytes.length < 5) throw malformed(`the signature of ${name} is shorter than a key ID`);
  return { name, keyId: bytes.slice(0, 4), signature: bytes.slice(4), line };
}

/**
 * Splits a signed note into its text and signature lines, checking every rule of signed-note
 * §Format without verifying anything: valid UTF-8, no control character but newline, the text
 * ends in a newline and is separated from the signatures by the last blank line, one or more
 * well-formed signature lines (at most `NOTE_MAX_SIGNATURES`), each ending in a newline.
 */
export function parseNote(options: { readonly note: string }): {
  text: string;
  signatures: NoteSignature[];
} {
  const { note } = options;
  checkNoteCharacters(note, 'the note');
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw malformed('the note has no blank line before its signatures');
  const text = note.slice(0, split + 1);
  const block = note.slice(split + 2);
  if (block.length === 0) throw malformed('the note has no signature lines');
  if (!block.endsWith('\n')) throw malformed('the last signature line does not end in a newline');
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > NOTE_MAX_SIGNATURES) {
    throw malformed(`the note has ${lines.length} signatures; at most ${NOTE_MAX_SIGNATURES}`);
  }
  return { text, signatures: lines.map(signatureFromLine) };
}

/**
 * Parses a note and verifies the signatures of known keys (signed-note §Signatures). A line is
 * of a known key when a verifier has the same name and key ID; other lines are returned as
 * `unknown`. Throws TLOG_SIGNATURE_INVALID when a known key's signature fails (the spec's SHOULD
 * reject the whole note) or when no known key's signature verifies. Repeated lines count once.
 */
export function openNote(options: {
  readonly note: string;
  readonly verifiers: readonly NoteVerifier[];
}): { text: string; verified: NoteSignature[]; unknown: NoteSignature[] } {
  const { text, signatures } = parseNote({ note: options.note });
  const message = new Uint8Array(Buffer.from(text, 'utf8'));
  const verified: NoteSignature[] = [];
  const unknown: NoteSignature[] = [];
  const seen = new Set<string>();
  for (const signature of signatures) {
    if (seen.has(signature.line)) continue;
    seen.add(signature.line);
    const matching = options.verifiers.filter(
      (v) => v.name === signature.name && sameBytes(v.keyId, signature.keyId),
    );
    if (matching.length === 0) {
      unknown.push(signature);
      continue;
    }
    // Two trusted verifiers may share name and ID (a collision); either one may vouch.
    if (!matching.some((v) => v.verify(message, signature.signature))) {
      const key = `${signature.name}+${hex(signature.keyId)}`;
      throw new TlogError('TLOG_SIGNATURE_INVALID', `the signature of known key ${key} is invalid`);
    }
    verified.push(signature);
  }
  if (verified.length === 0) {
    throw new TlogError('TLOG_SIGNATURE_INVALID', 'the note has no signature from a known key');
  }
  return { text, verified, unknown };
}
