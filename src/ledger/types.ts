/**
 * The audit ledger contract (profile section 9). A `Ledger` (ledger.ts) owns the RFC 9162 tree,
 * checkpoints, receipts and integrity verification once; a `LedgerBackend` only stores and reads
 * rows. Backends: memory (memory.ts), SQLite (`wimse-ect/sqlite`), PostgreSQL
 * (`wimse-ect/postgres`).
 * @module
 */
import type { Level } from '../format/types.js';
import type {
  BatchRows,
  CheckpointRow,
  CosignatureRow,
  LedgerMeta,
  NodeRow,
  PredRow,
} from './rows.js';

export { LedgerRowError, type LedgerEntry } from './rows.js';

/** What an append transaction reads under the lock (LED-2, LED-3): the tip of the log. */
export interface AppendTip {
  /** The number of stored entries (the tree size). */
  readonly size: number;
  /** The stored hashes of the tree's right edge, in the order of `frontierIds({ size })`. */
  readonly frontier: readonly Uint8Array[];
  /** Which of the uniqueness keys asked for are already stored (LED-3). */
  readonly existing: ReadonlySet<string>;
}

/**
 * One append transaction, holding the append lock from `beginAppend` to `commit` or `rollback`
 * (LED-2: one writer builds on the tip at a time, across processes). Other readers never see its
 * rows before the commit. Two round trips a batch: the tip, then the rows with the commit.
 *
 * @example
 * ```ts
 * import { MemoryLedgerBackend, type AppendTransaction } from 'wimse-ect';
 *
 * // A backend's append transaction: the tip under the lock, then the rows with the commit.
 * const backend = new MemoryLedgerBackend();
 * const transaction: AppendTransaction = await backend.beginAppend({ scopes: [] });
 * console.log(transaction.tip.size); // 0
 * await transaction.rollback();
 * ```
 */
export interface AppendTransaction {
  /** The tip, read under the lock when the transaction began. */
  readonly tip: AppendTip;
  /**
   * Stores the batch's rows and commits them durably (LED-4), releasing the lock. The store's own
   * constraints (primary keys, unique scope) still apply: a violation fails the whole batch with
   * `ECT_LEDGER_UNAVAILABLE` and stores none of it.
   */
  commit(rows: BatchRows): Promise<void>;
  /** Undoes the transaction and releases the lock; never throws. */
  rollback(): Promise<void>;
}

/**
 * Row storage for a `Ledger`. Every read is one indexed lookup or range (DAG-7).
 *
 * @example
 * ```ts
 * import { Ledger, MemoryLedgerBackend, type LedgerBackend } from 'wimse-ect';
 *
 * // Any row storage: memory here; openSqliteLedger and openPostgresLedger bring the others.
 * const backend: LedgerBackend = new MemoryLedgerBackend();
 * const ledger = await Ledger.open({ backend, origin: 'example.org/ect-ledger' });
 * console.log(backend.location, await ledger.size()); // memory: 0
 * ```
 */
export interface LedgerBackend {
  /** Human-readable location for messages (a path, a redacted URL). */
  readonly location: string;
  /**
   * Takes the append lock, opens a write transaction and reads the tip: the size, the right edge
   * of the tree, and which of `scopes` are stored.
   */
  beginAppend(options: { readonly scopes: readonly string[] }): Promise<AppendTransaction>;
  /** The stored identity, or undefined for a new ledger. */
  readMeta(): Promise<LedgerMeta | undefined>;
  /** Stores the identity on first use; a no-op returning the stored one if another writer won. */
  initMeta(meta: LedgerMeta): Promise<LedgerMeta>;
  /** The entries row of this uniqueness key (`taskKey`), raw. */
  entryByScope(scope: string): Promise<Readonly<Record<string, unknown>> | undefined>;
  /** The entries rows with this canonical `jti`, by seq, raw. */
  entriesByJti(jti: string): Promise<readonly Readonly<Record<string, unknown>>[]>;
  /** The entries rows of this canonical `wid`, by seq, raw. */
  entriesByWid(wid: string): Promise<readonly Readonly<Record<string, unknown>>[]>;
  /** Up to `limit` entries rows with `seq >= from`, by seq, raw. */
  entriesFrom(from: number, limit: number): Promise<readonly Readonly<Record<string, unknown>>[]>;
  /** Whether some entry lists this canonical id in its `pred`. */
  isReferenced(pred: string): Promise<boolean>;
  /** Predecessor rows with `from <= seq < to`, by (seq, pred), raw. */
  predsBetween(from: number, to: number): Promise<readonly Readonly<Record<string, unknown>>[]>;
  /** The number of stored entries (committed). */
  size(): Promise<number>;
  /** Stored tree hashes by id, in the order asked (proofs: O(log n) ids, one query). */
  readHashes(ids: readonly number[]): Promise<readonly Uint8Array[]>;
  /** Up to `limit` node rows with `id >= from`, by id, raw (integrity verification). */
  nodesFrom(from: number, limit: number): Promise<readonly Readonly<Record<string, unknown>>[]>;
  /** Up to `limit` checkpoint rows with `size >= from`, by size, raw. */
  checkpointsFrom(
    from: number,
    limit: number,
  ): Promise<readonly Readonly<Record<string, unknown>>[]>;
  /** The checkpoint of the largest size, raw. */
  latestCheckpoint(): Promise<Readonly<Record<string, unknown>> | undefined>;
  /** Stores cosignature lines (LED-11); a line already stored for (size, witness) is replaced. */
  addCosignatures(rows: readonly CosignatureRow[]): Promise<void>;
  /** The cosignature rows of the checkpoints with `from <= size <= to`, raw. */
  cosignaturesBetween(
    from: number,
    to: number,
  ): Promise<readonly Readonly<Record<string, unknown>>[]>;
  /** Problems with the stored schema (a missing table or index), reported, never repaired. */
  schemaProblems(): Promise<readonly string[]>;
  /** Releases the connections and files; the backend is unusable afterwards. */
  close(): Promise<void>;
}

/** Row types a test or a custom backend may need. */
export type { BatchRows, CheckpointRow, CosignatureRow, LedgerMeta, NodeRow, PredRow };

/**
 * What an append returns (LED-5).
 *
 * @example
 * ```ts
 * import { createECT, generateKeyPair, Ledger, type Receipt } from 'wimse-ect';
 *
 * const ledger = await Ledger.open({
 *   key: generateKeyPair({ alg: 'EdDSA' }).privateJwk,
 *   origin: 'example.org/ect-ledger',
 * });
 * const token = createECT(
 *   { iss: 'spiffe://example.org/a', aud: 'b', exec_act: 'x' },
 *   { key: generateKeyPair().privateJwk },
 * );
 * const receipt: Receipt = await ledger.append({ token, level: 3 });
 * console.log(receipt.seq, receipt.proof.split('\n')[0]); // 1 c2sp.org/tlog-proof@v1
 * ```
 */
export interface Receipt {
  readonly seq: number;
  readonly jti: string;
  readonly wid: string | undefined;
  readonly level: Level;
  readonly recordedAt: number;
  /** base64url SHA-256 of the token's bytes. */
  readonly tokenHash: string;
  /** base64 RFC 9162 leaf hash of the entry (LED-2). */
  readonly leafHash: string;
  /** The inclusion proof against the batch's checkpoint, a C2SP tlog-proof (LED-9). */
  readonly proof: string;
  /** Compact JWS, `typ` `ect-receipt+jwt`, signed by the ledger's key over all of the above. */
  readonly jws: string;
}

/**
 * One problem an integrity check found (LED-2, LED-10): where, and what.
 *
 * @example
 * ```ts
 * import { Ledger, type IntegrityProblem } from 'wimse-ect';
 *
 * const ledger = await Ledger.open({ origin: 'example.org/ect-ledger' });
 * const problem: IntegrityProblem | undefined = (await ledger.verifyIntegrity()).firstBad;
 * if (problem)
 *   console.log(
 *     `${problem.table} ${problem.seq ?? ''} ${problem.column ?? ''}: ${problem.reason}`,
 *   );
 * ```
 */
export interface IntegrityProblem {
  /** The table (`entries`, `preds`, `nodes`, `checkpoints`, `cosignatures`, `meta`, `schema`) or `anchor`. */
  readonly table: string;
  /** The entry's seq (or the checkpoint's size), when the problem has one. */
  readonly seq?: number;
  readonly column?: string;
  readonly reason: string;
}

/**
 * The outcome of an integrity check (LED-1, LED-2, LED-10).
 *
 * @example
 * ```ts
 * import { Ledger, type IntegrityReport } from 'wimse-ect';
 *
 * const ledger = await Ledger.open({ origin: 'example.org/ect-ledger' });
 * const report: IntegrityReport = await ledger.verifyIntegrity();
 * console.log(report.ok, report.checked, report.size); // true 0 0
 * ```
 */
export interface IntegrityReport {
  readonly ok: boolean;
  /** How many entries were checked. */
  readonly checked: number;
  /** The tree size and root (base64) the entries give, when every entry checked. */
  readonly size: number;
  readonly root?: string;
  /** How many stored checkpoints, anchors and cosignatures were checked. */
  readonly checkpoints: number;
  readonly anchors: number;
  readonly cosignatures: number;
  /** The first problem, when `ok` is false. */
  readonly firstBad?: IntegrityProblem;
}
