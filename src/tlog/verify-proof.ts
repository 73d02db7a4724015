/**
 * Verification of RFC 9162 Merkle proofs (LED-9, LED-10): the inclusion proof check of §2.1.3.2
 * and the consistency proof check of §2.1.4.2, written from the RFC's step lists. The edge rules
 * for consistency are those of transparency-dev/merkle's `proof.VerifyConsistency` before its
 * commit 8c666a7 (equal sizes: empty proof and equal roots; from size 0: empty proof), and in
 * addition a size-0 root must be the empty root. (Since 8c666a7 Go refuses every proof from size 0;
 * its test vectors pass either way, because theirs use roots that are not 32 bytes.)
 *
 * Arguments that cannot describe any tree (a hash that is not `HASH_SIZE` bytes, a leaf index not
 * below the tree size, an old size above the new size, a size that is not a safe integer) are
 * `TLOG_MALFORMED`; a proof that does not lead to the given root is `TLOG_PROOF_INVALID`. All
 * arguments are checked before any hashing, so which code is thrown never depends on where in
 * the proof a check would fail.
 * Sizes may be any safe integer: the bit steps of the RFC are done with division, not with the
 * 32-bit bitwise operators.
 * @module
 */
import { TlogError } from './errors.js';
import { emptyRoot, nodeHash } from './hash.js';
import { checkCount, checkHash, checkHashes, popCount } from './stored-hash.js';

const MAX_SIZE = Number.MAX_SAFE_INTEGER;

function invalid(message: string): never {
  throw new TlogError('TLOG_PROOF_INVALID', message);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return false;
  return true;
}

const isOdd = (n: number): boolean => n % 2 === 1;
const half = (n: number): number => Math.floor(n / 2);

/**
 * The root that an inclusion proof leads to (RFC 9162 §2.1.3.2 steps 1–4), for the leaf hash
 * `leafHash` at `index` in a tree of `size` leaves. Throws TLOG_PROOF_INVALID if the proof has
 * the wrong number of hashes for that index and size.
 */
export function rootFromInclusion({
  index,
  size,
  leafHash,
  proof,
}: {
  index: number;
  size: number;
  leafHash: Uint8Array;
  proof: readonly Uint8Array[];
}): Uint8Array {
  checkCount('size', size, MAX_SIZE);
  checkCount('index', index, MAX_SIZE);
  if (index >= size) {
    throw new TlogError('TLOG_MALFORMED', `index ${index} is not below the tree size ${size}`);
  }
  checkHash('leafHash', leafHash);
  checkHashes('proof', proof);

  // fn is the node's index on its level, sn the index of the last node on that level.
  let fn = index;
  let sn = size - 1;
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0) invalid(`inclusion proof is longer than a tree of size ${size} needs`);
    if (isOdd(fn) || fn === sn) {
      r = nodeHash(p, r);
      // If fn is even here it is the last node of its level with no right sibling: it moves up
      // unchanged until it is a right child, and p was that right child's left sibling.
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) invalid(`inclusion proof is shorter than a tree of size ${size} needs`);
  return r;
}

/**
 * Checks that `proof` shows the leaf hash `leafHash` at `index` in the tree of `size` leaves
 * whose root is `root` (RFC 9162 §2.1.3.2). Returns nothing; throws `TlogError` otherwise.
 */
export function verifyInclusion({
  index,
  size,
  leafHash,
  proof,
  root,
}: {
  index: number;
  size: number;
  leafHash: Uint8Array;
  proof: readonly Uint8Array[];
  root: Uint8Array;
}): void {
  checkHash('root', root);
  const computed = rootFromInclusion({ index, size, leafHash, proof });
  if (!sameBytes(computed, root)) {
    invalid(`inclusion proof for index ${index} leads to another root of size ${size}`);
  }
}

/**
 * Checks that the tree of `oldSize` leaves with root `oldRoot` is a prefix of the tree of
 * `newSize` leaves with root `newRoot` (RFC 9162 §2.1.4.2). Edge rules: equal sizes need an
 * empty proof and equal roots; from size 0 the proof must be empty and `oldRoot` must be the
 * empty root (every tree extends the empty one); `newSize < oldSize` is TLOG_MALFORMED.
 */
export function verifyConsistency({
  oldSize,
  newSize,
  oldRoot,
  newRoot,
  proof,
}: {
  oldSize: number;
  newSize: number;
  oldRoot: Uint8Array;
  newRoot: Uint8Array;
  proof: readonly Uint8Array[];
}): void {
  checkCount('oldSize', oldSize, MAX_SIZE);
  checkCount('newSize', newSize, MAX_SIZE);
  if (newSize < oldSize) {
    throw new TlogError('TLOG_MALFORMED', `newSize ${newSize} is below oldSize ${oldSize}`);
  }
  checkHash('oldRoot', oldRoot);
  checkHash('newRoot', newRoot);
  checkHashes('proof', proof);

  if (oldSize === newSize) {
    if (proof.length > 0) invalid('a consistency proof between equal sizes must be empty');
    if (!sameBytes(oldRoot, newRoot)) invalid(`two different roots for size ${oldSize}`);
    if (oldSize === 0 && !sameBytes(oldRoot, emptyRoot())) invalid('wrong root for size 0');
    return;
  }
  if (oldSize === 0) {
    if (proof.length > 0) invalid('a consistency proof from the empty tree must be empty');
    if (!sameBytes(oldRoot, emptyRoot())) invalid('wrong root for size 0');
    return;
  }
  // Step 1.
  if (proof.length === 0) invalid('empty consistency proof between different sizes');

  // Step 2: when oldSize is a power of two, the old root is itself a node of the new tree and
  // the proof omits it; "prepending" it means seeding with it instead of proof[0].
  const oldIsPowerOfTwo = popCount(oldSize) === 1;
  // Steps 3–4.
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  // Step 5.
  let fr = oldIsPowerOfTwo ? oldRoot : (proof[0] as Uint8Array);
  let sr = fr;
  // Step 6.
  for (let i = oldIsPowerOfTwo ? 0 : 1; i < proof.length; i += 1) {
    const c = proof[i] as Uint8Array;
    if (sn === 0) invalid('consistency proof is longer than the sizes need');
    if (isOdd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  // Step 7.
  if (sn !== 0) invalid('consistency proof is shorter than the sizes need');
  if (!sameBytes(fr, oldRoot)) invalid(`consistency proof does not lead to the root of ${oldSize}`);
  if (!sameBytes(sr, newRoot)) invalid(`consistency proof does not lead to the root of ${newSize}`);
}
