/**
 * The stored hashes of the log: the hash of every perfect subtree (RFC 9162 §2.1.1, a subtree of
 * 2^L leaves starting at a multiple of 2^L), numbered by one integer id in the order the subtrees
 * become complete as leaves are appended. Appending leaf n stores its leaf hash, then the hash of
 * each subtree that leaf completes, lowest first (the "stored hash index" layout of Go's
 * golang.org/x/mod/sumdb/tlog). Every other hash of the tree, including the RFC 9162 root of a
 * size that is not a power of two, is a fold of at most log2(size) stored hashes.
 *
 * Ids are plain numbers. Leaves up to `MAX_TREE_SIZE` (2^52) keep every id below 2^53, so they
 * stay exact; the bit arithmetic below therefore works on numbers above 2^32 without the 32-bit
 * bitwise operators. The bit helpers, argument checks, `pushRangeIds` and `foldRight` are
 * exported for prove.ts and verify-proof.ts.
 * @module
 */
import { TlogError } from './errors.js';
import { HASH_SIZE, emptyRoot, nodeHash } from './hash.js';

/** The largest tree size (number of leaves) this layout supports; its ids stay below 2^53. */
export const MAX_TREE_SIZE = 2 ** 52;

const TWO_32 = 2 ** 32;

/** Number of set bits of a non-negative safe integer. */
export function popCount(n: number): number {
  return popCount32(n >>> 0) + popCount32(Math.floor(n / TWO_32));
}

function popCount32(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

/** Number of bits needed to write a non-negative safe integer (0 for 0). */
export function bitLength(n: number): number {
  return n < TWO_32 ? 32 - Math.clz32(n) : 64 - Math.clz32(Math.floor(n / TWO_32));
}

/** Number of trailing zero bits of a positive safe integer. */
export function trailingZeros(n: number): number {
  const low = n >>> 0;
  if (low !== 0) return 31 - Math.clz32(low & -low);
  return 32 + (31 - Math.clz32(Math.floor(n / TWO_32) & -Math.floor(n / TWO_32)));
}

/** Throws TLOG_MALFORMED unless `value` is an integer in [0, max]. */
export function checkCount(name: string, value: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < 0 || value > max) {
    const message = `${name} must be an integer in [0, ${max}], got ${value}`;
    throw new TlogError('TLOG_MALFORMED', message);
  }
}

/** Throws TLOG_MALFORMED unless `hash` is a byte array of exactly `HASH_SIZE` bytes. */
export function checkHash(name: string, hash: Uint8Array): void {
  if (!(hash instanceof Uint8Array) || hash.length !== HASH_SIZE) {
    const got = hash instanceof Uint8Array ? `${hash.length} bytes` : typeof hash;
    throw new TlogError('TLOG_MALFORMED', `${name} must be ${HASH_SIZE} bytes, got ${got}`);
  }
}

/** Throws TLOG_MALFORMED unless every element of `hashes` has `HASH_SIZE` bytes. */
export function checkHashes(name: string, hashes: readonly Uint8Array[]): void {
  for (let i = 0; i < hashes.length; i += 1) checkHash(`${name}[${i}]`, hashes[i] as Uint8Array);
}

/** Stored hashes appended by leaves 0..n-1, i.e. the id of leaf n: n + n/2 + n/4 + … */
function leafId(n: number): number {
  // Σ_k floor(n / 2^k) = 2n − popcount(n): each set bit 2^b contributes 2^(b+1) − 1.
  return 2 * n - popCount(n);
}

/**
 * The id of the perfect subtree of level `level` (2^level leaves) and position `index` on that
 * level, covering leaves [index·2^level, (index+1)·2^level). It is stored right after the leaf
 * that completes it, the last one, at offset `level` among the hashes that leaf appends.
 */
export function storedHashIndex({ level, index }: { level: number; index: number }): number {
  checkCount('level', level, 52);
  checkCount('index', index, MAX_TREE_SIZE / 2 ** level - 1);
  return leafId((index + 1) * 2 ** level - 1) + level;
}

/**
 * The inverse of `storedHashIndex`: the level and index of the subtree stored under `id`. Takes
 * the id itself or `{ id }`.
 */
export function splitStoredHashIndex(idOrOptions: number | { readonly id: number }): {
  level: number;
  index: number;
} {
  const id = typeof idOrOptions === 'number' ? idOrOptions : idOrOptions.id;
  checkCount('stored hash id', id, storedHashCount({ size: MAX_TREE_SIZE }) - 1);
  // leafId(n) ≤ 2n, so the leaf whose append stored `id` is at least id/2; it is the last leaf
  // n with leafId(n) ≤ id, and each step appends 1 + trailingZeros(n + 1) ≤ 53 hashes, so the
  // loop runs at most about log2(id) times.
  let n = Math.floor(id / 2);
  let first = leafId(n);
  for (;;) {
    const next = first + 1 + trailingZeros(n + 1);
    if (next > id) break;
    n += 1;
    first = next;
  }
  const level = id - first;
  return { level, index: Math.floor(n / 2 ** level) };
}

/** How many hashes a tree of `size` leaves stores: every perfect subtree, 2·size − popcount. */
export function storedHashCount({ size }: { size: number }): number {
  checkCount('size', size, MAX_TREE_SIZE);
  return leafId(size);
}

/**
 * The ids of the maximal perfect subtrees that make up [0, size), left to right, the largest
 * first: one per set bit of `size` (its compact range). Together they determine the root and
 * everything needed to append.
 */
export function frontierIds({ size }: { size: number }): number[] {
  checkCount('size', size, MAX_TREE_SIZE);
  const ids: number[] = [];
  pushRangeIds(ids, 0, size);
  return ids;
}

/**
 * Pushes onto `ids` the ids of the maximal perfect subtrees of the leaves [start, end), left to
 * right, and returns how many it pushed (one per set bit of end − start). `start` must be a
 * multiple of the smallest power of two ≥ end − start, as for every subtree of RFC 9162's
 * recursion (§2.1.1): then each piece starts at a multiple of its own width. Not checked here.
 */
export function pushRangeIds(ids: number[], start: number, end: number): number {
  let from = start;
  let count = 0;
  for (let level = bitLength(end - start) - 1; level >= 0; level -= 1) {
    const width = 2 ** level;
    if (end - from >= width) {
      ids.push(leafId(from + width - 1) + level);
      from += width;
      count += 1;
    }
  }
  return count;
}

/** A stored hash and its id, as `appendLeaves` hands them to the store. */
export interface StoredHash {
  readonly id: number;
  readonly hash: Uint8Array;
}

/** The result of `appendLeaves`. */
export interface AppendResult {
  /** Every hash the new leaves store, in id order; the ids are consecutive. */
  stored: StoredHash[];
  /** The hashes of `frontierIds({ size })` for the new size. */
  frontier: Uint8Array[];
  size: number;
}

/**
 * Appends leaves to a tree of `size` leaves whose frontier hashes (in the order of
 * `frontierIds({ size })`) are `frontier`. The work is O(new leaves + log size): a new leaf
 * merges with the frontier's smallest subtrees while they have its own size, exactly when the
 * leaf completes them. Nothing is read or written; the caller stores `stored`.
 */
export function appendLeaves({
  size,
  frontier,
  leafHashes,
}: {
  size: number;
  frontier: readonly Uint8Array[];
  leafHashes: readonly Uint8Array[];
}): AppendResult {
  checkCount('size', size, MAX_TREE_SIZE);
  checkCount('size after the append', size + leafHashes.length, MAX_TREE_SIZE);
  if (frontier.length !== popCount(size)) {
    throw new TlogError(
      'TLOG_MALFORMED',
      `a tree of size ${size} has ${popCount(size)} frontier hashes, got ${frontier.length}`,
    );
  }
  checkHashes('frontier', frontier);
  checkHashes('leafHashes', leafHashes);

  const next = frontier.slice();
  const stored: StoredHash[] = [];
  let id = leafId(size);
  let n = size;
  for (const leaf of leafHashes) {
    stored.push({ id, hash: leaf });
    id += 1;
    let hash = leaf;
    // Leaf n completes one subtree per trailing one bit of n; the frontier ends with them.
    for (let merges = trailingZeros(n + 1); merges > 0; merges -= 1) {
      const left = next.pop();
      if (left === undefined) throw new Error('unreachable: frontier shorter than popcount');
      hash = nodeHash(left, hash);
      stored.push({ id, hash });
      id += 1;
    }
    next.push(hash);
    n += 1;
  }
  return { stored, frontier: next, size: n };
}

/**
 * The RFC 9162 §2.1.1 root of a tree from its frontier hashes: MTH splits at the largest power
 * of two, so the root is the frontier folded from the right, `f0 ∘ (f1 ∘ (… ∘ fk))`.
 */
export function rootFromFrontier({ frontier }: { frontier: readonly Uint8Array[] }): Uint8Array {
  checkHashes('frontier', frontier);
  return foldRight(frontier, 0, frontier.length);
}

/**
 * `hashes[from] ∘ (hashes[from+1] ∘ (… ∘ hashes[to-1]))`, the hash of a subtree given its
 * maximal perfect subtrees left to right; the empty root for an empty range. Hash lengths are
 * the caller's to check.
 */
export function foldRight(hashes: readonly Uint8Array[], from: number, to: number): Uint8Array {
  let acc = hashes[to - 1];
  if (to <= from || acc === undefined) return emptyRoot();
  for (let i = to - 2; i >= from; i -= 1) acc = nodeHash(hashes[i] as Uint8Array, acc);
  return acc;
}
