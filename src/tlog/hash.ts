/**
 * The hash primitives of the transparency log (LED-2): RFC 9162 §2.1.1 Merkle Tree Hash with
 * SHA-256 and domain separation, a 0x00 prefix for leaves and 0x01 for interior nodes (the same
 * hashing as RFC 6962, so a leaf can never be passed off as a node). The root of the empty tree
 * is SHA-256 of the empty string.
 * @module
 */
import { createHash } from 'node:crypto';

/** Size in bytes of every hash of the log (SHA-256). */
export const HASH_SIZE = 32;

const LEAF_PREFIX = new Uint8Array([0x00]);
const NODE_PREFIX = new Uint8Array([0x01]);
const EMPTY_ROOT: Uint8Array = Uint8Array.from(createHash('sha256').digest());

/**
 * The digest as a plain Uint8Array over the same memory (no copy), so that results compare equal
 * to other Uint8Arrays under `assert.deepStrictEqual` and do not carry Buffer's methods.
 */
function plain(digest: Buffer): Uint8Array {
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
}

/** `MTH({d(0)}) = SHA-256(0x00 || d(0))` (RFC 9162 §2.1.1): the hash of one log entry. */
export function leafHash(entry: Uint8Array): Uint8Array {
  return plain(createHash('sha256').update(LEAF_PREFIX).update(entry).digest());
}

/**
 * `SHA-256(0x01 || left || right)` (RFC 9162 §2.1.1): the hash of an interior node. The caller
 * passes hashes of `HASH_SIZE` bytes; they are not checked here because this runs for every node
 * of every proof, and the public functions check their inputs once.
 */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return plain(createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest());
}

/** `MTH({}) = SHA-256()` (RFC 9162 §2.1.1): the root of the tree with no entries. */
export function emptyRoot(): Uint8Array {
  // A fresh copy each time, so that a caller who writes into it cannot change later results.
  return Uint8Array.from(EMPTY_ROOT);
}
