/**
 * In-memory row storage, for tests and single-process demos. Not durable (LED-4 needs SQLite or
 * PostgreSQL). It keeps the same rows as the SQL backends, so the ledger reads and verifies all
 * backends the same way.
 * @module
 */
import { ECTError } from '../errors.js';
import type {
  BatchRows,
  CheckpointRow,
  CosignatureRow,
  EntryRow,
  LedgerMeta,
  NodeRow,
  PredRow,
} from './rows.js';
import { frontierIds } from '../tlog/stored-hash.js';
import type { AppendTip, AppendTransaction, LedgerBackend } from './types.js';

type Row = Readonly<Record<string, unknown>>;

/** The tables, open to tests that tamper with them. */
export interface MemoryTables {
  readonly entries: EntryRow[];
  readonly preds: PredRow[];
  readonly nodes: NodeRow[];
  readonly checkpoints: CheckpointRow[];
  readonly cosignatures: CosignatureRow[];
  meta: LedgerMeta | undefined;
}

/**
 * Ledger rows in memory (the default backend of `Ledger`): for tests, demos and one-process
 * use. Nothing survives the process.
 *
 * @example
 * ```ts
 * import { Ledger, MemoryLedgerBackend } from 'wimse-ect';
 *
 * const backend = new MemoryLedgerBackend();
 * const ledger = await Ledger.open({ backend, origin: 'example.org/ect-ledger' });
 * console.log(backend.tables.entries.length); // 0
 * ```
 */
export class MemoryLedgerBackend implements LedgerBackend {
  readonly location = 'memory:';
  /** The stored rows (tests tamper with them). */
  readonly tables: MemoryTables = {
    entries: [],
    preds: [],
    nodes: [],
    checkpoints: [],
    cosignatures: [],
    meta: undefined,
  };
  readonly #byScope = new Map<string, EntryRow>();
  readonly #byJti = new Map<string, EntryRow[]>();
  readonly #byWid = new Map<string, EntryRow[]>();
  readonly #referenced = new Set<string>();
  /** The append lock: a transaction waits for the one before it. */
  #lock: Promise<void> = Promise.resolve();

  async beginAppend(options: { readonly scopes: readonly string[] }): Promise<AppendTransaction> {
    let release!: () => void;
    const previous = this.#lock;
    this.#lock = new Promise<void>((resolve) => (release = resolve));
    await previous;
    let open = true;
    const end = (): void => {
      if (open) release();
      open = false;
    };
    const size = this.tables.entries.length;
    let tip: AppendTip;
    try {
      tip = {
        size,
        frontier: await this.readHashes(frontierIds({ size })),
        existing: new Set(options.scopes.filter((s) => this.#byScope.has(s))),
      };
    } catch (error) {
      end();
      throw error;
    }
    return {
      tip,
      commit: async (rows) => {
        if (!open) throw new ECTError('ECT_LEDGER_UNAVAILABLE', 'the transaction has ended');
        try {
          this.#check(rows);
          this.#store(rows);
        } finally {
          end();
        }
      },
      rollback: async () => end(),
    };
  }

  /** The store's constraints (keys, unique scope), checked for the whole batch before any row. */
  #check(rows: BatchRows): void {
    const fail = (what: string): never => {
      throw new ECTError('ECT_LEDGER_UNAVAILABLE', `the memory ledger refused the batch: ${what}`);
    };
    const scopes = new Set<string>();
    rows.entries.forEach((e, i) => {
      if (e.seq !== this.tables.entries.length + i + 1) fail(`seq ${e.seq} is not next`);
      if (this.#byScope.has(e.scope) || scopes.has(e.scope)) fail(`scope ${e.scope} exists`);
      scopes.add(e.scope);
    });
    rows.nodes.forEach((n, i) => {
      if (n.id !== this.tables.nodes.length + i) fail(`node ${n.id} is not next`);
    });
    if (this.tables.checkpoints.some((c) => c.size === rows.checkpoint.size)) {
      fail(`a checkpoint of size ${rows.checkpoint.size} exists`);
    }
  }

  #store(rows: BatchRows): void {
    for (const e of rows.entries) {
      this.tables.entries.push(e);
      this.#byScope.set(e.scope, e);
      push(this.#byJti, e.jti, e);
      if (e.wid !== null) push(this.#byWid, e.wid, e);
    }
    for (const p of rows.preds) {
      this.tables.preds.push(p);
      this.#referenced.add(p.pred);
    }
    this.tables.nodes.push(...rows.nodes);
    this.tables.checkpoints.push(rows.checkpoint);
  }

  async readMeta(): Promise<LedgerMeta | undefined> {
    return this.tables.meta;
  }

  async initMeta(meta: LedgerMeta): Promise<LedgerMeta> {
    this.tables.meta ??= meta;
    return this.tables.meta;
  }

  async entryByScope(scope: string): Promise<Row | undefined> {
    return this.#byScope.get(scope) as Row | undefined;
  }

  async entriesByJti(jti: string): Promise<readonly Row[]> {
    return asRows(this.#byJti.get(jti) ?? []);
  }

  async entriesByWid(wid: string): Promise<readonly Row[]> {
    return asRows(this.#byWid.get(wid) ?? []);
  }

  async entriesFrom(from: number, limit: number): Promise<readonly Row[]> {
    const start = Math.max(0, from - 1);
    return asRows(this.tables.entries.slice(start, start + limit));
  }

  async isReferenced(pred: string): Promise<boolean> {
    return this.#referenced.has(pred);
  }

  async predsBetween(from: number, to: number): Promise<readonly Row[]> {
    return asRows(this.tables.preds.filter((p) => p.seq >= from && p.seq < to));
  }

  async size(): Promise<number> {
    return this.tables.entries.length;
  }

  async readHashes(ids: readonly number[]): Promise<readonly Uint8Array[]> {
    return ids.map((id) => {
      const node = this.tables.nodes[id];
      if (node === undefined) {
        throw new ECTError('ECT_LEDGER_UNAVAILABLE', `the ledger has no tree node ${id}`);
      }
      return node.hash;
    });
  }

  async nodesFrom(from: number, limit: number): Promise<readonly Row[]> {
    return asRows(this.tables.nodes.slice(from, from + limit));
  }

  async checkpointsFrom(from: number, limit: number): Promise<readonly Row[]> {
    return asRows(this.tables.checkpoints.filter((c) => c.size >= from).slice(0, limit));
  }

  async latestCheckpoint(): Promise<Row | undefined> {
    return this.tables.checkpoints.at(-1) as Row | undefined;
  }

  async addCosignatures(rows: readonly CosignatureRow[]): Promise<void> {
    for (const row of rows) {
      const at = this.tables.cosignatures.findIndex(
        (c) => c.size === row.size && c.witness === row.witness,
      );
      if (at === -1) this.tables.cosignatures.push(row);
      else this.tables.cosignatures[at] = row;
    }
  }

  async cosignaturesBetween(from: number, to: number): Promise<readonly Row[]> {
    return asRows(
      this.tables.cosignatures
        .filter((c) => c.size >= from && c.size <= to)
        .sort((a, b) => a.size - b.size || (a.witness < b.witness ? -1 : 1)),
    );
  }

  async schemaProblems(): Promise<readonly string[]> {
    return [];
  }

  /** Nothing to release: the rows stay readable in `tables`. */
  async close(): Promise<void> {}
}

/** Stored rows as the ledger reads them (plain records). */
function asRows(rows: readonly object[]): readonly Row[] {
  return rows as readonly Row[];
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
