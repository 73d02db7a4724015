/**
 * In-memory ledger storage, for tests and single-process demos. Not durable (LED-4 needs SQLite or
 * PostgreSQL).
 * @module
 */
import { ECTError } from '../errors.js';
import { taskKey } from '../format/task-key.js';
import { checkBuiltEntry } from '../stores/ledger-rows.js';
import { GENESIS_HASH } from './chain.js';
import type { ChainTip, LedgerBackend, LedgerEntry } from './types.js';

const NONE: readonly LedgerEntry[] = Object.freeze([]);

export class MemoryLedgerBackend implements LedgerBackend {
  readonly #entries: LedgerEntry[] = [];
  readonly #byScope = new Map<string, LedgerEntry>();
  readonly #byJti = new Map<string, LedgerEntry[]>();
  readonly #byWid = new Map<string, LedgerEntry[]>();
  readonly #referenced = new Set<string>();
  #tip: ChainTip = { seq: 0, entryHash: GENESIS_HASH };

  async append(build: (tip: ChainTip) => LedgerEntry): Promise<LedgerEntry> {
    // Single-threaded and without an await before the insert: atomic and serial.
    const entry = build(this.#tip);
    const key = taskKey(entry.jti, entry.wid);
    if (this.#byScope.has(key)) throw duplicate(entry);
    this.#store(entry);
    return entry;
  }

  /**
   * Group commit (see `LedgerBackend.appendMany`). Staged first, stored after: a build that throws
   * leaves the ledger as it was, so the batch is all-or-nothing apart from LED-3 duplicates, which
   * are per-item results and do not advance the tip (LED-2: no gaps).
   */
  async appendMany(builds: readonly ((tip: ChainTip) => LedgerEntry)[]): Promise<readonly (LedgerEntry | ECTError)[]> {
    const results: (LedgerEntry | ECTError)[] = [];
    const staged: LedgerEntry[] = [];
    const stagedKeys = new Set<string>();
    let tip = this.#tip;
    for (const build of builds) {
      const entry = build(tip);
      checkBuiltEntry(entry, tip.seq + 1);
      const key = taskKey(entry.jti, entry.wid);
      if (this.#byScope.has(key) || stagedKeys.has(key)) {
        results.push(duplicate(entry));
        continue;
      }
      staged.push(entry);
      stagedKeys.add(key);
      results.push(entry);
      tip = { seq: entry.seq, entryHash: Buffer.from(entry.entryHash, 'base64url') };
    }
    for (const entry of staged) this.#store(entry);
    return results;
  }

  #store(entry: LedgerEntry): void {
    const key = taskKey(entry.jti, entry.wid);
    this.#entries.push(entry);
    this.#byScope.set(key, entry);
    push(this.#byJti, entry.jti, entry);
    if (entry.wid !== undefined) push(this.#byWid, entry.wid, entry);
    for (const p of entry.claims.pred) this.#referenced.add(p);
    this.#tip = { seq: entry.seq, entryHash: Buffer.from(entry.entryHash, 'base64url') };
  }

  async get(jti: string, wid: string | undefined): Promise<LedgerEntry | undefined> {
    return this.#byScope.get(taskKey(jti, wid));
  }

  async findByJti(jti: string): Promise<readonly LedgerEntry[]> {
    return this.#byJti.get(jti) ?? NONE;
  }

  async isReferenced(jti: string): Promise<boolean> {
    return this.#referenced.has(jti);
  }

  async listWorkflow(wid: string): Promise<readonly LedgerEntry[]> {
    return this.#byWid.get(wid) ?? NONE;
  }

  async readFrom(from: number, limit: number): Promise<readonly LedgerEntry[]> {
    const start = Math.max(0, from - 1);
    return this.#entries.slice(start, start + limit);
  }

  async tip(): Promise<ChainTip> {
    return this.#tip;
  }

  async close(): Promise<void> {}

  /** Test hook: the stored rows, to tamper with in integrity tests. */
  get rows(): LedgerEntry[] {
    return this.#entries;
  }
}

function duplicate(entry: LedgerEntry): ECTError {
  return new ECTError('ECT_DAG_DUPLICATE', `task ${entry.jti} is already in the ledger`, { member: 'jti' });
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
