/**
 * The audit ledger (profile section 9) over any `LedgerBackend`: builds the hash chain (LED-2),
 * signs receipts (LED-5), verifies integrity, and serves as the ECT store for DAG validation.
 * @module
 */
import type { KeyObject } from 'node:crypto';
import { type Algorithm } from '../crypto/algorithms.js';
import { defaultAlgorithmFor, importPrivateKey, importPublicKey, jwkThumbprint, type KeyInput } from '../crypto/keys.js';
import type { DagNode, ECTStore } from '../dag/store.js';
import { ECTConfigError, ECTError } from '../errors.js';
import { parseToken } from '../format/parse.js';
import type { ECTClaims, Level } from '../format/types.js';
import { entryDigest, GENESIS_HASH, tokenDigest } from './chain.js';
import { MemoryLedgerBackend } from './memory.js';
import { receiptSigner, signReceipt, type ReceiptSigner } from './receipt.js';
import { LedgerRowError, type ChainTip, type IntegrityReport, type LedgerBackend, type LedgerEntry, type Receipt } from './types.js';

/** Options of `Ledger`. */
export interface LedgerOptions {
  /** Row storage (default: in memory). */
  readonly backend?: LedgerBackend;
  /** The ledger's receipt key (LED-5). Without it receipts carry no `jws`. */
  readonly signingKey?: {
    readonly key: KeyInput;
    readonly alg?: Algorithm;
    readonly kid?: string;
    /** The ledger's identity, `iss` of its receipts (default `urn:ect:ledger`). */
    readonly issuer?: string;
  };
  /** Clock for `recordedAt`, Unix milliseconds (tests). */
  readonly clock?: () => number;
  /**
   * Group commit (default true): when the backend has `appendMany`, appends that arrive while a
   * commit is in flight wait and then share the next transaction (one durable commit for all of
   * them). No timer: a lone writer commits at once. `false` commits every append on its own.
   */
  readonly groupCommit?: boolean;
}

/** A ledger entry as the DAG sees it. */
export function entryToNode(entry: LedgerEntry): DagNode {
  return { jti: entry.jti, wid: entry.wid, iat: entry.claims.iat, pred: entry.claims.pred, level: entry.level, iss: entry.claims.iss, exec_act: entry.claims.exec_act };
}

/** Page size of integrity checks and exports: bounded memory whatever the ledger's size. */
const PAGE = 1000;

/**
 * Most appends in one group commit: bounds the transaction's size (and how long it holds the
 * append lock that other processes wait for); the rest go in the next one.
 */
const MAX_BATCH = 256;

type Build = (tip: ChainTip) => LedgerEntry;

/** An append waiting for its group commit. */
interface Pending {
  readonly build: Build;
  readonly resolve: (entry: LedgerEntry) => void;
  readonly reject: (error: unknown) => void;
}

export class Ledger implements ECTStore {
  readonly backend: LedgerBackend;
  readonly #signer: ReceiptSigner | undefined;
  readonly #clock: () => number;
  readonly #groupCommit: boolean;
  /** Appends waiting for the commit in flight to finish (group commit only). */
  #queue: Pending[] = [];
  /** The group commit in flight, if any (then new appends queue); `close` waits for it. */
  #committing: Promise<void> | undefined;

  constructor(options: LedgerOptions = {}) {
    this.backend = options.backend ?? new MemoryLedgerBackend();
    this.#clock = options.clock ?? Date.now;
    this.#groupCommit = options.groupCommit ?? true;
    const signing = options.signingKey;
    if (signing !== undefined) {
      const key: KeyObject = importPrivateKey(signing.key, 'ledger signing key');
      const alg = signing.alg ?? defaultAlgorithmFor(key);
      if (alg === undefined) throw new ECTConfigError('ledger signing key', 'unsupported key type');
      this.#signer = receiptSigner({ key, alg, kid: signing.kid ?? (typeof signing.key === 'object' && 'kid' in signing.key && typeof signing.key.kid === 'string' ? signing.key.kid : jwkThumbprint(key)), issuer: signing.issuer ?? 'urn:ect:ledger' });
    }
  }

  /**
   * Appends a verified token (LED-1) and returns the receipt. `level` is the level it is recorded
   * at: 3 for an L2 token made L3 by this append (FMT-6), 1 for an L1 token.
   * Throws `ECT_DAG_DUPLICATE` for a (`wid`, `jti`) already present (LED-3), `ECT_LEDGER_UNAVAILABLE`
   * when the store fails.
   *
   * With group commit (the default, when the backend has `appendMany`) concurrent appends share
   * one transaction; each still gets its own outcome and receipt, resolved only after the shared
   * commit is durable (LED-4). A duplicate fails only its own append; a failed transaction fails
   * every append in it, and none of them is stored.
   */
  async append(token: string, claims: ECTClaims, level: Level): Promise<Receipt> {
    const tokenHashBytes = tokenDigest(token);
    const tokenHash = Buffer.from(tokenHashBytes).toString('base64url');
    const recordedAt = this.#clock();
    // Pure: a backend may call it again after rolling an attempt back (appendMany).
    const build: Build = (tip) => {
      const seq = tip.seq + 1;
      return {
        seq,
        jti: claims.jti,
        wid: claims.wid,
        token,
        claims,
        level,
        recordedAt,
        tokenHash,
        prevHash: Buffer.from(tip.entryHash).toString('base64url'),
        entryHash: Buffer.from(entryDigest(tip.entryHash, tokenHashBytes, seq)).toString('base64url'),
      };
    };
    let entry: LedgerEntry;
    try {
      entry = this.#groupCommit && this.backend.appendMany !== undefined ? await this.#enqueue(build) : await this.backend.append(build);
    } catch (error) {
      if (error instanceof ECTError) throw error;
      throw new ECTError('ECT_LEDGER_UNAVAILABLE', `the ledger could not record the token: ${(error as Error).message}`, { cause: error });
    }
    const receipt: Omit<Receipt, 'jws'> = { seq: entry.seq, jti: entry.jti, wid: entry.wid, level: entry.level, tokenHash: entry.tokenHash, entryHash: entry.entryHash, recordedAt: entry.recordedAt };
    return this.#signer === undefined ? receipt : { ...receipt, jws: signReceipt(receipt, this.#signer) };
  }

  /**
   * Queues one append for the next group commit and starts one unless a commit is in flight. The
   * start waits one microtask (not a timer, not an event-loop turn: no latency for a lone writer)
   * so that appends made in the same synchronous run, such as a `Promise.all` or the writers
   * resumed by the previous commit, share the first transaction instead of one going alone.
   */
  #enqueue(build: Build): Promise<LedgerEntry> {
    return new Promise<LedgerEntry>((resolve, reject) => {
      this.#queue.push({ build, resolve, reject });
      this.#committing ??= Promise.resolve().then(() => this.#drain());
    });
  }

  /**
   * Group commit: while the queue holds appends, commits up to `MAX_BATCH` of them in one
   * `appendMany` and settles each with its own outcome. An append that arrives meanwhile waits for
   * the next round; no timer, so a lone append is committed at once (no added latency).
   */
  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, MAX_BATCH);
        if (batch.length === 1) {
          // Alone: the plain append is the backend's cheapest path (no savepoints, no batch
          // bookkeeping), with the same outcome as a batch of one.
          const [only] = batch as [Pending];
          try {
            only.resolve(await this.backend.append(only.build));
          } catch (error) {
            only.reject(error);
          }
          continue;
        }
        let results: readonly (LedgerEntry | ECTError)[];
        try {
          results = await this.backend.appendMany!(batch.map((p) => p.build));
          if (results.length !== batch.length) {
            // A backend bug; LED-2/LED-5: no receipt for an outcome that cannot be matched up.
            throw new ECTError('ECT_LEDGER_UNAVAILABLE', `the ledger backend returned ${results.length} results for ${batch.length} appends`);
          }
        } catch (error) {
          // The whole transaction failed: every append of the batch fails, none was stored.
          for (const p of batch) p.reject(error);
          continue;
        }
        batch.forEach((p, i) => {
          const result = results[i];
          if (result instanceof ECTError) p.reject(result);
          else p.resolve(result!);
        });
      }
    } finally {
      this.#committing = undefined;
    }
  }

  /** The public key that checks this ledger's receipts, as a JWK (or `undefined` without a key). */
  receiptPublicJwk(): Record<string, unknown> | undefined {
    if (this.#signer === undefined) return undefined;
    const { key, alg, kid } = this.#signer;
    return { ...(importPublicKey(key).export({ format: 'jwk' }) as Record<string, unknown>), kid, alg, use: 'sig' };
  }

  // ECTStore, for DAG validation (VER-11) with the ledger as the store.
  async get(jti: string, wid: string | undefined): Promise<DagNode | undefined> {
    const entry = await this.backend.get(jti, wid);
    return entry === undefined ? undefined : entryToNode(entry);
  }

  async findByJti(jti: string): Promise<readonly DagNode[]> {
    return (await this.backend.findByJti(jti)).map(entryToNode);
  }

  async isReferenced(jti: string): Promise<boolean> {
    return this.backend.isReferenced(jti);
  }

  async listWorkflow(wid: string): Promise<readonly DagNode[]> {
    return (await this.backend.listWorkflow(wid)).map(entryToNode);
  }

  /** The full entry of (`wid`, `jti`). */
  async entry(jti: string, wid: string | undefined): Promise<LedgerEntry | undefined> {
    return this.backend.get(jti, wid);
  }

  /** Every entry of a workflow, by `seq`. */
  async workflowEntries(wid: string): Promise<readonly LedgerEntry[]> {
    return this.backend.listWorkflow(wid);
  }

  /** Every entry from `from` on, in pages (bounded memory). */
  async *entries(from = 1): AsyncGenerator<LedgerEntry> {
    for (let next = from; ; ) {
      const page = await this.backend.readFrom(next, PAGE);
      for (const entry of page) yield entry;
      if (page.length < PAGE) return;
      next = page[page.length - 1]!.seq + 1;
    }
  }

  /**
   * LED-1, LED-2: recomputes the chain from the first entry and reports the first entry whose
   * sequence, token hash, chain hash or recorded identity does not match.
   */
  async verifyIntegrity(): Promise<IntegrityReport> {
    let expectedSeq = 1;
    let prev: Uint8Array = GENESIS_HASH;
    let pageSize = PAGE;
    // After a page fails to decode, rows are read one at a time up to the end of that page.
    let singleUntil = 0;
    for (;;) {
      let page: readonly LedgerEntry[];
      try {
        page = await this.backend.readFrom(expectedSeq, pageSize);
      } catch (error) {
        // A row the backend cannot decode is damage too. The page failed as a whole: read one row
        // at a time to check the rows before it and to name the undecodable one.
        if (!(error instanceof LedgerRowError)) throw error;
        if (pageSize > 1) {
          singleUntil = expectedSeq + pageSize;
          pageSize = 1;
          continue;
        }
        return { ok: false, checked: expectedSeq - 1, firstBad: { seq: expectedSeq, reason: error.message } };
      }
      for (const entry of page) {
        const reason = checkEntry(entry, expectedSeq, prev);
        if (reason !== undefined) return { ok: false, checked: expectedSeq - 1, firstBad: { seq: expectedSeq, reason } };
        prev = Buffer.from(entry.entryHash, 'base64url');
        expectedSeq++;
      }
      if (page.length < pageSize) return { ok: true, checked: expectedSeq - 1 };
      if (expectedSeq >= singleUntil) pageSize = PAGE;
    }
  }

  /** Waits for queued appends to be committed (group commit), then closes the backend. */
  async close(): Promise<void> {
    while (this.#committing !== undefined) await this.#committing;
    await this.backend.close();
  }
}

function checkEntry(entry: LedgerEntry, expectedSeq: number, prev: Uint8Array): string | undefined {
  if (entry.seq !== expectedSeq) return `expected entry ${expectedSeq}, found ${entry.seq} (an entry was removed or reordered)`;
  const tokenHash = tokenDigest(entry.token);
  if (Buffer.from(tokenHash).toString('base64url') !== entry.tokenHash) return 'the token does not match its recorded hash (the token was changed)';
  if (entry.prevHash !== Buffer.from(prev).toString('base64url')) return 'prev_hash does not match the previous entry (an entry was removed, changed or reordered)';
  if (entry.entryHash !== Buffer.from(entryDigest(prev, tokenHash, entry.seq)).toString('base64url')) return 'entry_hash does not match (the entry was changed)';
  let payload: Record<string, unknown>;
  try {
    payload = parseToken(entry.token).payload;
  } catch {
    return 'the recorded token no longer parses';
  }
  if (payload['jti'] !== entry.jti || (payload['wid'] ?? undefined) !== entry.wid || !recordedClaimsMatch(payload, entry.claims)) {
    return 'the recorded claims do not match the token (the claims were changed)';
  }
  return undefined;
}

/**
 * The recorded claims that DAG validation and audits read must be the token's own: they are not
 * covered by the chain hash (LED-2 hashes the token), so a changed column is caught here. A -00 token
 * (CLM-13) was recorded with `par` read as `pred`.
 */
function recordedClaimsMatch(payload: Record<string, unknown>, claims: ECTClaims): boolean {
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
  for (const name of ['iss', 'aud', 'iat', 'exp', 'jti', 'exec_act', 'wid'] as const) {
    if (!same(payload[name], claims[name])) return false;
  }
  const pred = payload['pred'] === undefined ? payload['par'] : payload['pred'];
  return same(pred, claims.pred);
}
