/**
 * The receipts of one group commit, described in columns (LED-5, LED-9): the batch's signed
 * checkpoint once, the tree hashes its inclusion proofs need in one byte array, and each
 * receipt's fields. The thread that signs the receipts also builds their proofs from it, so a
 * large batch costs the verifying thread one compact message instead of a proof, a tlog-proof text
 * and a structured clone per receipt (measured: these were a fifth of the main thread's ledger
 * work in `ect verify --batch`).
 * @module
 */
import { HASH_SIZE } from '../tlog/hash.js';
import { encodeBase64Std } from '../tlog/note.js';
import { formatTlogProof } from '../tlog/proof-file.js';
import { proveInclusion, type HashReader } from '../tlog/prove.js';
import type { Level } from '../format/types.js';
import type { Receipt } from './types.js';

/** A batch's receipts before signing, as columns (index i is the batch's i-th receipt). */
export interface ReceiptBatch {
  /** The batch's signed checkpoint (a C2SP signed note). */
  readonly note: string;
  /** The tree size the checkpoint states. */
  readonly size: number;
  /** Stored-hash ids, and their hashes (HASH_SIZE bytes each) in `nodeHashes`. */
  readonly nodeIds: Float64Array;
  readonly nodeHashes: Uint8Array;
  /** When the batch was recorded (milliseconds since the epoch), the same for every entry. */
  readonly recordedAt: number;
  readonly seqs: Float64Array;
  readonly jtis: readonly string[];
  /** `wid`, or null for an entry without one. */
  readonly wids: readonly (string | null)[];
  readonly levels: Uint8Array;
  readonly tokenHashes: readonly string[];
  /** The leaf hashes, HASH_SIZE bytes each. */
  readonly leaves: Uint8Array;
}

/** One receipt's fields, before the batch is built. */
export interface ReceiptItem {
  readonly seq: number;
  readonly jti: string;
  readonly wid: string | undefined;
  readonly level: Level;
  readonly tokenHash: string;
  readonly leaf: Uint8Array;
}

/** Packs a batch's receipts; `nodes` must hold every hash their inclusion proofs need. */
export function receiptBatch(options: {
  readonly note: string;
  readonly size: number;
  readonly recordedAt: number;
  readonly nodes: ReadonlyMap<number, Uint8Array>;
  readonly items: readonly ReceiptItem[];
}): ReceiptBatch {
  const { nodes, items } = options;
  const nodeIds = new Float64Array(nodes.size);
  const nodeHashes = new Uint8Array(nodes.size * HASH_SIZE);
  let n = 0;
  for (const [id, hash] of nodes) {
    nodeIds[n] = id;
    nodeHashes.set(hash, n++ * HASH_SIZE);
  }
  const leaves = new Uint8Array(items.length * HASH_SIZE);
  items.forEach((item, i) => leaves.set(item.leaf, i * HASH_SIZE));
  return {
    note: options.note,
    size: options.size,
    nodeIds,
    nodeHashes,
    recordedAt: options.recordedAt,
    seqs: Float64Array.from(items, (item) => item.seq),
    jtis: items.map((item) => item.jti),
    wids: items.map((item) => item.wid ?? null),
    levels: Uint8Array.from(items, (item) => item.level),
    tokenHashes: items.map((item) => item.tokenHash),
    leaves,
  };
}

/** The batch's hashes as a reader; an id the batch lacks is a bug, reported as such. */
function batchReader(batch: ReceiptBatch): HashReader {
  const index = new Map<number, number>();
  batch.nodeIds.forEach((id, i) => index.set(id, i));
  return {
    readHashes: (ids) =>
      Promise.resolve(
        ids.map((id) => {
          const i = index.get(id);
          if (i === undefined) throw new Error(`the receipt batch lacks tree node ${id}`);
          return batch.nodeHashes.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE);
        }),
      ),
  };
}

/** The i-th receipt of a batch, given its leaf hash and proof text (base64 and tlog-proof). */
export function receiptAt(
  batch: ReceiptBatch,
  i: number,
  built: { readonly leafHash: string; readonly proof: string },
): Omit<Receipt, 'jws'> {
  const wid = batch.wids[i];
  return {
    seq: batch.seqs[i]!,
    jti: batch.jtis[i]!,
    wid: wid === null ? undefined : wid,
    level: batch.levels[i] as Level,
    recordedAt: batch.recordedAt,
    tokenHash: batch.tokenHashes[i]!,
    leafHash: built.leafHash,
    proof: built.proof,
  };
}

/** The unsigned receipts of a batch: each with its leaf hash and its tlog-proof (LED-9). */
export async function unsignedReceipts(batch: ReceiptBatch): Promise<Omit<Receipt, 'jws'>[]> {
  const reader = batchReader(batch);
  const receipts: Omit<Receipt, 'jws'>[] = [];
  for (let i = 0; i < batch.jtis.length; i++) {
    const index = batch.seqs[i]! - 1;
    const proof = await proveInclusion({ index, size: batch.size, reader });
    receipts.push(
      receiptAt(batch, i, {
        leafHash: encodeBase64Std(batch.leaves.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE)),
        proof: formatTlogProof({ index, proof, checkpoint: batch.note }),
      }),
    );
  }
  return receipts;
}

/** What the signer thread answers for a batch: each receipt's leaf hash, proof and JWS. */
export interface SignedColumns {
  readonly leafHashes: readonly string[];
  readonly proofs: readonly string[];
  readonly jws: readonly string[];
}
