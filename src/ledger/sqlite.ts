/**
 * The SQLite ledger backend (`wimse-ect/sqlite`, LED-6: the embedded default): one database file,
 * shared safely by several processes. It stores and reads rows; the tree, checkpoints and checks
 * are the `Ledger`'s.
 *
 * - LED-4 durability: WAL journal with `synchronous=FULL`, so a commit is on disk before an append
 *   returns; a receipt is never handed out for an entry a crash could lose.
 * - LED-2 linearity: appends run in `BEGIN IMMEDIATE`, which takes the database's write lock
 *   before the tip is read, so two processes never build on the same tip.
 * - Writes run on a worker thread (sqlite-worker.ts) with a connection of their own: waiting for
 *   another process's lock and the commit's fsync never block the event loop, so a verifier goes
 *   on verifying while its appends group-commit. Reads use the calling thread's connection: under
 *   WAL they see the last commit, never the rows of a batch still being written. A private
 *   `:memory:` database has one connection, so there the writes run in the calling thread.
 * - LED-3 uniqueness: a UNIQUE index on `scope` (canonical `taskKey(jti, wid)`). Not on (wid,
 *   jti): SQL NULLs are distinct, so two tokens without a `wid` would both pass such an index.
 * @module wimse-ect/sqlite
 */
import type Database from 'better-sqlite3';
import { ECTConfigError, ECTError } from '../errors.js';
import { numberSetting } from '../settings.js';
import { loadOptional } from '../optional.js';
import { Ledger, type LedgerOptions } from './ledger.js';
import {
  decodeMeta,
  decodeSize,
  columnList,
  LEDGER_SCHEMA_VERSION,
  type BatchRows,
  type CosignatureRow,
  type LedgerMeta,
} from './rows.js';
import { createStatements, ledgerTables, missingObjects, type LedgerTables } from './sql-schema.js';
import { startThread, type Thread } from './thread.js';
import {
  connectSqlite,
  hashesByIds,
  packBatch,
  SQLITE_PREFIX,
  writeOperations,
  type WriteOperations,
} from './sqlite-write.js';
import type { AppendTransaction, LedgerBackend } from './types.js';

/**
 * Options of `SqliteLedgerBackend.open`.
 *
 * @example
 * ```ts
 * import { Ledger } from 'wimse-ect';
 * import { SqliteLedgerBackend, type SqliteLedgerBackendOptions } from 'wimse-ect/sqlite';
 *
 * const options: SqliteLedgerBackendOptions = { path: 'audit.db', busyTimeoutMs: 10_000 };
 * const ledger = await Ledger.open({ backend: await SqliteLedgerBackend.open(options) });
 * ```
 */
export interface SqliteLedgerBackendOptions {
  /** The database file (created when missing), or `:memory:` for a private in-memory database. */
  readonly path: string;
  /** How long an append waits for another process's write lock, milliseconds (default 5000). */
  readonly busyTimeoutMs?: number;
  /** For `ect ledger migrate` only: open a ledger of an older schema version. */
  readonly allowOldSchema?: true;
}

/**
 * Options of `openSqliteLedger`: the ledger's options plus the backend's.
 *
 * @example
 * ```ts
 * import { generateKeyPair } from 'wimse-ect';
 * import { openSqliteLedger, type OpenSqliteLedgerOptions } from 'wimse-ect/sqlite';
 *
 * const options: OpenSqliteLedgerOptions = {
 *   key: generateKeyPair({ alg: 'EdDSA' }).privateJwk,
 *   origin: 'example.org/ect-ledger',
 *   busyTimeoutMs: 10_000, // several processes share the file
 * };
 * const ledger = await openSqliteLedger('audit.db', options);
 * ```
 */
export type OpenSqliteLedgerOptions = Omit<LedgerOptions, 'backend'> &
  Omit<SqliteLedgerBackendOptions, 'path' | 'allowOldSchema'>;

const DEFAULT_BUSY_TIMEOUT_MS = 5000;
const VERSION_TABLE = 'ect_schema_version';
type Row = Readonly<Record<string, unknown>>;

/** Maps a failure to the ledger's contract. */
function unavailable(error: unknown, action: string): ECTError {
  if (error instanceof ECTError) return error;
  const message = (error as Error)?.message ?? String(error);
  return new ECTError(
    'ECT_LEDGER_UNAVAILABLE',
    `the SQLite ledger could not ${action}: ${message}`,
    {
      cause: error,
    },
  );
}

/** The write operations, wherever they run. */
interface Writer {
  call<K extends keyof WriteOperations>(
    op: K,
    ...args: Parameters<WriteOperations[K]>
  ): Promise<ReturnType<WriteOperations[K]>>;
  close(): Promise<void>;
}

/** Writes in the calling thread (a private `:memory:` database). */
function threadWriter(ops: WriteOperations): Writer {
  return {
    call: (op, ...args) => {
      try {
        return Promise.resolve((ops[op] as (...a: unknown[]) => never)(...args));
      } catch (error) {
        return Promise.reject(error);
      }
    },
    close: async () => undefined,
  };
}

/** Writes on a worker thread, started on first use; requests are served in order. */
function workerWriter(options: { readonly path: string; readonly busyTimeoutMs: number }): Writer {
  let started: Promise<Thread> | undefined;
  return {
    call: async (op, ...args) => {
      started ??= startThread({ module: 'sqlite-worker', data: options });
      return (await started).call(op, ...args) as never;
    },
    close: async () => {
      const thread = await started?.catch(() => undefined);
      await thread?.close('close');
    },
  };
}

/** The stored schema version, or null for a new database. */
function schemaVersion(db: Database.Database): number | null {
  const exists = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?")
    .get(VERSION_TABLE);
  if (exists === undefined) return null;
  const row = db.prepare(`SELECT max(version) AS version FROM ${VERSION_TABLE}`).get() as
    { version: unknown } | undefined;
  const version: unknown = row?.version ?? null;
  if (version === null) {
    // The table is there but its row is not: damage, reported and never recreated.
    throw new ECTConfigError(
      'sqlite ledger',
      'the schema version row is missing (nothing was recreated)',
    );
  }
  if (typeof version !== 'number') {
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- whatever the row holds, as String() shows it
    throw new ECTConfigError('sqlite ledger', `the schema version row holds ${String(version)}`);
  }
  return version;
}

/**
 * A new database gets the current schema; an existing one must have the current version (tables
 * and indexes are checked by `schemaProblems`, reported and never recreated).
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

/**
 * Ledger rows in one SQLite file (`npm install better-sqlite3`): WAL with `synchronous=FULL`,
 * appends under the database's write lock, several processes on one file. Usually opened through
 * `openSqliteLedger` or `openLedger('sqlite:PATH')`.
 *
 * @example
 * ```ts
 * import { Ledger } from 'wimse-ect';
 * import { SqliteLedgerBackend } from 'wimse-ect/sqlite';
 *
 * const backend = await SqliteLedgerBackend.open({ path: 'audit.db' });
 * const ledger = await Ledger.open({ backend }); // read and verify only: no key given
 * console.log((await ledger.verifyIntegrity()).ok);
 * await ledger.close();
 * ```
 */
export class SqliteLedgerBackend implements LedgerBackend {
  readonly location: string;
  readonly path: string;
  readonly tables: LedgerTables;
  readonly #db: Database.Database;
  readonly #writer: Writer;
  readonly #sql: Readonly<Record<string, string>>;
  /** Read statements, prepared on first use (a ledger opened for migration has other tables). */
  readonly #prepared = new Map<string, Database.Statement>();

  private constructor(path: string, db: Database.Database, writer: Writer) {
    this.path = path;
    this.location = `sqlite:${path}`;
    this.tables = ledgerTables(SQLITE_PREFIX);
    this.#db = db;
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
      objects: 'SELECT name FROM sqlite_master',
    };
  }

  /** Opens (and creates) the database; throws `ECTConfigError` when it cannot. */
  static async open(options: SqliteLedgerBackendOptions): Promise<SqliteLedgerBackend> {
    if (typeof options?.path !== 'string' || options.path.length === 0) {
      throw new ECTConfigError('sqlite ledger path', 'a database file path is required');
    }
    const busyTimeoutMs = numberSetting({
      value: options.busyTimeoutMs,
      fallback: DEFAULT_BUSY_TIMEOUT_MS,
      setting: 'busyTimeoutMs',
      integer: true,
      unit: 'milliseconds',
    });
    const Driver = (await loadOptional({ name: 'better-sqlite3' })).default;
    let db: Database.Database | undefined;
    try {
      db = connectSqlite(Driver, { path: options.path, busyTimeoutMs });
      createOrCheck(db, ledgerTables(SQLITE_PREFIX), options.allowOldSchema === true);
      // A private in-memory database exists once per connection: it writes where it reads.
      const writer =
        options.path === ':memory:'
          ? threadWriter(writeOperations(db))
          : workerWriter({ path: options.path, busyTimeoutMs });
      return new SqliteLedgerBackend(options.path, db, writer);
    } catch (error) {
      if (db?.open) db.close();
      if (error instanceof ECTConfigError) throw error;
      throw new ECTConfigError(
        'sqlite ledger',
        `${options.path} cannot be opened as a SQLite ledger: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  /** The calling thread's connection, for `ect ledger migrate`. */
  get connection(): Database.Database {
    return this.#db;
  }

  async beginAppend(options: { readonly scopes: readonly string[] }): Promise<AppendTransaction> {
    const writer = this.#writer;
    let read;
    try {
      read = await writer.call('begin', options.scopes);
    } catch (error) {
      throw unavailable(error, 'start an append');
    }
    let open = true;
    return {
      tip: { size: read.size, frontier: read.frontier, existing: new Set(read.existing) },
      commit: async (rows: BatchRows) => {
        if (!open) throw new ECTError('ECT_LEDGER_UNAVAILABLE', 'the transaction has ended');
        open = false;
        try {
          // Packed in this thread, by the tables' column specs: the clone `postMessage` makes of
          // columns costs the main thread 1.6-2.2x less than that of row objects (row-columns.ts).
          await writer.call('commit', packBatch({ tables: this.tables, rows }));
        } catch (error) {
          throw unavailable(error, 'record the tokens');
        }
      },
      rollback: async () => {
        if (!open) return;
        open = false;
        // A connection too broken to roll back reports it at the next BEGIN.
        await writer.call('rollback').catch(() => undefined);
      },
    };
  }

  async readMeta(): Promise<LedgerMeta | undefined> {
    return this.#query('be read', () => decodeMeta(this.#statement('meta').all() as Row[]));
  }

  async initMeta(meta: LedgerMeta): Promise<LedgerMeta> {
    try {
      return await this.#writer.call('initMeta', meta);
    } catch (error) {
      throw unavailable(error, 'store its identity');
    }
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
    return this.#query(
      'be read',
      () => (this.#statement('referenced').get(pred) as { found: number }).found === 1,
    );
  }

  async predsBetween(from: number, to: number): Promise<readonly Row[]> {
    return this.#query('be read', () => this.#statement('preds').all(from, to) as Row[]);
  }

  async size(): Promise<number> {
    return this.#query('be read', () =>
      decodeSize((this.#statement('size').get() as { size?: unknown } | undefined)?.size),
    );
  }

  async readHashes(ids: readonly number[]): Promise<readonly Uint8Array[]> {
    return this.#query('be read', () => hashesByIds(this.#db, this.tables.nodes.name, ids));
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
    try {
      await this.#writer.call('addCosignatures', rows);
    } catch (error) {
      throw unavailable(error, 'store cosignatures');
    }
  }

  async cosignaturesBetween(from: number, to: number): Promise<readonly Row[]> {
    return this.#query('be read', () => this.#statement('cosignatures').all(from, to) as Row[]);
  }

  async schemaProblems(): Promise<readonly string[]> {
    return this.#query('be read', () => {
      const present = new Set(
        (this.#statement('objects').all() as { name: string }[]).map((r) => r.name),
      );
      return missingObjects({ tables: this.tables, present });
    });
  }

  /** Stops the writer thread and closes the database. */
  async close(): Promise<void> {
    await this.#writer.close();
    if (this.#db.open) this.#db.close();
  }

  #statement(name: string): Database.Statement {
    let statement = this.#prepared.get(name);
    if (statement === undefined) {
      statement = this.#db.prepare(this.#sql[name]!);
      this.#prepared.set(name, statement);
    }
    return statement;
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
 * Opens a `Ledger` stored in a SQLite file (created when missing).
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { openSqliteLedger } from 'wimse-ect/sqlite';
 *
 * const ledger = await openSqliteLedger('audit.db', {
 *   key: JSON.parse(readFileSync('ledger.key.json', 'utf8')),
 *   origin: 'example.org/ect-ledger',
 * });
 * console.log(await ledger.size(), await ledger.vkey());
 * ```
 */
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
