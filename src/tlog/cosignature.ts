/**
 * Ed25519 checkpoint cosignatures, cosignature/v1 (c2sp.org/tlog-cosignature §Format, §Ed25519
 * signed message): a note signature of type 0x04 whose bytes are an 8-byte big-endian POSIX
 * timestamp followed by an Ed25519 signature over `cosignature/v1\ntime <t>\n` and the checkpoint
 * body. The ML-DSA-44 type (0x06) is not offered: Node 20 has no ML-DSA. Verification of these
 * lines is done by the verifier `parseVerifierKey` (note.ts) builds for a 0x04 vkey.
 * @module
 */
import type { KeyObject } from 'node:crypto';
import { sign } from 'node:crypto';
import { TlogError } from './errors.js';
import {
  cosignatureV1Message,
  ed25519PublicKeyBytes,
  formatVerifierKey,
  isValidKeyName,
  noteKeyId,
  SIGNATURE_TYPE_COSIGNATURE_V1,
  type NoteSigner,
} from './note.js';

const TIMESTAMP_BYTES = 8;
const COSIGNATURE_BYTES = TIMESTAMP_BYTES + 64;

/**
 * A cosigner: `sign(checkpointBody)` returns timestamp ‖ Ed25519 signature, the timestamp being
 * `clock()` (milliseconds since the epoch, default `Date.now`) in whole seconds. The key ID is
 * SHA-256(name ‖ "\n" ‖ 0x04 ‖ public key)[:4].
 */
export function cosignatureSigner(options: {
  readonly name: string;
  readonly privateKey: KeyObject;
  readonly clock?: () => number;
}): NoteSigner {
  const { name, privateKey } = options;
  const clock = options.clock ?? Date.now;
  if (!isValidKeyName(name)) {
    throw new TlogError('TLOG_MALFORMED', `cosigner name ${JSON.stringify(name)} is invalid`);
  }
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519') {
    throw new TlogError('TLOG_MALFORMED', 'the cosigner key must be an Ed25519 private key');
  }
  const publicKey = ed25519PublicKeyBytes({ key: privateKey });
  const keyId = noteKeyId({ name, type: SIGNATURE_TYPE_COSIGNATURE_V1, publicKey });
  return {
    name,
    keyId,
    sign(checkpointBody: Uint8Array): Uint8Array {
      const seconds = Math.floor(clock() / 1000);
      // The witness protocol forbids a zero timestamp; a clock before 1970 is a broken clock.
      if (!Number.isSafeInteger(seconds) || seconds <= 0) {
        throw new TlogError('TLOG_MALFORMED', `the cosigner clock gives no valid time: ${seconds}`);
      }
      const timestamp = BigInt(seconds);
      const message = cosignatureV1Message({ timestamp, body: checkpointBody });
      const out = Buffer.alloc(COSIGNATURE_BYTES);
      out.writeBigUInt64BE(timestamp, 0);
      sign(null, message, privateKey).copy(out, TIMESTAMP_BYTES);
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    },
  };
}

/** The vkey of a cosigner: `<name>+<hex key ID>+base64(0x04 ‖ Ed25519 public key)`. */
export function cosignatureVerifierKey(options: {
  readonly name: string;
  readonly publicKey: KeyObject;
}): string {
  const publicKey = ed25519PublicKeyBytes({ key: options.publicKey });
  return formatVerifierKey({ name: options.name, type: SIGNATURE_TYPE_COSIGNATURE_V1, publicKey });
}

/**
 * The timestamp (POSIX seconds) of a cosignature: `signature` is the bytes after the key ID
 * (`NoteSignature.signature`). Read only; the value is authenticated once the line verifies.
 */
export function cosignatureTime(options: { readonly signature: Uint8Array }): number {
  const { signature } = options;
  if (signature.length !== COSIGNATURE_BYTES) {
    throw new TlogError(
      'TLOG_MALFORMED',
      `an Ed25519 cosignature holds ${COSIGNATURE_BYTES} bytes, not ${signature.length}`,
    );
  }
  const view = Buffer.from(signature.buffer, signature.byteOffset, TIMESTAMP_BYTES);
  const timestamp = view.readBigUInt64BE(0);
  if (timestamp > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new TlogError('TLOG_MALFORMED', `the cosignature time ${timestamp} is out of range`);
  }
  return Number(timestamp);
}
