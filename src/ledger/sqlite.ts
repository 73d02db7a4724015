/**
 * The SQLite ledger backend (`ect/sqlite`, LED-6: the embedded default): one database file, shared
 * safely by several processes.
 *
 * - LED-4 durability: WAL journal with `synchronous=FULL`, so a commit is on disk before `append`
 *   returns; a receipt is never handed out for an entry a crash could lose.
 * - LED-2 linearity: every append is one `BEGIN IMMEDIATE` transaction that reads the tip, builds
 *   the entry and inserts it. IMMEDIATE takes the database's write lock before the tip is read, so
 *   two processes can never build on the same tip; `busy_timeout` makes the second one wait.
 * - LED-3 uniqueness: a UNIQUE index on `scope` (`taskKey(jti, wid)`). Not on (wid, jti): SQL NULLs
 *   are distinct, so two tokens without a `wid` would both pass such an index.
 * - better-sqlite3 is synchronous: an append waiting for another process's lock blocks this
 *   process's event loop for up to `busyTimeoutMs` (the verifier's LED-7 timer cannot fire
 *   meanwhile), so keep that timeout short where latency matters.
 * - No scans: `get` uses the scope index, `findByJti` the jti index, `listWorkflow` the (wid, seq)
 *   index, `isReferenced` the pred table's primary key, `readFrom`/`tip` the seq primary key.
 * @module
 */
import Database from 'better-sqlite3';
import { ECTConfigError, ECTError } from '../errors.js';
import { taskKey } from '../format/task-key.js';
import { checkBuiltEntry, LEDGER_COLUMNS, LEDGER_SCHEMA_VERSION, rowToEntry, tipHash, type LedgerRow } from '../stores/ledger-rows.js';
import { GENESIS_HASH } from './chain.js';
import { Ledger, type LedgerOptions } from './ledger.js';
import type { ChainTip, LedgerBackend, LedgerEntry } from './types.js';

/** Options of `SqliteLedgerBackend`. */
export interface SqliteLedgerBackendOptions {
  /** The database file (created when missing), or `:memory:` for a private in-memory database. */
  readonly path: string;
  /** How long an append waits for another process's write lock, milliseconds (default 5000). */
  readonly busyTimeoutMs?: number;
}

/** Options of `openSqliteLedger`: the ledger's options plus the backend's. */
export type OpenSqliteLedgerOptions = Omit<LedgerOptions, 'backend'> & Omit<SqliteLedgerBackendOptions, 'path'>;

const DEFAULT_BUSY_TIMEOUT_MS = 5000;

// Version 1. Every statement is idempotent so that a migration interrupted by a crash, or run by
// two processes one after the other, ends in the same schema.
const SCHEMA_V1 = `
CREATE TABLE IF NOT EXISTS ect_ledger (
  seq         INTEGER PRIMARY KEY,
  scope       TEXT    NOT NULL,
  jti         TEXT    NOT NULL,
  wid         TEXT,
  token       TEXT    NOT NULL,
  claims      TEXT    NOT NULL,
  level       INTEGER NOT NULL,
  recorded_at INTEGER NOT NULL,
  token_hash  TEXT    NOT NULL,
  prev_hash   TEXT    NOT NULL,
  entry_hash  TEXT    NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS ect_ledger_scope ON ect_ledger (scope);
CREATE INDEX IF NOT EXISTS ect_ledger_jti ON ect_ledger (jti);
CREATE INDEX IF NOT EXISTS ect_ledger_wid ON ect_ledger (wid, seq) WHERE wid IS NOT NULL;
CREATE TABLE IF NOT EXISTS ect_ledger_pred (
  pred TEXT    NOT NULL,
  seq  INTEGER NOT NULL,
  PRIMARY KEY (pred, seq)
) WITHOUT ROWID;
`;

interface Statements {
  readonly tip: Database.Statement<[], { seq: unknown; entry_hash: unknown }>;
  readonly insert: Database.Statement<[Record<string, unknown>]>;
  readonly insertPred: Database.Statement<[string, number]>;
  readonly get: Database.Statement<[string], LedgerRow>;
  readonly byJti: Database.Statement<[string], LedgerRow>;
  readonly referenced: Database.Statement<[string], { found: number }>;
  readonly workflow: Database.Statement<[string], LedgerRow>;
  readonly readFrom: Database.Statement<[number, number], LedgerRow>;
}

/** Maps a driver error to the ledger's contract: duplicates are LED-3, the rest is unavailability. */
function toLedgerError(error: unknown, action: string): ECTError {
  if (error instanceof ECTError) return error;
  const code = (error as { code?: unknown }).code;
  const message = (error as Error)?.message ?? String(error);
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' && message.includes('ect_ledger.scope')) {
    return new ECTError('ECT_DAG_DUPLICATE', 'this task (wid, jti) is already in the ledger (LED-3)', { member: 'jti', cause: error });
  }
  return new ECTError('ECT_LEDGER_UNAVAILABLE', `the SQLite ledger could not ${action}: ${message}`, { cause: error });
}

/** Opens the file and applies the pragmas; a file that is not a usable database is a config error. */
function openDatabase(path: string, busyTimeoutMs: number): Database.Database {
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { timeout: busyTimeoutMs });
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    // WAL lets readers run during an append; the mode is stored in the file, so setting it again
    // is a no-op for later openers.
    db.pragma('journal_mode = WAL');
    // LED-4: FULL syncs the WAL on every commit (NORMAL could lose the last commits on power loss).
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    migrate(db);
    return db;
  } catch (error) {
    db?.close();
    if (error instanceof ECTConfigError) throw error;
    throw new ECTConfigError('sqlite ledger', `${path} cannot be opened as a SQLite ledger: ${(error as Error).message}`, { cause: error });
  }
}

/** Creates the schema or checks its version, inside one write transaction (several openers at once). */
function migrate(db: Database.Database): void {
  db.transaction(() => {
    db.exec('CREATE TABLE IF NOT EXISTS ect_schema_version (version INTEGER NOT NULL)');
    const row = db.prepare('SELECT max(version) AS version FROM ect_schema_version').get() as { version: unknown } | undefined;
    const version = row?.version ?? null;
    if (version !== null && (typeof version !== 'number' || version > LEDGER_SCHEMA_VERSION)) {
      throw new ECTConfigError('sqlite ledger', `the database has ledger schema version ${String(version)}; this library knows version ${LEDGER_SCHEMA_VERSION} (upgrade the library)`);
    }
    db.exec(SCHEMA_V1);
    if (version === null) db.prepare('INSERT INTO ect_schema_version (version) VALUES (?)').run(LEDGER_SCHEMA_VERSION);
  }).immediate();
}

function prepare(db: Database.Database): Statements {
  const select = `SELECT ${LEDGER_COLUMNS} FROM ect_ledger`;
  return {
    tip: db.prepare('SELECT seq, entry_hash FROM ect_ledger ORDER BY seq DESC LIMIT 1'),
    insert: db.prepare(
      `INSERT INTO ect_ledger (seq, scope, jti, wid, token, claims, level, recorded_at, token_hash, prev_hash, entry_hash)
       VALUES (@seq, @scope, @jti, @wid, @token, @claims, @level, @recorded_at, @token_hash, @prev_hash, @entry_hash)`,
    ),
    insertPred: db.prepare('INSERT OR IGNORE INTO ect_ledger_pred (pred, seq) VALUES (?, ?)'),
    get: db.prepare(`${select} WHERE scope = ?`),
    byJti: db.prepare(`${select} WHERE jti = ? ORDER BY seq`),
    referenced: db.prepare('SELECT EXISTS (SELECT 1 FROM ect_ledger_pred WHERE pred = ?) AS found'),
    workflow: db.prepare(`${select} WHERE wid = ? ORDER BY seq`),
    readFrom: db.prepare(`${select} WHERE seq >= ? ORDER BY seq LIMIT ?`),
  };
}

export class SqliteLedgerBackend implements LedgerBackend {
  readonly path: string;
  readonly #db: Database.Database;
  readonly #sql: Statements;
  readonly #append: Database.Transaction<(build: (tip: ChainTip) => LedgerEntry) => LedgerEntry>;
  readonly #appendMany: Database.Transaction<(builds: readonly ((tip: ChainTip) => LedgerEntry)[]) => (LedgerEntry | ECTError)[]>;

  /** Opens (and creates or migrates) the database; throws `ECTConfigError` when it cannot. */
  constructor(options: SqliteLedgerBackendOptions) {
    if (typeof options?.path !== 'string' || options.path.length === 0) throw new ECTConfigError('sqlite ledger path', 'a database file path is required');
    const busy = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
    if (!Number.isSafeInteger(busy) || busy < 0) throw new ECTConfigError('busyTimeoutMs', `must be a non-negative integer, got ${String(busy)}`);
    this.path = options.path;
    this.#db = openDatabase(options.path, busy);
    this.#sql = prepare(this.#db);
    this.#append = this.#db.transaction((build: (tip: ChainTip) => LedgerEntry): LedgerEntry => this.#insert(build, this.#readTip()));
    // Called inside #appendMany's transaction, a better-sqlite3 transaction function runs as a
    // SAVEPOINT: a failing item is rolled back alone (ROLLBACK TO) and the batch goes on.
    const appendOne = this.#db.transaction((build: (tip: ChainTip) => LedgerEntry, tip: ChainTip): LedgerEntry => this.#insert(build, tip));
    this.#appendMany = this.#db.transaction((builds: readonly ((tip: ChainTip) => LedgerEntry)[]): (LedgerEntry | ECTError)[] => {
      // The write lock is held for the whole batch, so the tip read once stays ours (LED-2).
      let tip = this.#readTip();
      const results: (LedgerEntry | ECTError)[] = [];
      for (const build of builds) {
        try {
          const entry = appendOne(build, tip);
          results.push(entry);
          // Only a stored item moves the tip: a duplicate leaves no gap in seq (LED-2).
          tip = { seq: entry.seq, entryHash: Buffer.from(entry.entryHash, 'base64url') };
        } catch (error) {
          const mapped = toLedgerError(error, 'record the token');
          // LED-3 is per item; anything else fails the whole batch (the outer transaction rolls back).
          if (mapped.code !== 'ECT_DAG_DUPLICATE') throw error;
          results.push(mapped);
        }
      }
      return results;
    });
  }

  async append(build: (tip: ChainTip) => LedgerEntry): Promise<LedgerEntry> {
    try {
      // IMMEDIATE: the write lock is held from before the tip is read until the commit (LED-2).
      return this.#append.immediate(build);
    } catch (error) {
      throw toLedgerError(error, 'record the token');
    }
  }

  /**
   * Group commit (see `LedgerBackend.appendMany`): one `BEGIN IMMEDIATE` transaction, so one WAL
   * sync for the whole batch (LED-4); each item in its own savepoint, so a duplicate (LED-3) is
   * that item's result and the others still commit.
   */
  async appendMany(builds: readonly ((tip: ChainTip) => LedgerEntry)[]): Promise<readonly (LedgerEntry | ECTError)[]> {
    try {
      return this.#appendMany.immediate(builds);
    } catch (error) {
      throw toLedgerError(error, 'record the tokens');
    }
  }

  /** Builds the entry on `tip` and inserts it with its pred rows; the caller holds the write lock. */
  #insert(build: (tip: ChainTip) => LedgerEntry, tip: ChainTip): LedgerEntry {
    const entry = build(tip);
    checkBuiltEntry(entry, tip.seq + 1);
    this.#sql.insert.run({
      seq: entry.seq,
      scope: taskKey(entry.jti, entry.wid),
      jti: entry.jti,
      wid: entry.wid ?? null,
      token: entry.token,
      claims: JSON.stringify(entry.claims),
      level: entry.level,
      recorded_at: entry.recordedAt,
      token_hash: entry.tokenHash,
      prev_hash: entry.prevHash,
      entry_hash: entry.entryHash,
    });
    for (const pred of entry.claims.pred) this.#sql.insertPred.run(pred, entry.seq);
    return entry;
  }

  async get(jti: string, wid: string | undefined): Promise<LedgerEntry | undefined> {
    const row = this.#read(() => this.#sql.get.get(taskKey(jti, wid)));
    return row === undefined ? undefined : rowToEntry(row);
  }

  async findByJti(jti: string): Promise<readonly LedgerEntry[]> {
    return this.#read(() => this.#sql.byJti.all(jti)).map(rowToEntry);
  }

  async isReferenced(jti: string): Promise<boolean> {
    return this.#read(() => this.#sql.referenced.get(jti))?.found === 1;
  }

  async listWorkflow(wid: string): Promise<readonly LedgerEntry[]> {
    return this.#read(() => this.#sql.workflow.all(wid)).map(rowToEntry);
  }

  async readFrom(from: number, limit: number): Promise<readonly LedgerEntry[]> {
    return this.#read(() => this.#sql.readFrom.all(from, limit)).map(rowToEntry);
  }

  async tip(): Promise<ChainTip> {
    return this.#read(() => this.#readTip());
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }

  #readTip(): ChainTip {
    const row = this.#sql.tip.get();
    if (row === undefined) return { seq: 0, entryHash: GENESIS_HASH };
    const seq = row.seq;
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq)) throw new ECTError('ECT_LEDGER_UNAVAILABLE', `the last ledger entry has a bad seq (${String(seq)})`);
    return { seq, entryHash: tipHash(row.entry_hash, seq, 'entry_hash') };
  }

  #read<T>(query: () => T): T {
    try {
      return query();
    } catch (error) {
      throw toLedgerError(error, 'be read');
    }
  }
}

/** Opens a `Ledger` stored in a SQLite file (created when missing). */
export function openSqliteLedger(path: string, options: OpenSqliteLedgerOptions = {}): Ledger {
  const { busyTimeoutMs, ...ledgerOptions } = options;
  const backend = new SqliteLedgerBackend({ path, ...(busyTimeoutMs === undefined ? {} : { busyTimeoutMs }) });
  return new Ledger({ ...ledgerOptions, backend });
}
