/**
 * The audit ledger contract (profile section 9). A `Ledger` (ledger.ts) does the hash chain,
 * receipts and integrity checks once; a `LedgerBackend` only stores rows. Backends: memory
 * (memory.ts), SQLite (`ect/sqlite`), PostgreSQL (`ect/postgres`).
 * @module
 */
import { ECTError } from '../errors.js';
import type { ECTClaims, Level } from '../format/types.js';

/**
 * A stored row that no longer decodes (changed outside the ledger, or damaged). Its code is
 * `ECT_LEDGER_UNAVAILABLE` for verifiers; `Ledger.verifyIntegrity` reports it as the first bad
 * entry instead.
 */
export class LedgerRowError extends ECTError {
  /** The `seq` of the row, as stored (it may itself be what is damaged). */
  readonly seq: unknown;

  constructor(seq: unknown, message: string) {
    super('ECT_LEDGER_UNAVAILABLE', message);
    this.seq = seq;
  }
}

/** The chain position an append builds on: the last entry's `seq` and hash (LED-2). */
export interface ChainTip {
  /** 0 for an empty ledger. */
  readonly seq: number;
  /** 32 bytes; all zero for an empty ledger (the genesis value). */
  readonly entryHash: Uint8Array;
}

/** One ledger entry: the token as received, its claims and level, and its chain hashes (LED-2). */
export interface LedgerEntry {
  /** Position in the chain, from 1, without gaps. */
  readonly seq: number;
  readonly jti: string;
  readonly wid: string | undefined;
  /** The token exactly as received. */
  readonly token: string;
  readonly claims: ECTClaims;
  /** The level the token was recorded at (FMT-6): 1, 2, or 3 for an L2 token made L3 by this append. */
  readonly level: Level;
  /** When the entry was recorded, Unix milliseconds. */
  readonly recordedAt: number;
  /** base64url SHA-256 of the token's bytes (32 bytes). */
  readonly tokenHash: string;
  /** base64url of the previous entry's hash (32 zero bytes for seq 1). */
  readonly prevHash: string;
  /** base64url of SHA-256(prev_hash || SHA-256(token) || seq as 8-byte big-endian), LED-2. */
  readonly entryHash: string;
}

/**
 * Row storage for a `Ledger`. Implementations must make `append` atomic and serial: the entry it
 * stores is built from the current tip inside the same transaction, so the chain stays one linear
 * sequence under concurrency (LED-2), and the uniqueness of (`wid`, `jti`) is enforced by the store
 * itself (LED-3). A returned entry is durable (LED-4).
 */
export interface LedgerBackend {
  /**
   * Atomically reads the tip, calls `build(tip)` and stores what it returns.
   * Throws `ECTError('ECT_DAG_DUPLICATE')` when (`wid`, `jti`) already exists, and
   * `ECTError('ECT_LEDGER_UNAVAILABLE')` when the store cannot be reached or the write fails.
   */
  append(build: (tip: ChainTip) => LedgerEntry): Promise<LedgerEntry>;
  /**
   * Optional group commit: stores several entries in ONE atomic, durable transaction (one fsync
   * for all of them, LED-4), so that concurrent appends in one process share the cost of a commit.
   * `Ledger` uses it when present (see `LedgerOptions.groupCommit`).
   *
   * - LED-2: the items are chained in array order; `builds[i]` is called with the tip after the
   *   items before it that were stored, so `seq` stays gapless. Builds must be pure (no state
   *   left behind): a backend may call one more than once (to lay the batch out again after a
   *   duplicate, after rolling an item back, or on a second attempt); only the entry it finally
   *   stores and returns counts.
   * - LED-3, item by item: an item whose (`wid`, `jti`) already exists, in the store or earlier in
   *   the same batch, is `ECTError('ECT_DAG_DUPLICATE')` in the result; the other items still
   *   commit. A backend may also give one item `ECTError('ECT_LEDGER_UNAVAILABLE')` when the store
   *   refuses that item's data alone (a value it cannot represent), again without failing the rest.
   * - Whole batch: when the store cannot be reached or the transaction fails, the call throws
   *   `ECTError('ECT_LEDGER_UNAVAILABLE')` and none of the items is stored.
   *
   * Resolves, once committed, to one result per build, in the same order.
   */
  appendMany?(builds: readonly ((tip: ChainTip) => LedgerEntry)[]): Promise<readonly (LedgerEntry | ECTError)[]>;
  /** The entry of (`wid`, `jti`); `wid` undefined means the entries without a `wid`. */
  get(jti: string, wid: string | undefined): Promise<LedgerEntry | undefined>;
  /** Every entry with this `jti`, in any workflow. */
  findByJti(jti: string): Promise<readonly LedgerEntry[]>;
  /** Whether some entry lists `jti` in its `pred`. */
  isReferenced(jti: string): Promise<boolean>;
  /** Every entry of one workflow, by `seq`. */
  listWorkflow(wid: string): Promise<readonly LedgerEntry[]>;
  /** Up to `limit` entries with `seq >= from`, by `seq` (integrity checks and export page with it). */
  readFrom(from: number, limit: number): Promise<readonly LedgerEntry[]>;
  /** The current tip (seq 0 and 32 zero bytes when empty). */
  tip(): Promise<ChainTip>;
  close(): Promise<void>;
}

/** What an append returns (LED-5). `jws` is the ledger's signature over the other members. */
export interface Receipt {
  readonly seq: number;
  readonly jti: string;
  readonly wid: string | undefined;
  readonly level: Level;
  readonly tokenHash: string;
  readonly entryHash: string;
  readonly recordedAt: number;
  /** Compact JWS, `typ` `ect-receipt+jwt`, when the ledger has a signing key. */
  readonly jws?: string;
}

/** The outcome of an integrity check (LED-1, LED-2). */
export interface IntegrityReport {
  readonly ok: boolean;
  /** How many entries were checked. */
  readonly checked: number;
  /** The first entry that does not verify, when `ok` is false. */
  readonly firstBad?: { readonly seq: number; readonly reason: string };
}
