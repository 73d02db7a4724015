/**
 * The audit ledger (profile section 9) as an RFC 9162 transparency log over any `LedgerBackend`.
 * The ledger owns everything but storage: entries as Merkle leaves (LED-2), uniqueness (LED-3),
 * the stored tree, a signed checkpoint per committed batch (LED-8), receipts with inclusion proofs
 * (LED-5, LED-9), consistency proofs (LED-10) and witness cosignatures (LED-11). It also serves as
 * the ECT store of DAG validation (VER-11).
 * @module
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { Algorithm } from '../crypto/algorithms.js';
import {
  defaultAlgorithmFor,
  importPrivateKey,
  importPublicKey,
  jwkThumbprint,
  type KeyInput,
} from '../crypto/keys.js';
import type { DagNode, ECTStore } from '../dag/store.js';
import { ECTConfigError, ECTError } from '../errors.js';
import { canonicalId, taskKey } from '../format/task-key.js';
import type { Level } from '../format/types.js';
import { formatCheckpoint } from '../tlog/checkpoint.js';
import { isValidKeyName, ed25519NoteSigner, ed25519VerifierKey, signNote } from '../tlog/note.js';
import type { NoteSigner, NoteVerifier } from '../tlog/note.js';
import { formatTlogProof } from '../tlog/proof-file.js';
import { proveConsistency, proveInclusion } from '../tlog/prove.js';
import { appendLeaves, frontierIds, rootFromFrontier } from '../tlog/stored-hash.js';
import { ledgerVerifier, withCosignatures } from './checkpoints.js';
import { entryLeafHash, isEntryToken, type Entry } from './entry.js';
import { MemoryLedgerBackend } from './memory.js';
import { receiptSigner, signReceipt, type ReceiptSigner } from './receipt.js';
import {
  receiptAt,
  receiptBatch,
  unsignedReceipts,
  type ReceiptBatch,
  type SignedColumns,
} from './receipt-batch.js';
import { startThread, type Thread } from './thread.js';
import {
  decodeEntryRow,
  deriveTask,
  entryRows,
  safeInteger,
  type EntryRow,
  type LedgerEntry,
  type LedgerMeta,
  type PredRow,
} from './rows.js';
import { verifyLedgerIntegrity, type IntegrityOptions } from './integrity.js';
import type { IntegrityReport, LedgerBackend, Receipt } from './types.js';
import { WitnessPool, type WitnessOptions, type WitnessStatus } from './witnessing.js';

/**
 * Options of `Ledger`.
 *
 * @example
 * ```ts
 * import { generateKeyPair, Ledger, type LedgerOptions } from 'wimse-ect';
 *
 * const options: LedgerOptions = {
 *   key: generateKeyPair({ alg: 'EdDSA' }).privateJwk, // signs checkpoints and receipts
 *   origin: 'example.org/ect-ledger',
 * };
 * const ledger = await Ledger.open(options);
 * ```
 */
export interface LedgerOptions {
  /** Row storage (default: in memory). */
  readonly backend?: LedgerBackend;
  /**
   * The ledger's Ed25519 private key (a JWK, PEM or KeyObject; `ect keygen --alg EdDSA` writes
   * one). It signs checkpoints (LED-8) and, unless `receiptKey` is given, receipts (LED-5).
   * Without it the ledger can be read and verified but not written; an in-memory ledger then
   * makes a key of its own that lives as long as it does.
   */
  readonly key?: KeyInput;
  /**
   * The checkpoint origin (LED-8), e.g. `example.org/ect-ledger`: required when a new stored
   * ledger is first written, stored then, and checked on every later open.
   */
  readonly origin?: string;
  /** A separate receipt key (any supported algorithm) and the receipts' `iss`. */
  readonly receiptKey?: {
    readonly key: KeyInput;
    readonly alg?: Algorithm;
    readonly kid?: string;
  };
  /** `iss` of receipts (default: the origin). */
  readonly receiptIssuer?: string;
  /** Witnesses to ask for cosignatures of every new checkpoint (LED-11), in the background. */
  readonly witnesses?: readonly WitnessOptions[];
  /** Clock for recorded times, Unix milliseconds (tests). */
  readonly clock?: () => number;
  /**
   * Group commit (default true): appends that arrive while a batch is being committed wait and
   * then share the next transaction, sync and checkpoint. `false` commits every append alone.
   */
  readonly groupCommit?: boolean;
}

/** Page size of exports and reads: bounded memory whatever the ledger's size. */
const PAGE = 1000;
/**
 * Most appends in one batch: bounds the transaction (and how long it holds the append lock that
 * other processes wait for); the rest go in the next one.
 */
const MAX_BATCH = 256;
/**
 * Receipts of a batch signed in one request to the signer thread from this many on: below it a
 * message round trip costs more than signing on the thread pool.
 */
const SIGNER_THREAD_BATCH = 16;
/** The origin of an in-memory ledger opened without one. */
const MEMORY_ORIGIN = 'ect-ledger.invalid/memory';

/** Starts the receipt signer thread with the receipt key (as a JWK: a KeyObject cannot cross). */
function startSignerThread(signer: ReceiptSigner): Promise<Thread> {
  const jwk = signer.key.export({ format: 'jwk' });
  return startThread({
    module: 'receipt-worker',
    data: { jwk, alg: signer.alg, kid: signer.kid, issuer: signer.issuer },
  });
}

/**
 * A ledger entry as the DAG sees it.
 *
 * @example
 * ```ts
 * import { entryToNode, Ledger } from 'wimse-ect';
 *
 * const ledger = await Ledger.open({ origin: 'example.org/ect-ledger' });
 * const entry = await ledger.entryAt(1);
 * if (entry) console.log(entryToNode(entry).pred);
 * ```
 */
export function entryToNode(entry: LedgerEntry): DagNode {
  const { claims } = entry;
  return {
    jti: entry.jti,
    wid: entry.wid,
    iat: claims.iat,
    pred: claims.pred,
    level: entry.level,
    iss: claims.iss,
    exec_act: claims.exec_act,
  };
}

/** An append waiting for its batch. */
interface Pending {
  readonly token: string;
  readonly level: Level;
  readonly task: ReturnType<typeof deriveTask>;
  readonly resolve: (receipt: Receipt) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * A stored checkpoint with its cosignatures attached.
 *
 * @example
 * ```ts
 * import { createECT, generateKeyPair, Ledger, type LedgerCheckpoint } from 'wimse-ect';
 *
 * const ledger = await Ledger.open({
 *   key: generateKeyPair({ alg: 'EdDSA' }).privateJwk,
 *   origin: 'example.org/ect-ledger',
 * });
 * await ledger.append({
 *   token: createECT({ iss: 'spiffe://example.org/a', aud: 'b', exec_act: 'x' }, { level: 1 }),
 *   level: 1,
 * });
 * const checkpoint: LedgerCheckpoint | undefined = await ledger.checkpoint();
 * console.log(checkpoint?.size, checkpoint?.note.split('\n')[0]); // 1 example.org/ect-ledger
 * ```
 */
export interface LedgerCheckpoint {
  readonly size: number;
  /** The signed note, ledger signature first, then the witnesses' cosignature lines. */
  readonly note: string;
}

/** The key material of a writable ledger. */
interface Signing {
  readonly noteSigner: NoteSigner;
  readonly receipts: ReceiptSigner;
}

/**
 * The verifiable audit ledger (LED-1 to LED-12): an RFC 9162 transparency log of accepted
 * tokens with signed checkpoints, receipts with inclusion proofs, consistency proofs, witness
 * cosignatures and an integrity check of every stored value. Rows live in a `LedgerBackend`
 * (memory here; SQLite and PostgreSQL through `openLedger`).
 *
 * @example
 * ```ts
 * import { createECT, generateKeyPair, Ledger } from 'wimse-ect';
 *
 * const ledgerKey = generateKeyPair({ alg: 'EdDSA' });
 * const ledger = await Ledger.open({
 *   key: ledgerKey.privateJwk,
 *   origin: 'example.org/ect-ledger',
 * });
 * const token = createECT(
 *   { iss: 'spiffe://example.org/a', aud: 'b', exec_act: 'x' },
 *   { level: 1 },
 * );
 * const receipt = await ledger.append({ token, level: 1 });
 * console.log(receipt.seq, await ledger.prove({ seq: receipt.seq }));
 * console.log((await ledger.verifyIntegrity()).ok); // true
 * await ledger.close();
 * ```
 */
export class Ledger implements ECTStore {
  readonly backend: LedgerBackend;
  readonly #key: KeyObject | undefined;
  readonly #options: LedgerOptions;
  readonly #clock: () => number;
  readonly #maxBatch: number;
  #queue: Pending[] = [];
  /** The batch in flight, if any (then new appends queue); `close` waits for it. */
  #committing: Promise<void> | undefined;
  #ready: Promise<void> | undefined;
  /** The receipt signer thread, started for the first large batch. */
  #signerThread: Promise<Thread> | undefined;
  /** Receipts still being signed for committed batches; `close` waits for them. */
  readonly #receipts = new Set<Promise<void>>();
  #progress = 0;
  #meta: LedgerMeta | undefined;
  #verifier: NoteVerifier | undefined;
  #signing: Signing | undefined;
  #witnesses: WitnessPool | undefined;

  /** Checks the options; `open` (or the first use) then reads or stores the ledger's identity. */
  constructor(options: LedgerOptions = {}) {
    this.backend = options.backend ?? new MemoryLedgerBackend();
    this.#options = options;
    this.#clock = options.clock ?? Date.now;
    this.#maxBatch = options.groupCommit === false ? 1 : MAX_BATCH;
    if (options.origin !== undefined) checkOrigin(options.origin);
    let key = options.key === undefined ? undefined : importPrivateKey(options.key, 'ledger key');
    if (key === undefined && this.backend instanceof MemoryLedgerBackend) {
      key = generateKeyPairSync('ed25519').privateKey;
    }
    if (key !== undefined && key.asymmetricKeyType !== 'ed25519') {
      throw new ECTConfigError(
        'ledger key',
        `checkpoints are signed with Ed25519 (LED-8); this is a ${String(key.asymmetricKeyType)} ` +
          'key (make one with: ect keygen --alg EdDSA --out ledger.key.json)',
      );
    }
    this.#key = key;
  }

  /** Opens a ledger: checks the options, then reads (or, on first use, stores) its identity. */
  static async open(options: LedgerOptions = {}): Promise<Ledger> {
    const ledger = new Ledger(options);
    try {
      await ledger.ready();
    } catch (error) {
      await ledger.backend.close().catch(() => undefined);
      throw error;
    }
    return ledger;
  }

  /** Whether this ledger can append (it was opened with its key). */
  get writable(): boolean {
    return this.#key !== undefined;
  }

  /**
   * How many batches this ledger has finished (committed or failed) and how many batches of
   * receipts it has handed out: it grows while the ledger answers. An append timeout (LED-7)
   * watches it, so that an append waiting its turn behind other group commits is not mistaken
   * for a ledger that does not answer.
   */
  get progress(): number {
    return this.#progress;
  }

  /**
   * Reads the stored origin and verifier key (LED-8) and checks them against the options: another
   * origin or key is a configuration error. A new ledger stores them on first use.
   */
  ready(): Promise<void> {
    this.#ready ??= this.#init();
    return this.#ready;
  }

  async #init(): Promise<void> {
    if (this.#key !== undefined) {
      // A writer never builds on a damaged schema (a dropped unique index would let a task be
      // recorded twice); nothing is recreated: the problem is reported and left as evidence.
      const problems = await this.backend.schemaProblems();
      if (problems.length > 0) {
        throw new ECTConfigError(
          'ledger',
          `the ledger at ${this.backend.location} cannot be written: ${problems.join('; ')} ` +
            '(nothing was recreated; see `ect ledger verify`)',
        );
      }
    }
    let meta = await this.backend.readMeta();
    const origin =
      this.#options.origin ??
      meta?.origin ??
      (this.backend instanceof MemoryLedgerBackend ? MEMORY_ORIGIN : undefined);
    if (meta !== undefined && origin !== meta.origin) {
      throw new ECTConfigError(
        'ledger origin',
        `the ledger at ${this.backend.location} has origin ${meta.origin}, not ${origin}`,
      );
    }
    const key = this.#key;
    const vkey =
      key === undefined || origin === undefined
        ? undefined
        : ed25519VerifierKey({ name: origin, publicKey: importPublicKey(key) });
    if (meta === undefined && key !== undefined) {
      if (origin === undefined) {
        throw new ECTConfigError(
          'ledger origin',
          `the new ledger at ${this.backend.location} needs an origin for its checkpoints ` +
            '(--ledger-origin, ECT_LEDGER_ORIGIN or the origin option), e.g. example.org/ect-ledger',
        );
      }
      meta = await this.backend.initMeta({ origin, vkey: vkey! });
    }
    if (meta !== undefined && vkey !== undefined && meta.vkey !== vkey) {
      throw new ECTConfigError(
        'ledger key',
        `the ledger at ${this.backend.location} signs with ${meta.vkey.split('+')[1] ?? '?'} ` +
          `(verifier key ${meta.vkey}); the key given is ${vkey.split('+')[1]}`,
      );
    }
    this.#meta = meta;
    this.#verifier = meta === undefined ? undefined : ledgerVerifier(meta.vkey);
    if (key !== undefined && meta !== undefined) {
      const receipt = this.#options.receiptKey;
      const receiptKey =
        receipt === undefined ? key : importPrivateKey(receipt.key, 'ledger receipt key');
      const alg = receipt?.alg ?? defaultAlgorithmFor(receiptKey);
      if (alg === undefined) throw new ECTConfigError('ledger receipt key', 'unsupported key type');
      this.#signing = {
        noteSigner: ed25519NoteSigner({ name: meta.origin, privateKey: key }),
        receipts: receiptSigner({
          key: receiptKey,
          alg,
          kid: receipt?.kid ?? jwkThumbprint(receiptKey),
          issuer: this.#options.receiptIssuer ?? meta.origin,
        }),
      };
      const witnesses = this.#options.witnesses ?? [];
      if (witnesses.length > 0) {
        this.#witnesses = new WitnessPool({
          witnesses,
          backend: this.backend,
          prove: (oldSize, newSize) => this.proveConsistency({ from: oldSize, to: newSize }),
        });
      }
    }
  }

  /** The stored identity: origin and verifier key line (undefined for an empty, new ledger). */
  async meta(): Promise<LedgerMeta | undefined> {
    await this.ready();
    return this.#meta;
  }

  /**
   * Appends a verified token (LED-1) and returns its receipt. `level` is the level it is recorded
   * at: 3 for an L2 token made L3 by this append (FMT-6), 1 for an L1 token.
   * Throws `ECT_DAG_DUPLICATE` for a (`wid`, `jti`) already present (LED-3),
   * `ECT_LEDGER_UNAVAILABLE` when the store fails, `ECTConfigError` for a ledger opened without
   * its key.
   *
   * Concurrent appends share one transaction and one checkpoint (group commit); each still gets
   * its own outcome and receipt, only after the shared commit is durable (LED-4). A duplicate
   * fails only its own append; a failed transaction fails every append in it.
   */
  async append(options: { readonly token: string; readonly level: Level }): Promise<Receipt> {
    const { token, level } = options;
    if (level !== 1 && level !== 2 && level !== 3) {
      throw new ECTConfigError('level', `must be 1, 2 or 3, got ${String(level)}`);
    }
    if (typeof token !== 'string' || !isEntryToken(token)) {
      throw new ECTError(
        'ECT_MALFORMED',
        'a ledger entry holds a token of base64url segments and dots',
      );
    }
    const task = deriveTask(token);
    await this.ready();
    if (this.#signing === undefined) {
      throw new ECTConfigError(
        'ledger key',
        `the ledger at ${this.backend.location} was opened without its key: it can be read and ` +
          'verified, not written (--ledger-key FILE, ECT_LEDGER_KEY_FILE)',
      );
    }
    return new Promise<Receipt>((resolve, reject) => {
      this.#queue.push({ token, level, task, resolve, reject });
      // One microtask, not a timer: appends of the same synchronous run share the first batch,
      // and a lone writer pays no latency.
      this.#committing ??= Promise.resolve().then(() => this.#drain());
    });
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, this.#maxBatch);
        try {
          await this.#commit(batch);
        } catch (error) {
          const failure =
            error instanceof ECTError
              ? error
              : new ECTError(
                  'ECT_LEDGER_UNAVAILABLE',
                  `the ledger could not record: ${String(error)}`,
                  {
                    cause: error,
                  },
                );
          for (const p of batch) p.reject(failure);
        } finally {
          this.#progress++;
        }
      }
    } finally {
      this.#committing = undefined;
    }
  }

  /**
   * One batch: under the append lock, read the size and the tree's right edge (O(log n) hashes),
   * lay the new entries out, store entries, predecessor rows, tree nodes and one signed
   * checkpoint in ONE transaction, then hand out receipts with inclusion proofs.
   */
  async #commit(batch: readonly Pending[]): Promise<void> {
    const signing = this.#signing!;
    const origin = this.#meta!.origin;
    const tx = await this.backend.beginAppend({ scopes: batch.map((p) => p.task.scope) });
    let size: number;
    let frontier: { ids: number[]; hashes: readonly Uint8Array[] };
    let accepted: { pending: Pending; entry: Entry; leaf: Uint8Array }[];
    let stored: readonly { id: number; hash: Uint8Array }[];
    let note: string;
    const outcome = new Map<Pending, ECTError>();
    try {
      size = tx.tip.size;
      frontier = { ids: frontierIds({ size }), hashes: tx.tip.frontier };
      const existing = tx.tip.existing;
      const scopes = new Set<string>();
      accepted = [];
      const recordedAt = this.#clock();
      for (const pending of batch) {
        const { scope } = pending.task;
        if (existing.has(scope) || scopes.has(scope)) {
          // LED-3, per item: no seq is taken, so the log has no gap (LED-2).
          outcome.set(pending, duplicate());
          continue;
        }
        scopes.add(scope);
        const entry: Entry = {
          seq: size + accepted.length + 1,
          level: pending.level,
          recordedAt,
          token: pending.token,
        };
        accepted.push({ pending, entry, leaf: entryLeafHash(entry) });
      }
      if (accepted.length === 0) {
        await tx.rollback();
        for (const p of batch) p.reject(outcome.get(p));
        return;
      }
      const appended = appendLeaves({
        size,
        frontier: frontier.hashes,
        leafHashes: accepted.map((a) => a.leaf),
      });
      stored = appended.stored;
      const text = formatCheckpoint({
        origin,
        size: appended.size,
        root: rootFromFrontier({ frontier: appended.frontier }),
        extensions: [],
      });
      note = signNote({ text, signers: [signing.noteSigner] });
      const entries: EntryRow[] = [];
      const preds: PredRow[] = [];
      for (const { entry, pending } of accepted) {
        const rows = entryRows({ entry, task: pending.task });
        entries.push(rows.entry);
        preds.push(...rows.preds);
      }
      await tx.commit({ entries, preds, nodes: stored, checkpoint: { size: appended.size, note } });
    } catch (error) {
      await tx.rollback();
      throw error;
    }
    const newSize = size + accepted.length;
    // Every hash an inclusion proof of a new leaf needs is on the old right edge or new (a left
    // sibling inside the old tree is a maximal perfect subtree of it): no reads.
    const nodes = new Map<number, Uint8Array>();
    frontier.ids.forEach((id, i) => nodes.set(id, frontier.hashes[i]!));
    for (const s of stored) nodes.set(s.id, s.hash);
    const receiptsBatch = receiptBatch({
      note,
      size: newSize,
      recordedAt: accepted[0]!.entry.recordedAt,
      nodes,
      items: accepted.map(({ pending, entry, leaf }) => ({
        seq: entry.seq,
        jti: pending.task.jti,
        wid: pending.task.wid ?? undefined,
        level: entry.level,
        tokenHash: pending.task.tokenHash,
        leaf,
      })),
    });
    // Receipts are signed while the next batch commits (the batch is durable, so nothing waits
    // for them but their own appends, and `close`): a large batch in one request to the signer
    // thread, a small one on the thread pool.
    const receipts = this.#signReceipts(
      accepted.map((a) => a.pending),
      receiptsBatch,
      signing,
    );
    this.#receipts.add(receipts);
    void receipts.finally(() => {
      this.#receipts.delete(receipts);
      this.#progress++;
    });
    for (const [pending, error] of outcome) pending.reject(error);
    this.#witnesses?.submit({ size: newSize, note });
  }

  /** Builds each receipt's proof and signs the receipts; each append gets its own. */
  async #signReceipts(
    pendings: readonly Pending[],
    batch: ReceiptBatch,
    signing: Signing,
  ): Promise<void> {
    try {
      let signed: Receipt[];
      if (pendings.length >= SIGNER_THREAD_BATCH) {
        const thread = await (this.#signerThread ??= startSignerThread(signing.receipts));
        const columns = (await thread.call('sign', batch)) as SignedColumns;
        signed = pendings.map((_, i) => ({
          ...receiptAt(batch, i, { leafHash: columns.leafHashes[i]!, proof: columns.proofs[i]! }),
          jws: columns.jws[i]!,
        }));
      } else {
        const unsigned = await unsignedReceipts(batch);
        signed = await Promise.all(
          unsigned.map((receipt) => signReceipt({ receipt, signer: signing.receipts })),
        );
      }
      pendings.forEach((pending, i) => pending.resolve(signed[i]!));
    } catch (error) {
      for (const pending of pendings) pending.reject(error);
    }
  }

  // ECTStore, for DAG validation (VER-11) with the ledger as the store.
  async get(jti: string, wid: string | undefined): Promise<DagNode | undefined> {
    const entry = await this.entry(jti, wid);
    return entry === undefined ? undefined : entryToNode(entry);
  }

  async findByJti(jti: string): Promise<readonly DagNode[]> {
    return (await this.backend.entriesByJti(canonicalId(jti))).map((r) =>
      entryToNode(decodeEntryRow(r)),
    );
  }

  async isReferenced(jti: string): Promise<boolean> {
    return this.backend.isReferenced(canonicalId(jti));
  }

  async listWorkflow(wid: string): Promise<readonly DagNode[]> {
    return (await this.workflowEntries(wid)).map(entryToNode);
  }

  /** The full entry of (`wid`, `jti`). */
  async entry(jti: string, wid: string | undefined): Promise<LedgerEntry | undefined> {
    const row = await this.backend.entryByScope(taskKey(jti, wid));
    return row === undefined ? undefined : decodeEntryRow(row);
  }

  /** Every entry of a workflow, by `seq`. */
  async workflowEntries(wid: string): Promise<readonly LedgerEntry[]> {
    return (await this.backend.entriesByWid(canonicalId(wid))).map(decodeEntryRow);
  }

  /** The entry of `seq`, or undefined. */
  async entryAt(seq: number): Promise<LedgerEntry | undefined> {
    const [row] = await this.backend.entriesFrom(seq, 1);
    const entry = row === undefined ? undefined : decodeEntryRow(row);
    return entry?.seq === seq ? entry : undefined;
  }

  /** Every entry from `from` on, in pages (bounded memory). */
  async *entries(from = 1): AsyncGenerator<LedgerEntry> {
    for (let next = from; ;) {
      const page = await this.backend.entriesFrom(next, PAGE);
      for (const row of page) yield decodeEntryRow(row);
      if (page.length < PAGE) return;
      next = decodeEntryRow(page[page.length - 1]!).seq + 1;
    }
  }

  /** The number of entries. */
  async size(): Promise<number> {
    return this.backend.size();
  }

  /** The ledger's verifier key line (LED-8), or undefined for a new, empty ledger. */
  async vkey(): Promise<string | undefined> {
    return (await this.meta())?.vkey;
  }

  /** The latest signed checkpoint with its cosignatures (LED-8, LED-11). */
  async checkpoint(): Promise<LedgerCheckpoint | undefined> {
    await this.ready();
    const row = await this.backend.latestCheckpoint();
    return row === undefined ? undefined : this.#withCosignatures(row);
  }

  /** The stored checkpoint of exactly `size` entries, with its cosignatures. */
  async checkpointAt(size: number): Promise<LedgerCheckpoint | undefined> {
    const [row] = await this.backend.checkpointsFrom(size, 1);
    if (
      row === undefined ||
      safeInteger(row['size'], () => badRow('checkpoints', 'size')) !== size
    ) {
      return undefined;
    }
    return this.#withCosignatures(row);
  }

  async #withCosignatures(row: Readonly<Record<string, unknown>>): Promise<LedgerCheckpoint> {
    const size = safeInteger(row['size'], () => badRow('checkpoints', 'size'));
    const note = row['note'];
    if (typeof note !== 'string') throw badRow('checkpoints', 'note');
    const lines = (await this.backend.cosignaturesBetween(size, size)).map((r) =>
      String(r['line']),
    );
    return { size, note: withCosignatures(note, lines) };
  }

  /**
   * LED-9: the C2SP tlog-proof of entry `seq` against a stored checkpoint (default: the latest),
   * built with O(log n) reads.
   */
  async prove(options: { readonly seq: number; readonly size?: number }): Promise<string> {
    const checkpoint =
      options.size === undefined ? await this.checkpoint() : await this.checkpointAt(options.size);
    if (checkpoint === undefined) {
      throw new ECTConfigError(
        'size',
        `the ledger has no checkpoint of size ${options.size ?? '(any)'}`,
      );
    }
    const { seq } = options;
    if (!Number.isSafeInteger(seq) || seq < 1 || seq > checkpoint.size) {
      throw new ECTConfigError(
        'seq',
        `entry ${seq} is not in the checkpoint of ${checkpoint.size} entries`,
      );
    }
    const proof = await proveInclusion({
      index: seq - 1,
      size: checkpoint.size,
      reader: this.backend,
    });
    return formatTlogProof({ index: seq - 1, proof, checkpoint: checkpoint.note });
  }

  /** LED-10: the RFC 9162 consistency proof from `from` entries to `to` (default: the size). */
  async proveConsistency(options: {
    readonly from: number;
    readonly to?: number;
  }): Promise<Uint8Array[]> {
    const size = await this.backend.size();
    const to = options.to ?? size;
    const { from } = options;
    if (
      !Number.isSafeInteger(from) ||
      from < 0 ||
      !Number.isSafeInteger(to) ||
      from > to ||
      to > size
    ) {
      throw new ECTConfigError(
        'size',
        `a consistency proof needs 0 ≤ from ≤ to ≤ ${size} (the ledger's size); got from ${from}, to ${to}`,
      );
    }
    return proveConsistency({ oldSize: from, newSize: to, reader: this.backend });
  }

  /**
   * LED-1, LED-2, LED-10, LED-11: re-derives and checks every stored row, the tree, the signed
   * checkpoints and cosignatures, and the anchors given; names the first problem.
   */
  async verifyIntegrity(options: Omit<IntegrityOptions, 'backend'> = {}): Promise<IntegrityReport> {
    return verifyLedgerIntegrity({ ...options, backend: this.backend });
  }

  /** The witnesses' last outcomes (LED-11). */
  witnessStatus(): readonly WitnessStatus[] {
    return this.#witnesses?.status() ?? [];
  }

  /** Waits until every witness has answered for the latest checkpoint (or failed), for tests and exits. */
  async settleWitnesses(): Promise<void> {
    await this.#witnesses?.settle();
  }

  /** The checkpoint verifier of this ledger (from its stored key). */
  async verifier(): Promise<NoteVerifier | undefined> {
    await this.ready();
    return this.#verifier;
  }

  /** Waits for queued appends and witness requests, then closes the backend. */
  async close(): Promise<void> {
    while (this.#committing !== undefined) await this.#committing;
    await Promise.all(this.#receipts);
    await (await this.#signerThread?.catch(() => undefined))?.close('close');
    await this.#witnesses?.close();
    await this.backend.close();
  }
}

function duplicate(): ECTError {
  return new ECTError(
    'ECT_DAG_DUPLICATE',
    'this task (wid, jti) is already in the ledger (LED-3)',
    {
      member: 'jti',
    },
  );
}

function badRow(table: string, column: string): ECTError {
  return new ECTError('ECT_LEDGER_UNAVAILABLE', `a ${table} row has a bad ${column} column`);
}

/** LED-8: an origin is a checkpoint's first line and the key name of its signature. */
function checkOrigin(origin: string): void {
  if (typeof origin !== 'string' || !isValidKeyName(origin)) {
    throw new ECTConfigError(
      'ledger origin',
      `${JSON.stringify(origin)} is not a checkpoint origin: a non-empty name without spaces or ` +
        "'+', such as example.org/ect-ledger",
    );
  }
}
