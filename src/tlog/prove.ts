/**
 * Tree heads and proofs built from the stored hashes of `stored-hash.ts` (LED-9, LED-10): the
 * RFC 9162 §2.1.1 root, the §2.1.3.1 inclusion proof PATH(m, D[n]) and the §2.1.4.1 consistency
 * proof PROOF(m, D[n]).
 *
 * Every hash in those proofs is the MTH of a subtree [start, end) met by the RFC's recursion.
 * Such a subtree is perfect (one stored hash) except on the ragged right edge of the tree, where
 * its hash is the right fold of its maximal perfect subtrees. Each function first plans the ids
 * it needs, at most 2·ceil(log2 n) + 2 of them and never one twice, reads them with ONE
 * `readHashes` call (none when it needs no stored hash: the empty tree, the proof for a tree of
 * one leaf, an empty consistency proof), then assembles the result. The planning functions are
 * exported so that a store can prefetch the same ids.
 * @module
 */
import { TlogError } from './errors.js';
import { HASH_SIZE, emptyRoot } from './hash.js';
import { MAX_TREE_SIZE, bitLength, checkCount, foldRight, pushRangeIds } from './stored-hash.js';

/** Where the proof functions read stored hashes (see `stored-hash.ts` for the ids). */
export interface HashReader {
  /** The hashes stored under `ids`, in the order of `ids`. */
  readHashes(ids: readonly number[]): Promise<readonly Uint8Array[]>;
}

/**
 * The stored ids a result needs, and how they group: element j of the result is the right fold
 * of the next `groups[j]` hashes (one hash when the subtree is perfect).
 */
interface Plan {
  readonly ids: number[];
  readonly groups: number[];
}

/** The largest power of two strictly below `n` (n ≥ 2): where MTH splits D[n] (§2.1.1). */
function splitPoint(n: number): number {
  return 2 ** (bitLength(n - 1) - 1);
}

/** Adds the subtree [start, end) to the plan as the next result element. */
function planSubtree(plan: Plan, start: number, end: number): void {
  plan.groups.push(pushRangeIds(plan.ids, start, end));
}

function planTreeRoot(size: number): Plan {
  const plan: Plan = { ids: [], groups: [] };
  if (size > 0) planSubtree(plan, 0, size);
  return plan;
}

/**
 * PATH(m, D[n]) of §2.1.3.1 unrolled: walking down from the root, each step records the sibling
 * of the half that holds leaf m. The proof lists them from the leaf up, so the recorded
 * subtrees are planned in reverse. Only the first right sibling can be ragged.
 */
function planInclusion(index: number, size: number): Plan {
  const starts: number[] = [];
  const ends: number[] = [];
  let start = 0;
  let end = size;
  while (end - start > 1) {
    const k = splitPoint(end - start);
    if (index < start + k) {
      starts.push(start + k);
      ends.push(end);
      end = start + k;
    } else {
      starts.push(start);
      ends.push(start + k);
      start += k;
    }
  }
  return planReversed(starts, ends);
}

/**
 * PROOF(m, D[n]) = SUBPROOF(m, D[n], true) of §2.1.4.1 unrolled the same way. When the old tree
 * ends inside the current subtree, the proof records the right sibling and descends left; when
 * it ends after the left half, it records the left half and descends right, and from then on the
 * subtree holding the old tree's end is not a known old root (b = false). The walk stops on a
 * subtree that ends exactly at m; it is recorded only if b is false.
 */
function planConsistency(oldSize: number, newSize: number): Plan {
  const starts: number[] = [];
  const ends: number[] = [];
  if (oldSize > 0 && oldSize < newSize) {
    let start = 0;
    let end = newSize;
    let knownRoot = true;
    while (end !== oldSize) {
      const k = splitPoint(end - start);
      if (oldSize <= start + k) {
        starts.push(start + k);
        ends.push(end);
        end = start + k;
      } else {
        starts.push(start);
        ends.push(start + k);
        start += k;
        knownRoot = false;
      }
    }
    if (!knownRoot) {
      starts.push(start);
      ends.push(end);
    }
  }
  return planReversed(starts, ends);
}

function planReversed(starts: readonly number[], ends: readonly number[]): Plan {
  const plan: Plan = { ids: [], groups: [] };
  for (let i = starts.length - 1; i >= 0; i -= 1) {
    planSubtree(plan, starts[i] as number, ends[i] as number);
  }
  return plan;
}

/** Reads the plan's ids with one call (none if there is nothing to read) and assembles it. */
async function readPlan(plan: Plan, reader: HashReader): Promise<Uint8Array[]> {
  if (plan.ids.length === 0) return [];
  const hashes = await reader.readHashes(plan.ids);
  if (!Array.isArray(hashes) || hashes.length !== plan.ids.length) {
    throw new TlogError(
      'TLOG_MALFORMED',
      `readHashes returned ${Array.isArray(hashes) ? hashes.length : 'no array of'} hashes ` +
        `for ${plan.ids.length} ids`,
    );
  }
  for (let i = 0; i < hashes.length; i += 1) {
    const hash: unknown = hashes[i];
    if (!(hash instanceof Uint8Array) || hash.length !== HASH_SIZE) {
      throw new TlogError(
        'TLOG_MALFORMED',
        `readHashes returned a hash of the wrong length for stored id ${plan.ids[i]}`,
      );
    }
  }
  const result: Uint8Array[] = [];
  let from = 0;
  for (const count of plan.groups) {
    result.push(foldRight(hashes, from, from + count));
    from += count;
  }
  return result;
}

function checkSize(name: string, size: number): void {
  checkCount(name, size, MAX_TREE_SIZE);
}

/** The stored ids `treeRoot` reads: the frontier of `size`. */
export function treeRootIds({ size }: { size: number }): number[] {
  checkSize('size', size);
  return planTreeRoot(size).ids;
}

/** The stored ids `proveInclusion` reads. */
export function inclusionProofIds({ index, size }: { index: number; size: number }): number[] {
  checkInclusionArgs(index, size);
  return planInclusion(index, size).ids;
}

/** The stored ids `proveConsistency` reads. */
export function consistencyProofIds({
  oldSize,
  newSize,
}: {
  oldSize: number;
  newSize: number;
}): number[] {
  checkConsistencyArgs(oldSize, newSize);
  return planConsistency(oldSize, newSize).ids;
}

function checkInclusionArgs(index: number, size: number): void {
  checkSize('size', size);
  checkCount('index', index, MAX_TREE_SIZE);
  if (index >= size) {
    throw new TlogError('TLOG_MALFORMED', `index ${index} is not below the tree size ${size}`);
  }
}

function checkConsistencyArgs(oldSize: number, newSize: number): void {
  checkSize('oldSize', oldSize);
  checkSize('newSize', newSize);
  if (oldSize > newSize) {
    throw new TlogError('TLOG_MALFORMED', `oldSize ${oldSize} is above newSize ${newSize}`);
  }
}

/** MTH(D[size]) (RFC 9162 §2.1.1), from the frontier's stored hashes; `emptyRoot()` for 0. */
export async function treeRoot({
  size,
  reader,
}: {
  size: number;
  reader: HashReader;
}): Promise<Uint8Array> {
  checkSize('size', size);
  const [root] = await readPlan(planTreeRoot(size), reader);
  return root ?? emptyRoot();
}

/**
 * The inclusion proof PATH(index, D[size]) (RFC 9162 §2.1.3.1): the sibling of the leaf first,
 * the sibling of the root's child that holds the leaf last. Empty for a tree of one leaf.
 */
export async function proveInclusion({
  index,
  size,
  reader,
}: {
  index: number;
  size: number;
  reader: HashReader;
}): Promise<Uint8Array[]> {
  checkInclusionArgs(index, size);
  return readPlan(planInclusion(index, size), reader);
}

/**
 * The consistency proof PROOF(oldSize, D[newSize]) (RFC 9162 §2.1.4.1), deepest node first.
 * Empty when oldSize is 0 or equals newSize (there is nothing to prove).
 */
export async function proveConsistency({
  oldSize,
  newSize,
  reader,
}: {
  oldSize: number;
  newSize: number;
  reader: HashReader;
}): Promise<Uint8Array[]> {
  checkConsistencyArgs(oldSize, newSize);
  return readPlan(planConsistency(oldSize, newSize), reader);
}
