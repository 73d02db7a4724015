/**
 * The Merkle layer of the transparency log (src/tlog/{hash,stored-hash,prove,verify-proof}.ts)
 * against a reference written here from the text of RFC 9162: MTH (§2.1.1), PATH (§2.1.3.1) and
 * PROOF/SUBPROOF (§2.1.4.1) as the naive recursions of the RFC, plus naive verifiers that read
 * those recursions backwards. LED-2 covers the hashing, LED-9 inclusion, LED-10 consistency.
 */
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { TlogError, type TlogErrorCode } from '../../src/tlog/errors.js';
import { HASH_SIZE, emptyRoot, leafHash, nodeHash } from '../../src/tlog/hash.js';
import {
  appendLeaves,
  frontierIds,
  rootFromFrontier,
  splitStoredHashIndex,
  storedHashCount,
  storedHashIndex,
} from '../../src/tlog/stored-hash.js';
import {
  consistencyProofIds,
  inclusionProofIds,
  proveConsistency,
  proveInclusion,
  treeRoot,
  treeRootIds,
  type HashReader,
} from '../../src/tlog/prove.js';
import {
  rootFromInclusion,
  verifyConsistency,
  verifyInclusion,
} from '../../src/tlog/verify-proof.js';

// ---------------------------------------------------------------------------------------------
// Reference, from the RFC text only (SHA-256 from node:crypto, nothing from src/tlog).

function sha256(...parts: Uint8Array[]): Uint8Array {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return new Uint8Array(hash.digest());
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const hexes = (list: readonly Uint8Array[]): string[] => list.map(hex);

/** §2.1.1: k is the largest power of two smaller than n (n > 1). */
function splitOf(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH of the leaves [start, end) of some tree. */
type Mth = (start: number, end: number) => Uint8Array;

/** PATH(m, D[start:end]) of §2.1.3.1 (m relative to start). */
function naivePath(mth: Mth, m: number, start: number, end: number): Uint8Array[] {
  const n = end - start;
  if (n === 1) return [];
  const k = splitOf(n);
  if (m < k) return [...naivePath(mth, m, start, start + k), mth(start + k, end)];
  return [...naivePath(mth, m - k, start + k, end), mth(start, start + k)];
}

/** SUBPROOF(m, D[start:end], b) of §2.1.4.1. */
function naiveSubproof(mth: Mth, m: number, start: number, end: number, b: boolean): Uint8Array[] {
  const n = end - start;
  if (m === n) return b ? [] : [mth(start, end)];
  const k = splitOf(n);
  if (m <= k) return [...naiveSubproof(mth, m, start, start + k, b), mth(start + k, end)];
  return [...naiveSubproof(mth, m - k, start + k, end, false), mth(start, start + k)];
}

/** PROOF(m, D[n]) for 0 < m < n; empty otherwise (what `proveConsistency` promises). */
function naiveProof(mth: Mth, m: number, n: number): Uint8Array[] {
  return m > 0 && m < n ? naiveSubproof(mth, m, 0, n, true) : [];
}

/**
 * The root that PATH's recursion implies for `leaf` at m in a tree of n leaves, reading the
 * proof from its end (the last element is the sibling at the top); undefined for a proof of the
 * wrong length. An independent model of what §2.1.3.2 must accept.
 */
function naiveInclusionRoot(
  m: number,
  n: number,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
): Uint8Array | undefined {
  let next = proof.length;
  const up = (mm: number, nn: number): Uint8Array | undefined => {
    if (nn === 1) return leaf;
    const k = splitOf(nn);
    const sibling = proof[--next];
    if (sibling === undefined) return undefined;
    const below = mm < k ? up(mm, k) : up(mm - k, nn - k);
    if (below === undefined) return undefined;
    return mm < k ? sha256(ONE, below, sibling) : sha256(ONE, sibling, below);
  };
  const root = up(m, n);
  return next === 0 ? root : undefined;
}

/** The (old, new) roots SUBPROOF's recursion implies, as `naiveInclusionRoot` does for PATH. */
function naiveConsistencyRoots(
  m: number,
  n: number,
  oldRoot: Uint8Array,
  proof: readonly Uint8Array[],
): { old: Uint8Array; new: Uint8Array } | undefined {
  if (m === 0) return undefined;
  let next = proof.length;
  type Pair = { old: Uint8Array; new: Uint8Array } | undefined;
  const up = (mm: number, nn: number, b: boolean): Pair => {
    if (mm === nn) {
      if (b) return { old: oldRoot, new: oldRoot };
      const node = proof[--next];
      return node === undefined ? undefined : { old: node, new: node };
    }
    const k = splitOf(nn);
    const sibling = proof[--next];
    if (sibling === undefined) return undefined;
    if (mm <= k) {
      const below = up(mm, k, b);
      return below && { old: below.old, new: sha256(ONE, below.new, sibling) };
    }
    const below = up(mm - k, nn - k, false);
    return below && { old: sha256(ONE, sibling, below.old), new: sha256(ONE, sibling, below.new) };
  };
  const roots = up(m, n, true);
  return next === 0 ? roots : undefined;
}

const ZERO = Uint8Array.of(0x00);
const ONE = Uint8Array.of(0x01);

/** The test log: entry i is the text "entry i". */
const MAX = 640;
const ENTRIES = Array.from({ length: MAX }, (_, i) => new TextEncoder().encode(`entry ${i}`));
const LEAVES = ENTRIES.map((entry) => sha256(ZERO, entry));

const mthCache = new Map<string, Uint8Array>();
/** MTH(D[start:end]) of the test log (§2.1.1), memoised. */
const mth: Mth = (start, end) => {
  const key = `${start}:${end}`;
  let hash = mthCache.get(key);
  if (hash === undefined) {
    const n = end - start;
    if (n === 0) hash = sha256();
    else if (n === 1) hash = sha256(ZERO, ENTRIES[start] as Uint8Array);
    else {
      const k = splitOf(n);
      hash = sha256(ONE, mth(start, start + k), mth(start + k, end));
    }
    mthCache.set(key, hash);
  }
  return hash;
};

/** The perfect subtrees in the order appends complete them: leaf n, then what n completes. */
function naiveCompletionOrder(size: number): { level: number; index: number }[] {
  const order: { level: number; index: number }[] = [];
  for (let n = 0; n < size; n += 1) {
    order.push({ level: 0, index: n });
    for (let level = 1; (n + 1) % 2 ** level === 0; level += 1) {
      order.push({ level, index: (n + 1) / 2 ** level - 1 });
    }
  }
  return order;
}

// ---------------------------------------------------------------------------------------------
// Helpers.

/** Every stored hash of the test log of MAX leaves, by id, built by one appendLeaves call. */
const STORE: readonly Uint8Array[] = appendLeaves({
  size: 0,
  frontier: [],
  leafHashes: LEAVES,
}).stored.map((s) => s.hash);

interface CountingReader extends HashReader {
  readonly calls: number[][];
}

/** A reader over STORE that refuses ids a tree of `size` does not have yet. */
function storeReader(size: number): CountingReader {
  const calls: number[][] = [];
  const count = storedHashCount({ size });
  return {
    calls,
    readHashes(ids) {
      calls.push([...ids]);
      return Promise.resolve(
        ids.map((id) => {
          const hash = STORE[id];
          if (id >= count || hash === undefined) throw new Error(`id ${id} not stored at ${size}`);
          return hash;
        }),
      );
    },
  };
}

/** Runs `run` and returns the code of the TlogError it throws, or 'ok'; other errors escape. */
function outcome(run: () => unknown): TlogErrorCode | 'ok' {
  try {
    run();
    return 'ok';
  } catch (error) {
    if (error instanceof TlogError) return error.code;
    throw error;
  }
}

async function asyncOutcome(run: () => Promise<unknown>): Promise<TlogErrorCode | 'ok'> {
  try {
    await run();
    return 'ok';
  } catch (error) {
    if (error instanceof TlogError) return error.code;
    throw error;
  }
}

function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const copy = Uint8Array.from(bytes);
  const at = (bit >> 3) % copy.length;
  copy[at] = (copy[at] ?? 0) ^ (1 << (bit & 7));
  return copy;
}

/** ceil(log2 n) for n ≥ 1, exactly. */
function ceilLog2(n: number): number {
  return n === 1 ? 0 : (BigInt(n) - 1n).toString(2).length;
}

/** Sizes, indices and old sizes of a test-log tree. */
const sizeAndIndex = fc
  .integer({ min: 1, max: 600 })
  .chain((size) => fc.tuple(fc.constant(size), fc.integer({ min: 0, max: size - 1 })));
const oldAndNew = fc
  .integer({ min: 0, max: 600 })
  .chain((n) => fc.tuple(fc.integer({ min: 0, max: n }), fc.constant(n)));

// ---------------------------------------------------------------------------------------------

describe('hash primitives (LED-2, RFC 9162 §2.1.1)', () => {
  test('LED-2: leaf, node and empty-tree hashes are SHA-256 with the 0x00 / 0x01 prefixes', () => {
    assert.equal(HASH_SIZE, 32);
    assert.equal(
      hex(emptyRoot()),
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    assert.equal(
      hex(leafHash(new Uint8Array(0))),
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    );
    const [a, b] = [LEAVES[0] as Uint8Array, LEAVES[1] as Uint8Array];
    assert.deepEqual(nodeHash(a, b), sha256(ONE, a, b));
    assert.notDeepEqual(nodeHash(a, b), nodeHash(b, a));
    // Plain Uint8Arrays, so that deepEqual against other byte arrays works.
    assert.equal(Object.getPrototypeOf(leafHash(a)), Uint8Array.prototype);
    assert.equal(Object.getPrototypeOf(nodeHash(a, b)), Uint8Array.prototype);
    // emptyRoot() hands out copies: writing into one does not change the next.
    const root = emptyRoot();
    root[0] = 0;
    assert.equal(emptyRoot()[0], 0xe3);
  });

  test('LED-2: leafHash(entry) = SHA-256(0x00 || entry) for any entry', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (entry) => {
        assert.deepEqual(leafHash(entry), sha256(ZERO, entry));
      }),
    );
  });

  test('LED-2: the RFC 6962 test tree (8 entries) has the published roots for sizes 1..8', () => {
    const entries = [
      '',
      '00',
      '10',
      '2021',
      '3031',
      '40414243',
      '5051525354555657',
      '606162636465666768696a6b6c6d6e6f',
    ].map((h) => new Uint8Array(Buffer.from(h, 'hex')));
    const roots = [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
      'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
      '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
      '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
      'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
      '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
    ];
    let state = { size: 0, frontier: [] as Uint8Array[] };
    for (const [i, entry] of entries.entries()) {
      state = appendLeaves({ ...state, leafHashes: [leafHash(entry)] });
      assert.equal(hex(rootFromFrontier(state)), roots[i], `root of size ${i + 1}`);
    }
  });
});

describe('stored hash ids (LED-2)', () => {
  test('LED-2: ids follow the completion order of golang.org/x/mod/sumdb/tlog', () => {
    const first = [
      [0, 0],
      [0, 1],
      [1, 0],
      [0, 2],
      [0, 3],
      [1, 1],
      [2, 0],
      [0, 4],
      [0, 5],
      [1, 2],
      [0, 6],
      [0, 7],
      [1, 3],
      [2, 1],
      [3, 0],
      [0, 8],
    ];
    first.forEach(([level, index], id) => {
      assert.equal(storedHashIndex({ level: level as number, index: index as number }), id);
      assert.deepEqual(splitStoredHashIndex(id), { level, index });
    });
    const order = naiveCompletionOrder(MAX);
    order.forEach((node, id) => {
      assert.equal(storedHashIndex(node), id);
      assert.deepEqual(splitStoredHashIndex({ id }), node);
    });
    // A tree of `size` leaves holds what came before leaf `size`.
    const leafIds = order.flatMap((node, id) => (node.level === 0 ? [id] : []));
    leafIds.forEach((id, size) => assert.equal(storedHashCount({ size }), id, `size ${size}`));
    assert.equal(storedHashCount({ size: MAX }), order.length);
  });

  test('LED-2: ids stay exact up to 2^50 leaves', () => {
    assert.equal(storedHashCount({ size: 2 ** 50 }), 2 ** 51 - 1);
    assert.equal(storedHashIndex({ level: 0, index: 2 ** 50 - 1 }), 2 ** 51 - 52);
    assert.equal(storedHashIndex({ level: 50, index: 0 }), 2 ** 51 - 2);
    assert.deepEqual(splitStoredHashIndex(2 ** 51 - 2), { level: 50, index: 0 });
    assert.deepEqual(frontierIds({ size: 2 ** 50 }), [2 ** 51 - 2]);
    assert.equal(frontierIds({ size: 2 ** 50 - 1 }).length, 50);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 50 }), fc.maxSafeNat(), (level, seed) => {
        const index = seed % 2 ** (50 - level);
        const id = storedHashIndex({ level, index });
        assert.ok(Number.isSafeInteger(id));
        assert.deepEqual(splitStoredHashIndex(id), { level, index });
        // Stored with the last leaf it covers, at offset `level` among that leaf's hashes.
        const last = (index + 1) * 2 ** level - 1;
        assert.equal(id, storedHashCount({ size: last }) + level);
        assert.ok(id < storedHashCount({ size: last + 1 }));
      }),
    );
  });

  test('LED-2: frontierIds lists the maximal perfect subtrees of [0, size), left to right', () => {
    assert.deepEqual(frontierIds({ size: 0 }), []);
    assert.deepEqual(frontierIds({ size: 1 }), [0]);
    assert.deepEqual(frontierIds({ size: 5 }), [6, 7]);
    assert.deepEqual(frontierIds({ size: 7 }), [6, 9, 10]);
    for (let size = 0; size <= MAX; size += 1) {
      const expected: number[] = [];
      let start = 0;
      for (let level = 10; level >= 0; level -= 1) {
        if (size - start >= 2 ** level) {
          expected.push(storedHashIndex({ level, index: start / 2 ** level }));
          start += 2 ** level;
        }
      }
      assert.deepEqual(frontierIds({ size }), expected);
      assert.deepEqual(treeRootIds({ size }), expected);
    }
  });

  test('LED-2: impossible levels, indices, ids and sizes are TLOG_MALFORMED', () => {
    const bad: (() => unknown)[] = [
      () => storedHashIndex({ level: -1, index: 0 }),
      () => storedHashIndex({ level: 1.5, index: 0 }),
      () => storedHashIndex({ level: 0, index: -1 }),
      () => storedHashIndex({ level: 0, index: 0.5 }),
      () => storedHashIndex({ level: 0, index: 2 ** 52 }),
      () => storedHashIndex({ level: 53, index: 0 }),
      () => splitStoredHashIndex(-1),
      () => splitStoredHashIndex(1.5),
      () => splitStoredHashIndex(Number.NaN),
      () => splitStoredHashIndex(2 ** 53),
      () => storedHashCount({ size: -1 }),
      () => storedHashCount({ size: 0.5 }),
      () => storedHashCount({ size: Number.POSITIVE_INFINITY }),
      () => storedHashCount({ size: 2 ** 52 + 1 }),
      () => frontierIds({ size: -1 }),
      () => frontierIds({ size: 3.5 }),
    ];
    for (const run of bad) assert.equal(outcome(run), 'TLOG_MALFORMED', String(run));
  });
});

describe('appendLeaves and rootFromFrontier (LED-2)', () => {
  test('LED-2: batches of any split store exactly the naive perfect-subtree hashes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 600 }),
        fc.array(fc.integer({ min: 1, max: 70 }), { maxLength: 40 }),
        (size, cuts) => {
          let state = { size: 0, frontier: [] as Uint8Array[] };
          let cut = 0;
          while (state.size < size) {
            const end = Math.min(size, state.size + (cuts[cut++] ?? size));
            const before = storedHashCount({ size: state.size });
            const frontierBefore = state.frontier.slice();
            const result = appendLeaves({ ...state, leafHashes: LEAVES.slice(state.size, end) });
            // The input frontier is not changed.
            assert.deepEqual(state.frontier, frontierBefore);
            assert.equal(result.size, end);
            assert.deepEqual(
              result.stored.map((s) => s.id),
              Array.from({ length: storedHashCount({ size: end }) - before }, (_, i) => before + i),
            );
            for (const { id, hash } of result.stored) {
              const { level, index } = splitStoredHashIndex(id);
              const start = index * 2 ** level;
              assert.equal(hex(hash), hex(mth(start, start + 2 ** level)), `stored id ${id}`);
            }
            assert.deepEqual(
              hexes(result.frontier),
              frontierIds({ size: end }).map((id) => hex(STORE[id] as Uint8Array)),
            );
            assert.equal(hex(rootFromFrontier(result)), hex(mth(0, end)));
            state = result;
          }
          assert.equal(hex(rootFromFrontier(state)), hex(mth(0, size)));
        },
      ),
      { numRuns: 60 },
    );
  });

  test('LED-2: the empty tree and empty batches', () => {
    assert.deepEqual(rootFromFrontier({ frontier: [] }), emptyRoot());
    const frontier = [STORE[6] as Uint8Array, STORE[7] as Uint8Array];
    const result = appendLeaves({ size: 5, frontier, leafHashes: [] });
    assert.deepEqual(result, { stored: [], frontier, size: 5 });
    assert.notEqual(result.frontier, frontier);
  });

  test('LED-2: a batch of 256 leaves near 2^50 costs no work in the old size', () => {
    const size = 2 ** 50 - 300;
    const frontier = frontierIds({ size }).map((id) => sha256(Buffer.from(`node ${id}`)));
    const started = performance.now();
    const result = appendLeaves({ size, frontier, leafHashes: LEAVES.slice(0, 256) });
    const elapsed = performance.now() - started;
    assert.equal(result.size, size + 256);
    const first = storedHashCount({ size });
    assert.equal(result.stored[0]?.id, first);
    assert.equal(result.stored.at(-1)?.id, storedHashCount({ size: size + 256 }) - 1);
    assert.equal(result.frontier.length, frontierIds({ size: size + 256 }).length);
    assert.ok(elapsed < 500, `appending 256 leaves took ${elapsed} ms`);
  });

  test('LED-2: wrong frontiers, short hashes and bad sizes are TLOG_MALFORMED', () => {
    const leaf = LEAVES[0] as Uint8Array;
    const bad: (() => unknown)[] = [
      () => appendLeaves({ size: 1, frontier: [], leafHashes: [leaf] }),
      () => appendLeaves({ size: 0, frontier: [leaf], leafHashes: [leaf] }),
      () => appendLeaves({ size: 1, frontier: [leaf.subarray(1)], leafHashes: [leaf] }),
      () => appendLeaves({ size: 0, frontier: [], leafHashes: [leaf, new Uint8Array(33)] }),
      () => appendLeaves({ size: -1, frontier: [], leafHashes: [] }),
      () => appendLeaves({ size: 0.5, frontier: [], leafHashes: [] }),
      () => appendLeaves({ size: 2 ** 52, frontier: [leaf], leafHashes: [leaf] }),
      () => rootFromFrontier({ frontier: [leaf, new Uint8Array(31)] }),
    ];
    for (const run of bad) assert.equal(outcome(run), 'TLOG_MALFORMED', String(run));
  });
});

describe('proofs from stored hashes (LED-9, LED-10)', () => {
  test('LED-9: treeRoot and proveInclusion equal MTH and PATH, read once, verify', async () => {
    await fc.assert(
      fc.asyncProperty(sizeAndIndex, async ([size, index]) => {
        const reader = storeReader(size);
        assert.equal(hex(await treeRoot({ size, reader })), hex(mth(0, size)));
        assert.deepEqual(reader.calls, [treeRootIds({ size })]);

        const proofReader = storeReader(size);
        const proof = await proveInclusion({ index, size, reader: proofReader });
        assert.deepEqual(hexes(proof), hexes(naivePath(mth, index, 0, size)));
        const ids = inclusionProofIds({ index, size });
        assert.deepEqual(proofReader.calls, ids.length > 0 ? [ids] : []);

        const leaf = LEAVES[index] as Uint8Array;
        const root = mth(0, size);
        assert.deepEqual(rootFromInclusion({ index, size, leafHash: leaf, proof }), root);
        verifyInclusion({ index, size, leafHash: leaf, proof, root });
      }),
      { numRuns: 300 },
    );
  });

  test('LED-10: proveConsistency equals PROOF(m, D[n]), with one read, and verifies', async () => {
    await fc.assert(
      fc.asyncProperty(oldAndNew, async ([oldSize, newSize]) => {
        const reader = storeReader(newSize);
        const proof = await proveConsistency({ oldSize, newSize, reader });
        assert.deepEqual(hexes(proof), hexes(naiveProof(mth, oldSize, newSize)));
        const ids = consistencyProofIds({ oldSize, newSize });
        assert.deepEqual(reader.calls, ids.length > 0 ? [ids] : []);
        const args = { oldSize, newSize, oldRoot: mth(0, oldSize), newRoot: mth(0, newSize) };
        verifyConsistency({ ...args, proof });
      }),
      { numRuns: 300 },
    );
  });

  test('LED-9, LED-10: every size up to 70, every index and old size, equals the RFC', async () => {
    for (let size = 0; size <= 70; size += 1) {
      assert.equal(hex(await treeRoot({ size, reader: storeReader(size) })), hex(mth(0, size)));
      for (let index = 0; index < size; index += 1) {
        const proof = await proveInclusion({ index, size, reader: storeReader(size) });
        assert.deepEqual(hexes(proof), hexes(naivePath(mth, index, 0, size)), `${index}/${size}`);
      }
      for (let oldSize = 0; oldSize <= size; oldSize += 1) {
        const reader = storeReader(size);
        const proof = await proveConsistency({ oldSize, newSize: size, reader });
        assert.deepEqual(hexes(proof), hexes(naiveProof(mth, oldSize, size)), `${oldSize}/${size}`);
      }
    }
  });

  test('LED-9, LED-10: the empty tree, one leaf and equal sizes need no read', async () => {
    const reader = storeReader(0);
    assert.deepEqual(await treeRoot({ size: 0, reader }), emptyRoot());
    assert.deepEqual(await proveInclusion({ index: 0, size: 1, reader }), []);
    assert.deepEqual(await proveConsistency({ oldSize: 0, newSize: 9, reader }), []);
    assert.deepEqual(await proveConsistency({ oldSize: 9, newSize: 9, reader }), []);
    assert.deepEqual(reader.calls, []);
  });

  test('LED-9, LED-10: impossible arguments and bad reads are TLOG_MALFORMED', async () => {
    const reader = storeReader(MAX);
    const short: HashReader = {
      readHashes: (ids) => Promise.resolve(ids.slice(1).map(() => new Uint8Array(32))),
    };
    const long: HashReader = {
      readHashes: (ids) => Promise.resolve([...ids, 0].map(() => new Uint8Array(32))),
    };
    const wrongLength: HashReader = {
      readHashes: (ids) => Promise.resolve(ids.map((_, i) => new Uint8Array(i === 1 ? 31 : 32))),
    };
    const bad: (() => Promise<unknown>)[] = [
      () => proveInclusion({ index: 5, size: 5, reader }),
      () => proveInclusion({ index: -1, size: 5, reader }),
      () => proveInclusion({ index: 1.5, size: 5, reader }),
      () => proveConsistency({ oldSize: 6, newSize: 5, reader }),
      () => proveConsistency({ oldSize: -1, newSize: 5, reader }),
      () => treeRoot({ size: 2 ** 53, reader }),
      () => treeRoot({ size: 7, reader: short }),
      () => treeRoot({ size: 7, reader: long }),
      () => treeRoot({ size: 7, reader: wrongLength }),
      () => proveInclusion({ index: 0, size: 7, reader: wrongLength }),
      () => proveConsistency({ oldSize: 3, newSize: 7, reader: short }),
    ];
    for (const run of bad) assert.equal(await asyncOutcome(run), 'TLOG_MALFORMED', String(run));
    assert.throws(() => inclusionProofIds({ index: 3, size: 3 }), { code: 'TLOG_MALFORMED' });
    assert.throws(() => consistencyProofIds({ oldSize: 4, newSize: 3 }), TlogError);
  });
});

describe('reads for large trees (LED-9, LED-10)', () => {
  // A tree whose leaves are all equal: the perfect subtree of level L has the same hash
  // u[L] wherever it is, so a reader can serve any id of a tree of 2^40 leaves, the stored
  // hashes are consistent with each other, and MTH, PATH and PROOF stay cheap to compute.
  const u: Uint8Array[] = [sha256(ZERO, new TextEncoder().encode('same entry'))];
  for (let level = 1; level <= 52; level += 1) {
    const below = u[level - 1] as Uint8Array;
    u.push(sha256(ONE, below, below));
  }
  const uniformCache = new Map<number, Uint8Array>();
  const uniformMth: Mth = (start, end) => {
    const n = end - start;
    let hash = uniformCache.get(n);
    if (hash === undefined) {
      if (n === 1) hash = u[0]!;
      else {
        const k = splitOf(n);
        hash = sha256(ONE, uniformMth(0, k), uniformMth(0, n - k));
      }
      uniformCache.set(n, hash);
    }
    return hash;
  };
  function uniformReader(size: number): CountingReader {
    const calls: number[][] = [];
    const count = storedHashCount({ size });
    return {
      calls,
      readHashes(ids) {
        calls.push([...ids]);
        return Promise.resolve(
          ids.map((id) => {
            if (id >= count) throw new Error(`id ${id} is not stored at size ${size}`);
            return u[splitStoredHashIndex(id).level] as Uint8Array;
          }),
        );
      },
    };
  }
  const large = fc.integer({ min: 1, max: 2 ** 40 });
  const bound = (size: number): number => 2 * ceilLog2(size) + 2;

  function checkIds(calls: number[][], planned: number[], size: number): void {
    assert.ok(calls.length <= 1, `${calls.length} reads`);
    const ids = calls[0] ?? [];
    assert.deepEqual(ids, planned);
    assert.ok(ids.length <= bound(size), `${ids.length} ids for size ${size}`);
    assert.equal(new Set(ids).size, ids.length, 'an id is read twice');
    assert.ok(ids.every((id) => id < storedHashCount({ size })));
  }

  test('LED-9: up to 2^40 leaves, one read of at most 2·ceil(log2 n)+2 ids', async () => {
    await fc.assert(
      fc.asyncProperty(
        large.chain((size) => fc.tuple(fc.constant(size), fc.integer({ min: 0, max: size - 1 }))),
        async ([size, index]) => {
          const rootReader = uniformReader(size);
          const root = await treeRoot({ size, reader: rootReader });
          assert.equal(hex(root), hex(uniformMth(0, size)));
          checkIds(rootReader.calls, treeRootIds({ size }), size);
          assert.equal(rootReader.calls.length, 1);

          const reader = uniformReader(size);
          const proof = await proveInclusion({ index, size, reader });
          checkIds(reader.calls, inclusionProofIds({ index, size }), size);
          assert.equal(reader.calls.length, size > 1 ? 1 : 0);
          assert.deepEqual(hexes(proof), hexes(naivePath(uniformMth, index, 0, size)));
          verifyInclusion({ index, size, leafHash: u[0] as Uint8Array, proof, root });
        },
      ),
      { numRuns: 300 },
    );
  });

  test('LED-10: up to 2^40 leaves, one read of at most 2·ceil(log2 n)+2 ids', async () => {
    await fc.assert(
      fc.asyncProperty(
        large.chain((n) => fc.tuple(fc.integer({ min: 0, max: n }), fc.constant(n))),
        async ([oldSize, newSize]) => {
          const reader = uniformReader(newSize);
          const proof = await proveConsistency({ oldSize, newSize, reader });
          checkIds(reader.calls, consistencyProofIds({ oldSize, newSize }), newSize);
          assert.equal(reader.calls.length, oldSize > 0 && oldSize < newSize ? 1 : 0);
          assert.deepEqual(hexes(proof), hexes(naiveProof(uniformMth, oldSize, newSize)));
          const oldRoot = oldSize === 0 ? emptyRoot() : uniformMth(0, oldSize);
          verifyConsistency({ oldSize, newSize, oldRoot, newRoot: uniformMth(0, newSize), proof });
        },
      ),
      { numRuns: 300 },
    );
  });

  test('LED-2: appends anywhere below 2^50 store u[level] under consecutive ids', () => {
    const sizes = fc.oneof(
      fc.integer({ min: 0, max: 2 ** 50 - 300 }),
      fc.constantFrom(2 ** 32 - 7, 2 ** 33 - 1, 2 ** 40 - 256, 2 ** 50 - 300, 3 * 2 ** 32 - 2),
    );
    fc.assert(
      fc.property(sizes, fc.integer({ min: 0, max: 300 }), (size, count) => {
        const levels = (ids: number[]): number[] => ids.map((id) => splitStoredHashIndex(id).level);
        const frontier = levels(frontierIds({ size })).map((level) => u[level] as Uint8Array);
        const leafHashes = Array.from({ length: count }, () => u[0] as Uint8Array);
        const result = appendLeaves({ size, frontier, leafHashes });
        const first = storedHashCount({ size });
        assert.equal(result.stored.length, storedHashCount({ size: size + count }) - first);
        result.stored.forEach(({ id, hash }, i) => {
          assert.equal(id, first + i);
          assert.equal(hex(hash), hex(u[splitStoredHashIndex(id).level] as Uint8Array), `${id}`);
        });
        const after = levels(frontierIds({ size: size + count }));
        const expected = after.map((level) => u[level] as Uint8Array);
        assert.deepEqual(hexes(result.frontier), hexes(expected));
        assert.equal(hex(rootFromFrontier(result)), hex(uniformMth(0, size + count)));
      }),
      { numRuns: 200 },
    );
    // The leaf that completes the first subtree of 2^32 leaves stores 33 hashes.
    const result = appendLeaves({
      size: 2 ** 32 - 1,
      frontier: Array.from({ length: 32 }, (_, i) => u[31 - i] as Uint8Array),
      leafHashes: [u[0] as Uint8Array],
    });
    assert.equal(result.stored.length, 33);
    assert.deepEqual(splitStoredHashIndex(result.stored[32]?.id ?? -1), { level: 32, index: 0 });
    assert.deepEqual(result.frontier, [u[32]]);
  });

  test('LED-9, LED-10: sizes around 2^32 and up to 2^52 prove and verify', async () => {
    const sizes = [
      2 ** 32 - 1,
      2 ** 32,
      2 ** 32 + 1,
      2 ** 33 + 32,
      3 * 2 ** 32,
      2 ** 40 - 1,
      2 ** 52 - 1,
      2 ** 52,
    ];
    for (const newSize of sizes) {
      const root = await treeRoot({ size: newSize, reader: uniformReader(newSize) });
      assert.equal(hex(root), hex(uniformMth(0, newSize)), `root of ${newSize}`);
      for (const other of sizes.filter((size) => size <= newSize)) {
        for (const index of [other - 1, other - 2, Math.floor(other / 3)]) {
          const reader = uniformReader(newSize);
          const proof = await proveInclusion({ index, size: newSize, reader });
          assert.deepEqual(hexes(proof), hexes(naivePath(uniformMth, index, 0, newSize)));
          verifyInclusion({ index, size: newSize, leafHash: u[0] as Uint8Array, proof, root });
        }
        const reader = uniformReader(newSize);
        const proof = await proveConsistency({ oldSize: other, newSize, reader });
        assert.deepEqual(hexes(proof), hexes(naiveProof(uniformMth, other, newSize)));
        const oldRoot = uniformMth(0, other);
        verifyConsistency({ oldSize: other, newSize, oldRoot, newRoot: root, proof });
        if (other < newSize) {
          const flipped = { oldSize: other, newSize, oldRoot: flipBit(oldRoot, 5), newRoot: root };
          const code = outcome(() => verifyConsistency({ ...flipped, proof }));
          assert.equal(code, 'TLOG_PROOF_INVALID');
        }
      }
    }
  });

  test('LED-9, LED-10: the largest id sets stay within the bound', () => {
    // Sizes with many set bits make the ragged right edge longest.
    for (const size of [2 ** 40, 2 ** 40 - 1, 2 ** 39 + 1, 2 ** 40 - 2 ** 20 + 1, 3, 2]) {
      for (const index of [0, 1, Math.floor(size / 2), size - 2, size - 1]) {
        if (index < 0 || index >= size) continue;
        assert.ok(inclusionProofIds({ index, size }).length <= bound(size), `${index}/${size}`);
      }
      for (const oldSize of [1, 2, Math.floor(size / 2) + 1, size - 1]) {
        if (oldSize <= 0 || oldSize > size) continue;
        const ids = consistencyProofIds({ oldSize, newSize: size });
        assert.ok(ids.length <= bound(size), `${oldSize}→${size}: ${ids.length}`);
      }
    }
  });
});

describe('tampered proofs (LED-9, LED-10, RFC 9162 §2.1.3.2, §2.1.4.2)', () => {
  test('LED-9: a flipped bit anywhere, or another index, is TLOG_PROOF_INVALID', async () => {
    await fc.assert(
      fc.asyncProperty(
        sizeAndIndex,
        fc.nat(),
        fc.nat({ max: 255 }),
        fc.nat(),
        async ([size, index], where, bit, other) => {
          const proof = await proveInclusion({ index, size, reader: storeReader(size) });
          const good = { index, size, leafHash: LEAVES[index] as Uint8Array, proof };
          const root = mth(0, size);
          // Slot 0 is the leaf hash, 1 the root, then the proof elements.
          const slot = where % (proof.length + 2);
          const args =
            slot === 0
              ? { ...good, leafHash: flipBit(good.leafHash, bit), root }
              : slot === 1
                ? { ...good, root: flipBit(root, bit) }
                : {
                    ...good,
                    proof: proof.map((p, i) => (i === slot - 2 ? flipBit(p, bit) : p)),
                    root,
                  };
          assert.equal(
            outcome(() => verifyInclusion(args)),
            'TLOG_PROOF_INVALID',
          );
          if (size > 1) {
            const otherIndex = (index + 1 + (other % (size - 1))) % size;
            assert.notEqual(otherIndex, index);
            const moved = { ...good, index: otherIndex, root };
            assert.equal(
              outcome(() => verifyInclusion(moved)),
              'TLOG_PROOF_INVALID',
            );
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  test('LED-9: another size fails unless PATH has the same shape for it (RFC 9162)', async () => {
    let rejected = 0;
    await fc.assert(
      fc.asyncProperty(sizeAndIndex, fc.integer({ min: 1, max: MAX }), async ([size, index], s) => {
        const moved = Math.max(s, index + 1);
        const otherSize = moved === size ? size + 1 : moved;
        const proof = await proveInclusion({ index, size, reader: storeReader(size) });
        const leaf = LEAVES[index] as Uint8Array;
        const root = mth(0, size);
        const implied = naiveInclusionRoot(index, otherSize, leaf, proof);
        const same = implied !== undefined && hex(implied) === hex(root);
        const want = same ? 'ok' : 'TLOG_PROOF_INVALID';
        if (want !== 'ok') rejected += 1;
        const args = { index, size: otherSize, leafHash: leaf, proof, root };
        const message = `${index}: ${size}→${otherSize}`;
        assert.equal(
          outcome(() => verifyInclusion(args)),
          want,
          message,
        );
      }),
      { numRuns: 400 },
    );
    assert.ok(rejected > 250, `only ${rejected} of 400 other sizes were rejected`);
  });

  test('LED-9: a proof alone does not bind the size: (0, 5) also checks as (0, 6)', async () => {
    // PATH(0, D[5]) and PATH(0, D[6]) both climb three left turns; the signed tree head is what
    // binds the size to the root.
    const proof = await proveInclusion({ index: 0, size: 5, reader: storeReader(5) });
    const args = { index: 0, leafHash: LEAVES[0] as Uint8Array, proof, root: mth(0, 5) };
    verifyInclusion({ ...args, size: 6 });
    assert.equal(
      outcome(() => verifyInclusion({ ...args, size: 9 })),
      'TLOG_PROOF_INVALID',
    );
    assert.equal(
      outcome(() => verifyInclusion({ ...args, size: 4 })),
      'TLOG_PROOF_INVALID',
    );
  });

  test('LED-9: extra, missing and short proof elements', async () => {
    const proof = await proveInclusion({ index: 5, size: 11, reader: storeReader(11) });
    const args = { index: 5, size: 11, leafHash: LEAVES[5] as Uint8Array, root: mth(0, 11) };
    verifyInclusion({ ...args, proof });
    const extra = [...proof, mth(0, 1)];
    assert.equal(
      outcome(() => verifyInclusion({ ...args, proof: extra })),
      'TLOG_PROOF_INVALID',
    );
    const fewer = proof.slice(0, -1);
    assert.equal(
      outcome(() => verifyInclusion({ ...args, proof: fewer })),
      'TLOG_PROOF_INVALID',
    );
    const short = [...fewer, (proof.at(-1) as Uint8Array).subarray(1)];
    assert.equal(
      outcome(() => verifyInclusion({ ...args, proof: short })),
      'TLOG_MALFORMED',
    );
    const malformed: (() => unknown)[] = [
      () => verifyInclusion({ ...args, index: 11, proof }),
      () => verifyInclusion({ ...args, index: -1, proof }),
      () => verifyInclusion({ ...args, size: 11.5, proof }),
      () => verifyInclusion({ ...args, size: 2 ** 53, proof }),
      () => verifyInclusion({ ...args, root: new Uint8Array(0), proof }),
      () => rootFromInclusion({ ...args, leafHash: new Uint8Array(64), proof }),
    ];
    for (const run of malformed) assert.equal(outcome(run), 'TLOG_MALFORMED', String(run));
  });

  test('LED-10: a flipped bit is TLOG_PROOF_INVALID; other sizes as RFC 9162 says', async () => {
    let rejected = 0;
    await fc.assert(
      fc.asyncProperty(
        oldAndNew.filter(([m, n]) => m > 0 && m < n),
        fc.nat(),
        fc.nat({ max: 255 }),
        fc.integer({ min: 1, max: MAX }),
        fc.boolean(),
        async ([oldSize, newSize], where, bit, s, changeOld) => {
          const proof = await proveConsistency({ oldSize, newSize, reader: storeReader(newSize) });
          const good = { oldSize, newSize, oldRoot: mth(0, oldSize), newRoot: mth(0, newSize) };
          const slot = where % (proof.length + 2);
          const flipped =
            slot === 0
              ? { ...good, oldRoot: flipBit(good.oldRoot, bit), proof }
              : slot === 1
                ? { ...good, newRoot: flipBit(good.newRoot, bit), proof }
                : { ...good, proof: proof.map((p, i) => (i === slot - 2 ? flipBit(p, bit) : p)) };
          assert.equal(
            outcome(() => verifyConsistency(flipped)),
            'TLOG_PROOF_INVALID',
          );

          // Another old or new size: accepted exactly when SUBPROOF's recursion for those sizes
          // rebuilds both roots from this proof.
          const m = changeOld ? (s % newSize) + (s % newSize >= oldSize ? 1 : 0) : oldSize;
          const n = changeOld ? newSize : Math.max(oldSize, s === newSize ? s + 1 : s);
          if (m === n || m > newSize) return;
          const implied = naiveConsistencyRoots(m, n, good.oldRoot, proof);
          const same =
            implied !== undefined &&
            hex(implied.old) === hex(good.oldRoot) &&
            hex(implied.new) === hex(good.newRoot);
          if (!same) rejected += 1;
          const moved = { ...good, oldSize: m, newSize: n, proof };
          const want = same ? 'ok' : 'TLOG_PROOF_INVALID';
          assert.equal(
            outcome(() => verifyConsistency(moved)),
            want,
            `${oldSize}→${newSize}`,
          );
        },
      ),
      { numRuns: 400 },
    );
    assert.ok(rejected > 200, `only ${rejected} other sizes were rejected`);
  });

  test('LED-10: edge rules for equal sizes, the empty tree and reversed sizes', () => {
    const [r5, r6] = [mth(0, 5), mth(0, 6)];
    const check = (
      oldSize: number,
      newSize: number,
      oldRoot: Uint8Array,
      newRoot: Uint8Array,
      proof: Uint8Array[],
    ): TlogErrorCode | 'ok' =>
      outcome(() => verifyConsistency({ oldSize, newSize, oldRoot, newRoot, proof }));
    assert.equal(check(5, 5, r5, r5, []), 'ok');
    assert.equal(check(5, 5, r5, r6, []), 'TLOG_PROOF_INVALID');
    assert.equal(check(5, 5, r5, r5, [r5]), 'TLOG_PROOF_INVALID');
    assert.equal(check(0, 0, emptyRoot(), emptyRoot(), []), 'ok');
    assert.equal(check(0, 0, r5, r5, []), 'TLOG_PROOF_INVALID');
    assert.equal(check(0, 6, emptyRoot(), r6, []), 'ok');
    assert.equal(check(0, 6, r5, r6, []), 'TLOG_PROOF_INVALID');
    assert.equal(check(0, 6, emptyRoot(), r6, [r6]), 'TLOG_PROOF_INVALID');
    assert.equal(check(5, 6, r5, r6, []), 'TLOG_PROOF_INVALID');
    assert.equal(check(6, 5, r6, r5, []), 'TLOG_MALFORMED');
    assert.equal(check(5, 6, r5, r6.subarray(0, 31), [r5]), 'TLOG_MALFORMED');
    assert.equal(check(5, 6, r5, r6, [new Uint8Array(33)]), 'TLOG_MALFORMED');
    assert.equal(check(-1, 6, r5, r6, [r5]), 'TLOG_MALFORMED');
    assert.equal(check(5, 6.5, r5, r6, [r5]), 'TLOG_MALFORMED');
  });
});
