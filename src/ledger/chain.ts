/**
 * The ledger's hash chain (LED-2). Byte layout of the input to an entry hash, 72 bytes:
 *
 *   prev_hash (32 bytes) || SHA-256(token as UTF-8) (32 bytes) || seq (8 bytes, unsigned big-endian)
 *
 * `entry_hash = SHA-256(that)`. The first entry has seq 1 and prev_hash = 32 zero bytes. Changing,
 * removing or reordering any entry changes every later hash.
 * @module
 */
import { createHash } from 'node:crypto';

/** The genesis `prev_hash`: 32 zero bytes. */
export const GENESIS_HASH: Uint8Array = new Uint8Array(32);

/** SHA-256 of a token's UTF-8 bytes. */
export function tokenDigest(token: string): Uint8Array {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** `entry_hash` of LED-2 for the given previous hash, token digest and sequence number. */
export function entryDigest(prevHash: Uint8Array, tokenHash: Uint8Array, seq: number): Uint8Array {
  if (!Number.isSafeInteger(seq) || seq < 1) throw new RangeError(`seq must be a positive integer, got ${seq}`);
  if (prevHash.length !== 32 || tokenHash.length !== 32) throw new RangeError('hashes must be 32 bytes');
  const seqBytes = new Uint8Array(8);
  new DataView(seqBytes.buffer).setBigUint64(0, BigInt(seq), false);
  return createHash('sha256').update(prevHash).update(tokenHash).update(seqBytes).digest();
}
