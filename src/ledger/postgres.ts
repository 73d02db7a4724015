/**
 * The PostgreSQL ledger backend (`wimse-ect/postgres`, LED-6: one ledger shared by many verifier
 * instances and processes). It stores and reads rows; the tree, checkpoints and checks are the
 * `Ledger`'s.
 *
 * - LED-2 linearity: an append transaction first takes `pg_advisory_xact_lock` on a key derived
 *   from the table name, then reads the size and the tree's right edge, then inserts. Why an
 *   advisory lock rather than a one-row tip table locked with `SELECT … FOR UPDATE`: the lock is
 *   taken before anything is read, so under READ COMMITTED the reads see the previous holder's
 *   committed rows; there is no second copy of the tip that could drift from the rows; and a
 *   transaction-level lock is released by COMMIT, ROLLBACK or a dropped connection, so a crashed
 *   writer never leaves the ledger locked. Primary keys on `seq`, node ids and checkpoint sizes
 *   are a second line of defence: a forked log could not even be stored.
 * - LED-3 uniqueness: a UNIQUE index on `scope` (canonical `taskKey(jti, wid)`).
 * - LED-4 durability: `SET LOCAL synchronous_commit = on` in every append.
 * - A batch costs a fixed number of round trips: each table gets one multi-row INSERT from
 *   parallel arrays (`unnest`), all in one statement.
 * - Never a hang: a connection timeout, a server-side `statement_timeout` (also bounds the wait
 *   for the append lock) and a client-side query timeout; every failure to reach or use the server
 *   is `ECT_LEDGER_UNAVAILABLE`.
 * @module wimse-ect/postgres
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { ECTConfigError, ECTError } from '../errors.js';
import { positiveIntegerSetting } from '../settings.js';
import { loadOptional } from '../optional.js';
import { redactUrl } from '../redact-url.js';
import { Ledger, type LedgerOptions } from './ledger.js';
import {
  decodeMeta,
  decodeSize,
  orderedHashes,
  columnList,
  LEDGER_SCHEMA_VERSION,
  type BatchRows,
  type CosignatureRow,
  type LedgerMeta,
} from './rows.js';
import {
  createStatements,
  ledgerTables,
  missingObjects,
  sqlType,
  type LedgerTables,
  type SqlTable,
} from './sql-schema.js';
import { frontierIds } from '../tlog/stored-hash.js';
import type { AppendTip, AppendTransaction, LedgerBackend } from './types.js';

/**
 * Options of `PostgresLedgerBackend.open`.
 *
 * @example
 * ```ts
 * import { Ledger } from 'wimse-ect';
 * import { PostgresLedgerBackend, type PostgresLedgerBackendOptions } from 'wimse-ect/postgres';
 *
 * const options: PostgresLedgerBackendOptions = {
 *   url: 'postgres://ect@db.internal/audit',
 *   table: 'payments_ledger', // several ledgers in one database
 *   maxConnections: 20,
 * };
 * const ledger = await Ledger.open({ backend: await PostgresLedgerBackend.open(options) });
 * ```
 */
export interface PostgresLedgerBackendOptions {
  /** `postgres://user:password@host:port/database`; or give `pool`. */
  readonly url?: string;
  /** An existing pool (not ended by `close`). */
  readonly pool?: pg.Pool;
  /** Table name prefix (default `ect_ledger`); `<table>_nodes`, `<table>_pred`, … go with it. */
  readonly table?: string;
  /** Connection timeout, milliseconds (default 5000). */
  readonly connectionTimeoutMs?: number;
  /** Statement and query timeout, milliseconds (default 5000). */
  readonly statementTimeoutMs?: number;
  /** Most connections of the pool this backend creates (default 10). */
  readonly maxConnections?: number;
  /** For `ect ledger migrate` only: open a ledger of an older schema version. */
  readonly allowOldSchema?: true;
}

/**
 * Options of `openPostgresLedger`: the ledger's options plus the backend's.
 *
 * @example
 * ```ts
 * import { generateKeyPair } from 'wimse-ect';
 * import { openPostgresLedger, type OpenPostgresLedgerOptions } from 'wimse-ect/postgres';
 *
 * const options: OpenPostgresLedgerOptions = {
 *   key: generateKeyPair({ alg: 'EdDSA' }).privateJwk,
 *   origin: 'example.org/ect-ledger',
 *   statementTimeoutMs: 2000,
 * };
 * const ledger = await openPostgresLedger('postgres://ect@db.internal/audit', options);
 * ```
 */
export type OpenPostgresLedgerOptions = Omit<LedgerOptions, 'backend'> &
  Omit<PostgresLedgerBackendOptions, 'url' | 'pool' | 'allowOldSchema'>;

const DEFAULT_TABLE = 'ect_ledger';
const TABLE_NAME = /^[a-z_][a-z0-9_]{0,47}$/;
type Row = Readonly<Record<string, unknown>>;

/** A signed 64-bit advisory lock key for `purpose` on `table`, as a decimal string. */
function lockKey(table: string, purpose: string): string {
  return createHash('sha256')
    .update(`ect:${purpose}:${table}`)
    .digest()
    .readBigInt64BE(0)
    .toString();
}

/** Maps a driver error to the ledger's contract. */
function unavailable(error: unknown, action: string): ECTError {
  if (error instanceof ECTError) return error;
  const e = error as { code?: unknown; message?: unknown };
  const message =
    typeof e.message === 'string' && e.message.length > 0 ? e.message : String(e.code ?? error);
  return new ECTError(
    'ECT_LEDGER_UNAVAILABLE',
    `the PostgreSQL ledger could not ${action}: ${message}`,
    {
      cause: error,
    },
  );
}

/** `INSERT … SELECT FROM unnest($1::type[], …)`: one statement for any number of rows. */
function insertFromArrays(table: SqlTable, first: number): string {
  const arrays = table.columns.map((c, i) => `$${first + i}::${sqlType(c.kind, 'postgres')}[]`);
  const names = columnList(table.columns);
  return `INSERT INTO ${table.name} (${names}) SELECT * FROM unnest(${arrays.join(', ')}) AS r (${names})`;
}

function arraysOf(table: SqlTable, rows: readonly object[]): unknown[][] {
  return table.columns.map((c) =>
    rows.map((row) => {
      const value = (row as Record<string, unknown>)[c.name];
      return value instanceof Uint8Array ? Buffer.from(value) : value;
    }),
  );
}

/** The batch statement: every table's rows in one round trip (data-modifying CTEs). */
function batchStatement(t: LedgerTables): string {
  const parts: string[] = [];
  let next = 1;
  for (const [name, table] of [
    ['e', t.entries],
    ['p', t.preds],
    ['n', t.nodes],
  ] as const) {
    parts.push(`${name} AS (${insertFromArrays(table, next)})`);
    next += table.columns.length;
  }
  return `WITH ${parts.join(', ')} ${insertFromArrays(t.checkpoints, next)}`;
}

/**
 * Creates the tables of a new ledger, or checks the version and the objects of an existing one
 * (a missing table or index is reported, never recreated). Under an advisory lock: two instances
 * starting at once would otherwise race in `CREATE TABLE IF NOT EXISTS`.
 */
async function createOrCheck(
  pool: pg.Pool,
  tables: LedgerTables,
  allowOld: boolean,
): Promise<void> {
  const t = tables.entries.name;
  await inTransaction(await pool.connect(), 'BEGIN', async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [lockKey(t, 'migrate')]);
    const exists = await client.query<{ name: string | null }>(`SELECT to_regclass($1) AS name`, [
      `${t}_schema_version`,
    ]);
    if (exists.rows[0]?.name === null) {
      await client.query(`CREATE TABLE ${t}_schema_version (version INTEGER NOT NULL)`);
      await client.query(createStatements(tables, 'postgres'));
      await client.query(`INSERT INTO ${t}_schema_version (version) VALUES ($1)`, [
        LEDGER_SCHEMA_VERSION,
      ]);
      return;
    }
    const { rows } = await client.query<{ version: number | null }>(
      `SELECT max(version) AS version FROM ${t}_schema_version`,
    );
    const version = rows[0]?.version ?? null;
    if (version === null) {
      // The table is there but its row is not: damage, reported and never recreated.
      throw new ECTConfigError(
        'postgres ledger',
        `table ${t}_schema_version has no version row (nothing was recreated)`,
      );
    }
    if (version > LEDGER_SCHEMA_VERSION) {
      throw new ECTConfigError(
        'postgres ledger',
        `table ${t} has ledger schema version ${version}; this library knows version ` +
          `${LEDGER_SCHEMA_VERSION} (upgrade the library)`,
      );
    }
    if (version !== LEDGER_SCHEMA_VERSION && !allowOld) {
      throw new ECTConfigError(
        'postgres ledger',
        `table ${t} has ledger schema version ${String(version)} (a hash chain); upgrade it ` +
          'with `ect ledger migrate URL --ledger-key FILE --ledger-origin ORIGIN`',
      );
    }
  });
}

/**
 * Runs `body` between `begin` and COMMIT on a checked-out client, and releases the client. Any
 * failure rolls back and is rethrown; a client whose connection broke is discarded by the pool.
 * A client whose connection the server drops between two queries emits 'error'; unheard, that
 * event would crash the process, so it is listened to for the whole transaction.
 */
async function inTransaction<T>(
  client: pg.PoolClient,
  begin: string,
  body: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  let broken: Error | undefined;
  const onError = (error: Error): void => {
    broken = error;
  };
  client.on('error', onError);
  try {
    await client.query(begin);
    const result = await body(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    broken = (await rollback(client)) ?? broken;
    throw error;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}

/** Rolls back; returns the error when the connection is unusable (the pool then discards it). */
async function rollback(client: pg.PoolClient): Promise<Error | undefined> {
  try {
    await client.query('ROLLBACK');
    return undefined;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

/**
 * Ledger rows in PostgreSQL (`npm install pg`), shared by many verifier instances: appends
 * serialise on an advisory lock. Usually opened through `openPostgresLedger` or
 * `openLedger('postgres://…')`.
 *
 * @example
 * ```ts
 * import { Ledger } from 'wimse-ect';
 * import { PostgresLedgerBackend } from 'wimse-ect/postgres';
 *
 * const backend = await PostgresLedgerBackend.open({
 *   url: 'postgres://auditor@db.internal/audit',
 * });
 * const ledger = await Ledger.open({ backend }); // read and verify only: no key given
 * console.log((await ledger.verifyIntegrity()).ok);
 * await ledger.close();
 * ```
 */
export class PostgresLedgerBackend implements LedgerBackend {
  readonly location: string;
  readonly table: string;
  readonly tables: LedgerTables;
  readonly #pool: pg.Pool;
  readonly #ownsPool: boolean;
  readonly #appendLock: string;
  readonly #sql: Readonly<Record<string, string>>;

  private constructor(pool: pg.Pool, ownsPool: boolean, table: string, location: string) {
    this.#pool = pool;
    this.#ownsPool = ownsPool;
    this.table = table;
    this.location = location;
    this.tables = ledgerTables(table);
    this.#appendLock = lockKey(table, 'append');
    const t = this.tables;
    const select = `SELECT ${columnList(t.entries.columns)} FROM ${t.entries.name}`;
    this.#sql = {
      size: `SELECT coalesce(max(seq), 0) AS size FROM ${t.entries.name}`,
      hashes: `SELECT id, hash FROM ${t.nodes.name} WHERE id = ANY($1::bigint[])`,
      existing: `SELECT scope FROM ${t.entries.name} WHERE scope = ANY($1::text[])`,
      batch: batchStatement(t),
      byScope: `${select} WHERE scope = $1`,
      byJti: `${select} WHERE jti = $1 ORDER BY seq`,
      byWid: `${select} WHERE wid = $1 ORDER BY seq`,
      from: `${select} WHERE seq >= $1 ORDER BY seq LIMIT $2`,
      referenced: `SELECT EXISTS (SELECT 1 FROM ${t.preds.name} WHERE pred = $1) AS found`,
      preds: `SELECT seq, pred FROM ${t.preds.name} WHERE seq >= $1 AND seq < $2 ORDER BY seq, pred`,
      nodes: `SELECT id, hash FROM ${t.nodes.name} WHERE id >= $1 ORDER BY id LIMIT $2`,
      checkpoints: `SELECT size, note FROM ${t.checkpoints.name} WHERE size >= $1 ORDER BY size LIMIT $2`,
      latest: `SELECT size, note FROM ${t.checkpoints.name} ORDER BY size DESC LIMIT 1`,
      cosignatures: `SELECT size, witness, line FROM ${t.cosignatures.name} WHERE size >= $1 AND size <= $2 ORDER BY size, witness`,
      addCosignature: `INSERT INTO ${t.cosignatures.name} (size, witness, line) VALUES ($1, $2, $3) ON CONFLICT (size, witness) DO UPDATE SET line = excluded.line`,
      meta: `SELECT name, value FROM ${t.meta.name}`,
      initMeta: `INSERT INTO ${t.meta.name} (name, value) VALUES ('origin', $1), ('vkey', $2) ON CONFLICT DO NOTHING`,
    };
  }

  /**
   * Connects, creates or checks the schema, and returns the backend. Throws `ECTConfigError` for
   * bad options and `ECT_LEDGER_UNAVAILABLE` when the server cannot be reached.
   */
  static async open(options: PostgresLedgerBackendOptions): Promise<PostgresLedgerBackend> {
    const table = options.table ?? DEFAULT_TABLE;
    if (!TABLE_NAME.test(table)) {
      throw new ECTConfigError(
        'postgres ledger table',
        `${JSON.stringify(table)} is not a plain lower-case SQL name (a-z, 0-9, _; at most 48 characters)`,
      );
    }
    const statementTimeout = positiveIntegerSetting({
      value: options.statementTimeoutMs,
      fallback: 5000,
      setting: 'statementTimeoutMs',
    });
    const owns = options.pool === undefined;
    let pool: pg.Pool;
    if (options.pool !== undefined) pool = options.pool;
    else {
      if (typeof options.url !== 'string' || options.url.length === 0) {
        throw new ECTConfigError('postgres ledger', 'a url (postgres://…) or a pool is required');
      }
      const driver = (await loadOptional({ name: 'pg' })).default;
      pool = new driver.Pool({
        connectionString: options.url,
        max: positiveIntegerSetting({
          value: options.maxConnections,
          fallback: 10,
          setting: 'maxConnections',
        }),
        connectionTimeoutMillis: positiveIntegerSetting({
          value: options.connectionTimeoutMs,
          fallback: 5000,
          setting: 'connectionTimeoutMs',
        }),
        statement_timeout: statementTimeout,
        // Client side as well: a server that stopped answering (not closed) must not hang us.
        query_timeout: statementTimeout + 1000,
        idle_in_transaction_session_timeout: statementTimeout * 2,
      });
      // An idle connection dropped by the server is reported here; without a listener the
      // 'error' event would crash the process.
      pool.on('error', () => undefined);
    }
    const where = options.url === undefined ? 'the given pool' : redactUrl(options.url);
    try {
      await createOrCheck(pool, ledgerTables(table), options.allowOldSchema === true);
    } catch (error) {
      if (owns) await pool.end().catch(() => undefined);
      if (error instanceof ECTConfigError) throw error;
      throw unavailable(error, `open the ledger at ${where}`);
    }
    return new PostgresLedgerBackend(pool, owns, table, where);
  }

  /** The pool, for `ect ledger migrate`. */
  get pool(): pg.Pool {
    return this.#pool;
  }

  async beginAppend(options: { readonly scopes: readonly string[] }): Promise<AppendTransaction> {
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (error) {
      throw unavailable(error, 'connect');
    }
    let broken: Error | undefined;
    const onError = (error: Error): void => {
      broken = error;
    };
    client.on('error', onError);
    let open = true;
    const finish = (error?: Error): void => {
      if (!open) return;
      open = false;
      client.off('error', onError);
      client.release(error ?? broken);
    };
    const sql = this.#sql;
    const t = this.tables;
    let tip: AppendTip;
    try {
      // BEGIN and SET LOCAL in one round trip; then the append lock (LED-2); then the tip.
      await client.query('BEGIN; SET LOCAL synchronous_commit = on');
      await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [this.#appendLock]);
      const size = decodeSize(
        (await client.query<Record<string, unknown>>(sql['size']!)).rows[0]?.['size'],
      );
      const ids = frontierIds({ size });
      const [hashes, existing] = await Promise.all([
        ids.length === 0
          ? []
          : client.query(sql['hashes']!, [ids]).then((r) => orderedHashes(ids, r.rows)),
        client.query<{ scope: string }>(sql['existing']!, [options.scopes]),
      ]);
      tip = { size, frontier: hashes, existing: new Set(existing.rows.map((r) => r.scope)) };
    } catch (error) {
      finish((await rollback(client)) ?? (error as Error));
      throw unavailable(error, 'start an append');
    }
    return {
      tip,
      commit: async (rows: BatchRows) => {
        if (!open) throw new ECTError('ECT_LEDGER_UNAVAILABLE', 'the transaction has ended');
        try {
          await client.query(sql['batch']!, [
            ...arraysOf(t.entries, rows.entries),
            ...arraysOf(t.preds, rows.preds),
            ...arraysOf(t.nodes, rows.nodes),
            ...arraysOf(t.checkpoints, [rows.checkpoint]),
          ]);
          // A failed or unanswered COMMIT is unavailability: the tokens are then not accepted,
          // even if the rows did reach the disk (never accepted-but-unrecorded).
          await client.query('COMMIT');
          finish();
        } catch (error) {
          finish((await rollback(client)) ?? (error as Error));
          throw unavailable(error, 'record the tokens');
        }
      },
      rollback: async () => {
        if (!open) return;
        finish(await rollback(client));
      },
    };
  }

  async readMeta(): Promise<LedgerMeta | undefined> {
    return decodeMeta(await this.#query(this.#sql['meta']!, []));
  }

  async initMeta(meta: LedgerMeta): Promise<LedgerMeta> {
    await this.#query(this.#sql['initMeta']!, [meta.origin, meta.vkey]);
    return (await this.readMeta())!;
  }

  async entryByScope(scope: string): Promise<Row | undefined> {
    return (await this.#query(this.#sql['byScope']!, [scope]))[0];
  }

  async entriesByJti(jti: string): Promise<readonly Row[]> {
    return this.#query(this.#sql['byJti']!, [jti]);
  }

  async entriesByWid(wid: string): Promise<readonly Row[]> {
    return this.#query(this.#sql['byWid']!, [wid]);
  }

  async entriesFrom(from: number, limit: number): Promise<readonly Row[]> {
    return this.#query(this.#sql['from']!, [from, limit]);
  }

  async isReferenced(pred: string): Promise<boolean> {
    return (await this.#query(this.#sql['referenced']!, [pred]))[0]?.['found'] === true;
  }

  async predsBetween(from: number, to: number): Promise<readonly Row[]> {
    return this.#query(this.#sql['preds']!, [from, to]);
  }

  async size(): Promise<number> {
    return decodeSize((await this.#query(this.#sql['size']!, []))[0]?.['size']);
  }

  async readHashes(ids: readonly number[]): Promise<readonly Uint8Array[]> {
    return orderedHashes(ids, await this.#query(this.#sql['hashes']!, [ids]));
  }

  async nodesFrom(from: number, limit: number): Promise<readonly Row[]> {
    return this.#query(this.#sql['nodes']!, [from, limit]);
  }

  async checkpointsFrom(from: number, limit: number): Promise<readonly Row[]> {
    return this.#query(this.#sql['checkpoints']!, [from, limit]);
  }

  async latestCheckpoint(): Promise<Row | undefined> {
    return (await this.#query(this.#sql['latest']!, []))[0];
  }

  async addCosignatures(rows: readonly CosignatureRow[]): Promise<void> {
    for (const row of rows) {
      await this.#query(this.#sql['addCosignature']!, [row.size, row.witness, row.line]);
    }
  }

  async cosignaturesBetween(from: number, to: number): Promise<readonly Row[]> {
    return this.#query(this.#sql['cosignatures']!, [from, to]);
  }

  async schemaProblems(): Promise<readonly string[]> {
    const rows = await this.#query(
      'SELECT relname FROM pg_class WHERE relnamespace = current_schema()::regnamespace AND relname LIKE $1',
      [`${this.table}%`],
    );
    return missingObjects({
      tables: this.tables,
      present: new Set(rows.map((r) => String(r['relname']))),
    });
  }

  /** Ends the connection pool this backend created (a pool given in the options stays open). */
  async close(): Promise<void> {
    if (this.#ownsPool && !this.#pool.ended) await this.#pool.end();
  }

  async #query(text: string, values: readonly unknown[]): Promise<Row[]> {
    try {
      return (await this.#pool.query(text, values as unknown[])).rows as Row[];
    } catch (error) {
      throw unavailable(error, 'be read');
    }
  }
}

/**
 * Opens a `Ledger` stored in PostgreSQL (tables created when missing).
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { openPostgresLedger } from 'wimse-ect/postgres';
 *
 * const ledger = await openPostgresLedger('postgres://ect@db.internal/audit', {
 *   key: JSON.parse(readFileSync('ledger.key.json', 'utf8')),
 *   origin: 'example.org/ect-ledger',
 * });
 * ```
 */
export async function openPostgresLedger(
  url: string,
  options: OpenPostgresLedgerOptions = {},
): Promise<Ledger> {
  const { table, connectionTimeoutMs, statementTimeoutMs, maxConnections, ...ledgerOptions } =
    options;
  const backend = await PostgresLedgerBackend.open({
    url,
    ...(table === undefined ? {} : { table }),
    ...(connectionTimeoutMs === undefined ? {} : { connectionTimeoutMs }),
    ...(statementTimeoutMs === undefined ? {} : { statementTimeoutMs }),
    ...(maxConnections === undefined ? {} : { maxConnections }),
  });
  return Ledger.open({ ...ledgerOptions, backend });
}
