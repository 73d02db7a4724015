/**
 * The SQLite ledger backend (`wimse-ect/sqlite`, LED-6: the embedded default): one database file,
 * shared safely by several processes. It stores and reads rows; the tree, checkpoints and checks
 * are the `Ledger`'s.
 *
 * - LED-4 durability: WAL journal with `synchronous=FULL`, so a commit is on disk before an append
 *   returns; a receipt is never handed out for an entry a crash could lose.
 * - LED-2 linearity: appends run on a writer connection in `BEGIN IMMEDIATE`, which takes the
 *   database's write lock before the tip is read, so two processes never build on the same tip;
 *   `busy_timeout` makes the second one wait. Reads use a second connection: under WAL they see
 *   the last commit, never the rows of a batch still being written.
 * - LED-3 uniqueness: a UNIQUE index on `scope` (canonical `taskKey(jti, wid)`). Not on (wid,
 *   jti): SQL NULLs are distinct, so two tokens without a `wid` would both pass such an index.
 * - better-sqlite3 is synchronous: an append waiting for another process's lock blocks this
 *   process's event loop for up to `busyTimeoutMs`, so keep that timeout short where latency
 *   matters.
 * @module
 */
import type Database from 'better-sqlite3';
import { ECTConfigError, ECTError } from '../errors.js';
import { Ledger, type LedgerOptions } from './ledger.js';
import { columnList, decodeHash, LEDGER_SCHEMA_VERSION, type BatchRows, type CosignatureRow, type LedgerMeta } from './rows.js';
import { createStatements, ledgerTables, missingObjects, type LedgerTables, type SqlTable } from './sql-schema.js';
import type { AppendTransaction, LedgerBackend } from './types.js';
import { loadOptional } from '../optional.js';

/** Options of `SqliteLedgerBackend.open`. */
export interface SqliteLedgerBackendOptions {
  /** The database file (created when missing), or `:memory:` for a private in-memory database. */
  readonly path: string;
  /** How long an append waits for another process's write lock, milliseconds (default 5000). */
  readonly busyTimeoutMs?: number;
  /** For `ect ledger migrate` only: open a ledger of an older schema version. */
  readonly allowOldSchema?: true;
}

/** Options of `openSqliteLedger`: the ledger's options plus the backend's. */
export type OpenSqliteLedgerOptions = Omit<LedgerOptions, 'backend'> &
  Omit<SqliteLedgerBackendOptions, 'path' | 'allowOldSchema'>;

const DEFAULT_BUSY_TIMEOUT_MS = 5000;
const PREFIX = 'ect_ledger';
const VERSION_TABLE = 'ect_schema_version';
type Row = Readonly<Record<string, unknown>>;

/** Maps a driver error to the ledger's contract. */
function unavailable(error: unknown, action: string): ECTError {
  if (error instanceof ECTError) return error;
  const message = (error as Error)?.message ?? String(error);
  return new ECTError('ECT_LEDGER_UNAVAILABLE', `the SQLite ledger could not ${action}: ${message}`, {
    cause: error,
  });
}

function insertSql(table: SqlTable): string {
  const marks = table.columns.map(() => '?').join(', ');
  return `INSERT INTO ${table.name} (${columnList(table.columns)}) VALUES (${marks})`;
}

function positional(table: SqlTable, row: object): unknown[] {
  return table.columns.map((c) => {
    const value = (row as Record<string, unknown>)[c.name];
    return value instanceof Uint8Array ? Buffer.from(value) : value;
  });
}

/** The stored schema version, or null for a new database. */
function schemaVersion(db: Database.Database): number | null {
  const exists = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?")
    .get(VERSION_TABLE);
  if (exists === undefined) return null;
  const row = db.prepare(`SELECT max(version) AS version FROM ${VERSION_TABLE}`).get() as
    | { version: unknown }
    | undefined;
  const version = row?.version ?? null;
  if (version !== null && typeof version !== 'number') {
    throw new ECTConfigError('sqlite ledger', `the schema version row holds ${String(version)}`);
  }
  return version;
}

export class SqliteLedgerBackend implements LedgerBackend {
  readonly location: string;
  readonly path: string;
  readonly tables: LedgerTables;
  readonly #reader: Database.Database;
  readonly #writer: Database.Database;
  readonly #sql: Readonly<Record<string, string>>;
  /** Read statements, prepared on first use (a ledger opened for migration has other tables). */
  readonly #prepared = new Map<string, Database.Statement>();
  readonly #writes = new Map<string, Database.Statement>();

  private constructor(path: string, reader: Database.Database, writer: Database.Database) {
    this.path = path;
    this.location = `sqlite:${path}`;
    this.tables = ledgerTables(PREFIX);
    this.#reader = reader;
    this.#writer = writer;
    const t = this.tables;
    const select = `SELECT ${columnList(t.entries.columns)} FROM ${t.entries.name}`;
    this.#sql = {
      byScope: `${select} WHERE scope = ?`,
      byJti: `${select} WHERE jti = ? ORDER BY seq`,
      byWid: `${select} WHERE wid = ? ORDER BY seq`,
      from: `${select} WHERE seq >= ? ORDER BY seq LIMIT ?`,
      referenced: `SELECT EXISTS (SELECT 1 FROM ${t.preds.name} WHERE pred = ?) AS found`,
      preds: `SELECT seq, pred FROM ${t.preds.name} WHERE seq >= ? AND seq < ? ORDER BY seq, pred`,
      size: `SELECT coalesce(max(seq), 0) AS size FROM ${t.entries.name}`,
      nodes: `SELECT id, hash FROM ${t.nodes.name} WHERE id >= ? ORDER BY id LIMIT ?`,
      checkpoints: `SELECT size, note FROM ${t.checkpoints.name} WHERE size >= ? ORDER BY size LIMIT ?`,
      latest: `SELECT size, note FROM ${t.checkpoints.name} ORDER BY size DESC LIMIT 1`,
      cosignatures: `SELECT size, witness, line FROM ${t.cosignatures.name}
         WHERE size >= ? AND size <= ? ORDER BY size, witness`,
      meta: `SELECT name, value FROM ${t.meta.name}`,
    };
  }

  /** Opens (and creates) the database; throws `ECTConfigError` when it cannot. */
  static async open(options: SqliteLedgerBackendOptions): Promise<SqliteLedgerBackend> {
    if (typeof options?.path !== 'string' || options.path.length === 0) {
      throw new ECTConfigError('sqlite ledger path', 'a database file path is required');
    }
    const busy = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
    if (!Number.isSafeInteger(busy) || busy < 0) {
      throw new ECTConfigError('busyTimeoutMs', `must be a non-negative integer, got ${String(busy)}`);
    }
    const Driver = (await loadOptional({ name: 'better-sqlite3' })).default;
    const connect = (): Database.Database => {
      const db = new Driver(options.path, { timeout: busy });
      db.pragma(`busy_timeout = ${busy}`);
      // WAL lets readers run during an append; the mode is stored in the file.
      db.pragma('journal_mode = WAL');
      // LED-4: FULL syncs the WAL on every commit (NORMAL could lose the last commits).
      db.pragma('synchronous = FULL');
      return db;
    };
    let writer: Database.Database | undefined;
    let reader: Database.Database | undefined;
    try {
      writer = connect();
      createOrCheck(writer, ledgerTables(PREFIX), options.allowOldSchema === true);
      // A private in-memory database exists once per connection: it reads what it writes.
      reader = options.path === ':memory:' ? writer : connect();
      return new SqliteLedgerBackend(options.path, reader, writer);
    } catch (error) {
      reader?.close();
      if (writer?.open) writer.close();
      if (error instanceof ECTConfigError) throw error;
      throw new ECTConfigError(
        'sqlite ledger',
        `${options.path} cannot be opened as a SQLite ledger: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  /** A statement of the writer connection, prepared once. */
  #writeStatement(sql: string): Database.Statement {
    let statement = this.#writes.get(sql);
    if (statement === undefined) {
      statement = this.#writer.prepare(sql);
      this.#writes.set(sql, statement);
    }
    return statement;
  }

  #statement(name: string): Database.Statement {
    let statement = this.#prepared.get(name);
    if (statement === undefined) {
      statement = this.#reader.prepare(this.#sql[name]!);
      this.#prepared.set(name, statement);
    }
    return statement;
  }

  /** The writer connection, for `ect ledger migrate`. */
  get writerConnection(): Database.Database {
    return this.#writer;
  }

  async beginAppend(): Promise<AppendTransaction> {
    const db = this.#writer;
    const t = this.tables;
    try {
      // IMMEDIATE: the write lock is held from before the tip is read until the commit (LED-2).
      db.exec('BEGIN IMMEDIATE');
    } catch (error) {
      throw unavailable(error, 'start an append');
    }
    let open = true;
    const run = <T>(action: string, work: () => T): Promise<T> => {
      try {
        if (!open) throw new ECTError('ECT_LEDGER_UNAVAILABLE', 'the transaction has ended');
        return Promise.resolve(work());
      } catch (error) {
        return Promise.reject(unavailable(error, action));
      }
    };
    const statements = (table: SqlTable): Database.Statement => this.#writeStatement(insertSql(table));
    return {
      size: () =>
        run('read the tip', () =>
          sizeOf(this.#writeStatement(`SELECT coalesce(max(seq), 0) AS size FROM ${t.entries.name}`).get()),
        ),
      readHashes: (ids) => run('read the tree', () => readHashes(db, t.nodes.name, ids)),
      existingScopes: (scopes) =>
        run('check for duplicates', () => {
          const found = new Set<string>();
          const check = this.#writeStatement(`SELECT 1 FROM ${t.entries.name} WHERE scope = ?`);
          for (const s of scopes) if (check.get(s) !== undefined) found.add(s);
          return found;
        }),
      insert: (rows: BatchRows) =>
        run('record the tokens', () => {
          const put = (table: SqlTable, list: readonly object[]): void => {
            const statement = statements(table);
            for (const row of list) statement.run(positional(table, row));
          };
          put(t.entries, rows.entries);
          put(t.preds, rows.preds);
          put(t.nodes, rows.nodes);
          put(t.checkpoints, [rows.checkpoint]);
        }),
      commit: () =>
        run('commit', () => {
          db.exec('COMMIT');
          open = false;
        }),
      rollback: async () => {
        if (!open) return;
        open = false;
        try {
          if (db.inTransaction) db.exec('ROLLBACK');
        } catch {
          // The connection is unusable; the next BEGIN reports it.
        }
      },
    };
  }

  async readMeta(): Promise<LedgerMeta | undefined> {
    return this.#query('be read', () => metaOf(this.#statement('meta').all() as Row[]));
  }

  async initMeta(meta: LedgerMeta): Promise<LedgerMeta> {
    const db = this.#writer;
    return this.#query('store its identity', () =>
      db
        .transaction(() => {
          const stored = metaOf(db.prepare(`SELECT name, value FROM ${this.tables.meta.name}`).all() as Row[]);
          if (stored !== undefined) return stored;
          const put = db.prepare(`INSERT INTO ${this.tables.meta.name} (name, value) VALUES (?, ?)`);
          put.run('origin', meta.origin);
          put.run('vkey', meta.vkey);
          return meta;
        })
        .immediate(),
    );
  }

  async entryByScope(scope: string): Promise<Row | undefined> {
    return this.#query('be read', () => this.#statement('byScope').get(scope) as Row | undefined);
  }

  async entriesByJti(jti: string): Promise<readonly Row[]> {
    return this.#query('be read', () => this.#statement('byJti').all(jti) as Row[]);
  }

  async entriesByWid(wid: string): Promise<readonly Row[]> {
    return this.#query('be read', () => this.#statement('byWid').all(wid) as Row[]);
  }

  async entriesFrom(from: number, limit: number): Promise<readonly Row[]> {
    return this.#query('be read', () => this.#statement('from').all(from, limit) as Row[]);
  }

  async isReferenced(pred: string): Promise<boolean> {
    return this.#query('be read', () => (this.#statement('referenced').get(pred) as { found: number }).found === 1);
  }

  async predsBetween(from: number, to: number): Promise<readonly Row[]> {
    return this.#query('be read', () => this.#statement('preds').all(from, to) as Row[]);
  }

  async size(): Promise<number> {
    return this.#query('be read', () => sizeOf(this.#statement('size').get()));
  }

  async readHashes(ids: readonly number[]): Promise<readonly Uint8Array[]> {
    return this.#query('be read', () => readHashes(this.#reader, this.tables.nodes.name, ids));
  }

  async nodesFrom(from: number, limit: number): Promise<readonly Row[]> {
    return this.#query('be read', () => this.#statement('nodes').all(from, limit) as Row[]);
  }

  async checkpointsFrom(from: number, limit: number): Promise<readonly Row[]> {
    return this.#query('be read', () => this.#statement('checkpoints').all(from, limit) as Row[]);
  }

  async latestCheckpoint(): Promise<Row | undefined> {
    return this.#query('be read', () => this.#statement('latest').get() as Row | undefined);
  }

  async addCosignatures(rows: readonly CosignatureRow[]): Promise<void> {
    const db = this.#writer;
    const table = this.tables.cosignatures;
    this.#query('store cosignatures', () => {
      const put = db.prepare(
        `INSERT OR REPLACE INTO ${table.name} (${columnList(table.columns)}) VALUES (?, ?, ?)`,
      );
      db.transaction(() => {
        for (const row of rows) put.run(positional(table, row));
      }).immediate();
    });
  }

  async cosignaturesBetween(from: number, to: number): Promise<readonly Row[]> {
    return this.#query('be read', () => this.#statement('cosignatures').all(from, to) as Row[]);
  }

  async schemaProblems(): Promise<readonly string[]> {
    return this.#query('be read', () => {
      const present = new Set(
        (this.#reader.prepare('SELECT name FROM sqlite_master').all() as { name: string }[]).map(
          (r) => r.name,
        ),
      );
      return missingObjects({ tables: this.tables, present });
    });
  }

  async close(): Promise<void> {
    if (this.#reader.open) this.#reader.close();
    if (this.#writer.open) this.#writer.close();
  }

  #query<T>(action: string, work: () => T): T {
    try {
      return work();
    } catch (error) {
      throw unavailable(error, action);
    }
  }
}

/**
 * A new database gets the current schema; an existing one must have the current version and
 * every table and index (reported, never recreated: a missing index may be tampering).
 */
function createOrCheck(db: Database.Database, tables: LedgerTables, allowOld: boolean): void {
  db.transaction(() => {
    const version = schemaVersion(db);
    if (version === null) {
      db.exec(`CREATE TABLE ${VERSION_TABLE} (version INTEGER NOT NULL)`);
      db.exec(createStatements(tables, 'sqlite'));
      db.prepare(`INSERT INTO ${VERSION_TABLE} (version) VALUES (?)`).run(LEDGER_SCHEMA_VERSION);
      return;
    }
    if (version > LEDGER_SCHEMA_VERSION) {
      throw new ECTConfigError(
        'sqlite ledger',
        `the database has ledger schema version ${version}; this library knows version ` +
          `${LEDGER_SCHEMA_VERSION} (upgrade the library)`,
      );
    }
    if (version < LEDGER_SCHEMA_VERSION && !allowOld) {
      throw new ECTConfigError(
        'sqlite ledger',
        `the database has ledger schema version ${version} (a hash chain); upgrade it with ` +
          '`ect ledger migrate URL --ledger-key FILE --ledger-origin ORIGIN`',
      );
    }
  }).immediate();
}

function sizeOf(row: unknown): number {
  const size = (row as { size: unknown } | undefined)?.size;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw new ECTError('ECT_LEDGER_UNAVAILABLE', `the ledger's last seq is not an integer (${String(size)})`);
  }
  return size;
}

function readHashes(db: Database.Database, table: string, ids: readonly number[]): Uint8Array[] {
  if (ids.length === 0) return [];
  const rows = db
    .prepare(`SELECT id, hash FROM ${table} WHERE id IN (${ids.map(() => '?').join(', ')})`)
    .all(...ids) as { id: number; hash: unknown }[];
  const byId = new Map(rows.map((r) => [r.id, r.hash]));
  return ids.map((id) => {
    if (!byId.has(id)) throw new ECTError('ECT_LEDGER_UNAVAILABLE', `the ledger has no tree node ${id}`);
    return decodeHash(byId.get(id), id);
  });
}

function metaOf(rows: readonly Row[]): LedgerMeta | undefined {
  const map = new Map(rows.map((r) => [r['name'], r['value']]));
  const origin = map.get('origin');
  const vkey = map.get('vkey');
  if (origin === undefined && vkey === undefined) return undefined;
  if (typeof origin !== 'string' || typeof vkey !== 'string') {
    throw new ECTError('ECT_LEDGER_UNAVAILABLE', 'the ledger meta table lacks its origin or vkey row');
  }
  return { origin, vkey };
}

/** Opens a `Ledger` stored in a SQLite file (created when missing). */
export async function openSqliteLedger(
  path: string,
  options: OpenSqliteLedgerOptions = {},
): Promise<Ledger> {
  const { busyTimeoutMs, ...ledgerOptions } = options;
  const backend = await SqliteLedgerBackend.open({
    path,
    ...(busyTimeoutMs === undefined ? {} : { busyTimeoutMs }),
  });
  return Ledger.open({ ...ledgerOptions, backend });
}
