/**
 * The PostgreSQL ledger backend (`ect/postgres`, LED-6: one ledger shared by many verifier
 * instances and processes).
 *
 * - LED-2 linearity: an append is one transaction that first takes `pg_advisory_xact_lock` on a key
 *   derived from the table name, then reads the tip, builds the entry and inserts it. Why an
 *   advisory lock rather than a one-row tip table locked with `SELECT … FOR UPDATE`: the lock is
 *   taken before anything is read, so under READ COMMITTED the tip query sees the previous
 *   holder's committed row (its commit is visible before its lock is released); there is no second
 *   copy of the tip that could drift from the rows (a tip table must be kept in step by every
 *   writer, and an empty ledger needs a seeded row); and a transaction-level lock is released by
 *   COMMIT, ROLLBACK or a dropped connection, so a crashed writer never leaves the ledger locked.
 *   The `seq` primary key is a second line of defence: a forked chain could not even be stored.
 * - LED-3 uniqueness: a UNIQUE constraint on `scope` (`taskKey(jti, wid)`; not on (wid, jti),
 *   since SQL NULLs are distinct); its violation (SQLSTATE 23505) is `ECT_DAG_DUPLICATE`.
 * - LED-4 durability: `SET LOCAL synchronous_commit = on` in every append, so a receipt is handed
 *   out only after the commit is flushed, whatever the server's default.
 * - Never a hang: a connection timeout, a server-side `statement_timeout` (also bounds the wait
 *   for the append lock) and a client-side query timeout; every failure to reach or use the server
 *   is `ECT_LEDGER_UNAVAILABLE`.
 * @module
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { ECTConfigError, ECTError } from '../errors.js';
import { taskKey } from '../format/task-key.js';
import { checkBuiltEntry, LEDGER_COLUMNS, LEDGER_SCHEMA_VERSION, rowToEntry, tipHash, type LedgerRow } from '../stores/ledger-rows.js';
import { redactUrl } from '../stores/redact.js';
import { GENESIS_HASH } from './chain.js';
import { Ledger, type LedgerOptions } from './ledger.js';
import type { ChainTip, LedgerBackend, LedgerEntry } from './types.js';

/** Options of `PostgresLedgerBackend.open`. */
export interface PostgresLedgerBackendOptions {
  /** `postgres://user:password@host:port/database`; or give `pool`. */
  readonly url?: string;
  /** An existing pool (not ended by `close`). */
  readonly pool?: pg.Pool;
  /** Table name (default `ect_ledger`); `<table>_pred` and `<table>_schema_version` go with it. */
  readonly table?: string;
  /** Connection timeout, milliseconds (default 5000). */
  readonly connectionTimeoutMs?: number;
  /** Statement and query timeout, milliseconds (default 5000). */
  readonly statementTimeoutMs?: number;
  /** Most connections of the pool this backend creates (default 10). */
  readonly maxConnections?: number;
}

/** Options of `openPostgresLedger`: the ledger's options plus the backend's. */
export type OpenPostgresLedgerOptions = Omit<LedgerOptions, 'backend'> & Omit<PostgresLedgerBackendOptions, 'url' | 'pool'>;

const DEFAULT_TABLE = 'ect_ledger';
const TABLE_NAME = /^[a-z_][a-z0-9_]{0,47}$/;

/** A signed 64-bit advisory lock key for `purpose` on `table`, as a decimal string. */
function lockKey(table: string, purpose: string): string {
  return createHash('sha256').update(`ect:${purpose}:${table}`).digest().readBigInt64BE(0).toString();
}

function positiveInteger(value: number | undefined, fallback: number, setting: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) throw new ECTConfigError(setting, `must be a positive integer, got ${String(value)}`);
  return value;
}

/** Maps a driver error to the ledger's contract: LED-3 duplicates, else unavailability. */
function toLedgerError(error: unknown, action: string, table: string): ECTError {
  if (error instanceof ECTError) return error;
  const e = error as { code?: unknown; constraint?: unknown; message?: unknown };
  if (e.code === '23505' && e.constraint === `${table}_scope_key`) return duplicate(error);
  const message = typeof e.message === 'string' && e.message.length > 0 ? e.message : String(e.code ?? error);
  return new ECTError('ECT_LEDGER_UNAVAILABLE', `the PostgreSQL ledger could not ${action}: ${message}`, { cause: error });
}

/** The LED-3 result of an item whose (wid, jti) is already stored, or earlier in its batch. */
function duplicate(cause: unknown): ECTError {
  return new ECTError('ECT_DAG_DUPLICATE', 'this task (wid, jti) is already in the ledger (LED-3)', { member: 'jti', ...(cause === undefined ? {} : { cause }) });
}

interface Sql {
  readonly tip: string;
  readonly insert: string;
  readonly insertPred: string;
  readonly existing: string;
  readonly insertBatch: string;
  readonly get: string;
  readonly byJti: string;
  readonly referenced: string;
  readonly workflow: string;
  readonly readFrom: string;
}

function statements(t: string): Sql {
  const select = `SELECT ${LEDGER_COLUMNS} FROM ${t}`;
  return {
    tip: `SELECT seq, entry_hash FROM ${t} ORDER BY seq DESC LIMIT 1`,
    insert: `INSERT INTO ${t} (seq, scope, jti, wid, token, claims, level, recorded_at, token_hash, prev_hash, entry_hash)
             VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10, $11)`,
    insertPred: `INSERT INTO ${t}_pred (pred, seq) SELECT DISTINCT unnest($1::text[]), $2::bigint ON CONFLICT DO NOTHING`,
    existing: `SELECT scope FROM ${t} WHERE scope = ANY($1::text[])`,
    // One statement for a whole batch (group commit): the rows from parallel arrays, and their
    // pred rows in a second, data-modifying part of the same statement.
    insertBatch: `WITH rows AS (
               INSERT INTO ${t} (seq, scope, jti, wid, token, claims, level, recorded_at, token_hash, prev_hash, entry_hash)
               SELECT seq, scope, jti, wid, token, claims::jsonb, level, recorded_at, token_hash, prev_hash, entry_hash
               FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::smallint[], $8::bigint[], $9::text[], $10::text[], $11::text[])
                 AS r (seq, scope, jti, wid, token, claims, level, recorded_at, token_hash, prev_hash, entry_hash)
             )
             INSERT INTO ${t}_pred (pred, seq) SELECT DISTINCT pred, seq FROM unnest($12::text[], $13::bigint[]) AS p (pred, seq) ON CONFLICT DO NOTHING`,
    get: `${select} WHERE scope = $1`,
    byJti: `${select} WHERE jti = $1 ORDER BY seq`,
    referenced: `SELECT EXISTS (SELECT 1 FROM ${t}_pred WHERE pred = $1) AS found`,
    workflow: `${select} WHERE wid = $1 ORDER BY seq`,
    readFrom: `${select} WHERE seq >= $1 ORDER BY seq LIMIT $2`,
  };
}

function schema(t: string): string {
  return `
CREATE TABLE IF NOT EXISTS ${t} (
  seq         BIGINT   NOT NULL CONSTRAINT ${t}_pkey PRIMARY KEY,
  scope       TEXT     NOT NULL CONSTRAINT ${t}_scope_key UNIQUE,
  jti         TEXT     NOT NULL,
  wid         TEXT,
  token       TEXT     NOT NULL,
  claims      JSONB    NOT NULL,
  level       SMALLINT NOT NULL,
  recorded_at BIGINT   NOT NULL,
  token_hash  TEXT     NOT NULL,
  prev_hash   TEXT     NOT NULL,
  entry_hash  TEXT     NOT NULL
);
CREATE INDEX IF NOT EXISTS ${t}_jti ON ${t} (jti);
CREATE INDEX IF NOT EXISTS ${t}_wid ON ${t} (wid, seq) WHERE wid IS NOT NULL;
CREATE TABLE IF NOT EXISTS ${t}_pred (
  pred TEXT   NOT NULL,
  seq  BIGINT NOT NULL,
  CONSTRAINT ${t}_pred_pkey PRIMARY KEY (pred, seq)
);`;
}

/**
 * Creates the tables or checks their version. Under an advisory lock: two instances starting at
 * once would otherwise race in `CREATE TABLE IF NOT EXISTS` (it is not atomic in PostgreSQL and
 * can fail with a duplicate catalog entry).
 */
async function migrate(pool: pg.Pool, table: string): Promise<void> {
  await inTransaction(await pool.connect(), 'BEGIN', async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [lockKey(table, 'migrate')]);
    await client.query(`CREATE TABLE IF NOT EXISTS ${table}_schema_version (version INTEGER NOT NULL)`);
    const { rows } = await client.query<{ version: number | null }>(`SELECT max(version) AS version FROM ${table}_schema_version`);
    const version = rows[0]?.version ?? null;
    if (version !== null && version > LEDGER_SCHEMA_VERSION) {
      throw new ECTConfigError('postgres ledger', `table ${table} has ledger schema version ${version}; this library knows version ${LEDGER_SCHEMA_VERSION} (upgrade the library)`);
    }
    await client.query(schema(table));
    if (version === null) await client.query(`INSERT INTO ${table}_schema_version (version) VALUES ($1)`, [LEDGER_SCHEMA_VERSION]);
  });
}

/**
 * Runs `body` between `begin` and COMMIT on a checked-out client, and releases the client. Any
 * failure rolls back and is rethrown; a client whose connection broke is discarded by the pool.
 * A client whose connection the server drops between two queries emits 'error'; unheard, that
 * event would crash the process, so it is listened to for the whole transaction.
 */
async function inTransaction<T>(client: pg.PoolClient, begin: string, body: (client: pg.PoolClient) => Promise<T>): Promise<T> {
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

export class PostgresLedgerBackend implements LedgerBackend {
  readonly table: string;
  readonly #pool: pg.Pool;
  readonly #ownsPool: boolean;
  readonly #sql: Sql;
  readonly #appendLock: string;

  private constructor(pool: pg.Pool, ownsPool: boolean, table: string) {
    this.#pool = pool;
    this.#ownsPool = ownsPool;
    this.table = table;
    this.#sql = statements(table);
    this.#appendLock = lockKey(table, 'append');
  }

  /**
   * Connects, creates or checks the schema, and returns the backend. Throws `ECTConfigError` for
   * bad options and `ECT_LEDGER_UNAVAILABLE` when the server cannot be reached.
   */
  static async open(options: PostgresLedgerBackendOptions): Promise<PostgresLedgerBackend> {
    const table = options.table ?? DEFAULT_TABLE;
    if (!TABLE_NAME.test(table)) throw new ECTConfigError('postgres ledger table', `${JSON.stringify(table)} is not a plain lower-case SQL name (a-z, 0-9, _; at most 48 characters)`);
    const statementTimeout = positiveInteger(options.statementTimeoutMs, 5000, 'statementTimeoutMs');
    let pool: pg.Pool;
    const owns = options.pool === undefined;
    if (options.pool !== undefined) pool = options.pool;
    else {
      if (typeof options.url !== 'string' || options.url.length === 0) throw new ECTConfigError('postgres ledger', 'a url (postgres://…) or a pool is required');
      pool = new pg.Pool({
        connectionString: options.url,
        max: positiveInteger(options.maxConnections, 10, 'maxConnections'),
        connectionTimeoutMillis: positiveInteger(options.connectionTimeoutMs, 5000, 'connectionTimeoutMs'),
        statement_timeout: statementTimeout,
        // Client side as well: a server that stopped answering (not closed) must not hang us.
        query_timeout: statementTimeout + 1000,
        idle_in_transaction_session_timeout: statementTimeout * 2,
      });
    }
    // An idle connection dropped by the server is reported here; the next query gets a new one.
    // Without a listener the 'error' event would crash the process.
    if (owns) pool.on('error', () => undefined);
    const backend = new PostgresLedgerBackend(pool, owns, table);
    try {
      await migrate(pool, table);
    } catch (error) {
      if (owns) await pool.end().catch(() => undefined);
      if (error instanceof ECTConfigError) throw error;
      const where = options.url === undefined ? 'the given pool' : redactUrl(options.url);
      throw toLedgerError(error, `open the ledger at ${where}`, table);
    }
    return backend;
  }

  async append(build: (tip: ChainTip) => LedgerEntry): Promise<LedgerEntry> {
    return this.#appendTransaction('record the token', async (client, tip) => this.#insert(client, build, tip));
  }

  /**
   * Group commit (see `LedgerBackend.appendMany`): one transaction under the append lock, so one
   * flushed commit for the whole batch (LED-4), and a number of round trips that does not grow
   * with the batch:
   *
   * 1. Fast path: under the lock, one SELECT finds the items whose scope is already stored; the
   *    others (first copy only, within the batch) are built on the running tip and stored by ONE
   *    multi-row INSERT with their pred rows. Duplicates become `ECT_DAG_DUPLICATE` results and
   *    take no seq (LED-2, LED-3). The SELECT is only a shortcut: the UNIQUE constraint still
   *    decides (LED-3).
   * 2. When that INSERT is refused because of some item (SQLSTATE 23505 on the scope, e.g. a
   *    writer that bypasses the lock; or class 22, a value the server cannot store, such as a
   *    `\u0000` in the claims, which `jsonb` cannot hold), the transaction is rolled back and the
   *    batch is attempted again item by item, each in its own SAVEPOINT: the refused item becomes
   *    that item's result and the others still commit, so one bad token cannot fail the tokens
   *    batched with it. The builds are called again for this attempt (they are pure).
   *
   * Any other failure (connection lost, timeout, failed COMMIT) rolls everything back and throws
   * `ECT_LEDGER_UNAVAILABLE`.
   */
  async appendMany(builds: readonly ((tip: ChainTip) => LedgerEntry)[]): Promise<readonly (LedgerEntry | ECTError)[]> {
    if (builds.length === 0) return [];
    try {
      return await this.#appendTransaction('record the tokens', async (client, tip) => this.#insertBatch(client, builds, tip));
    } catch (error) {
      if (!(error instanceof ECTError) || this.#itemError(error.cause) === undefined) throw error;
    }
    return this.#appendTransaction('record the tokens', async (client, tip) => this.#insertEach(client, builds, tip));
  }

  /** The fast path of `appendMany`: one duplicate check and one INSERT for the whole batch. */
  async #insertBatch(client: pg.PoolClient, builds: readonly ((tip: ChainTip) => LedgerEntry)[], first: ChainTip): Promise<(LedgerEntry | ECTError)[]> {
    // Lay the batch out on the running tip, refusing later copies of a task within the batch; the
    // entries also name the scopes to look up. Only when one of them is already stored (rare) do
    // the seqs shift, and the items are built again on the right tips.
    let layout = this.#layout(builds, first, new Set());
    const existing = (await client.query<{ scope: string }>(this.#sql.existing, [layout.flatMap((i) => (i.entry === undefined ? [] : [i.scope]))])).rows;
    if (existing.length > 0) layout = this.#layout(builds, first, new Set(existing.map((r) => r.scope)));
    const rows = layout.flatMap((i) => (i.entry === undefined ? [] : [i.entry]));
    const results = layout.map((i) => i.entry ?? duplicate(undefined));
    if (rows.length === 0) return results;
    const preds = rows.flatMap((e) => e.claims.pred.map((p) => [p, e.seq] as const));
    await client.query(this.#sql.insertBatch, [
      rows.map((e) => e.seq),
      rows.map((e) => taskKey(e.jti, e.wid)),
      rows.map((e) => e.jti),
      rows.map((e) => e.wid ?? null),
      rows.map((e) => e.token),
      rows.map((e) => JSON.stringify(e.claims)),
      rows.map((e) => e.level),
      rows.map((e) => e.recordedAt),
      rows.map((e) => e.tokenHash),
      rows.map((e) => e.prevHash),
      rows.map((e) => e.entryHash),
      preds.map(([p]) => p),
      preds.map(([, seq]) => seq),
    ]);
    return results;
  }

  /**
   * Builds the batch on the running tip: an item whose scope is in `stored` or earlier in the
   * batch gets no entry (a LED-3 duplicate) and does not move the tip (LED-2: no gaps).
   */
  #layout(builds: readonly ((tip: ChainTip) => LedgerEntry)[], first: ChainTip, stored: Set<string>): { scope: string; entry: LedgerEntry | undefined }[] {
    let tip = first;
    return builds.map((build) => {
      const entry = build(tip);
      checkBuiltEntry(entry, tip.seq + 1);
      const scope = taskKey(entry.jti, entry.wid);
      if (stored.has(scope)) return { scope, entry: undefined };
      stored.add(scope);
      tip = { seq: entry.seq, entryHash: Buffer.from(entry.entryHash, 'base64url') };
      return { scope, entry };
    });
  }

  /** The fallback of `appendMany`: item by item, each in a SAVEPOINT, so a refused item fails alone. */
  async #insertEach(client: pg.PoolClient, builds: readonly ((tip: ChainTip) => LedgerEntry)[], first: ChainTip): Promise<(LedgerEntry | ECTError)[]> {
    let tip = first;
    const results: (LedgerEntry | ECTError)[] = [];
    for (const build of builds) {
      await client.query('SAVEPOINT ect_item');
      let entry: LedgerEntry;
      try {
        entry = await this.#insert(client, build, tip);
      } catch (error) {
        const itemError = this.#itemError(error);
        if (itemError === undefined) throw error;
        // The transaction is in the aborted state until this; when it fails too (the
        // connection is gone), the whole batch fails.
        await client.query('ROLLBACK TO SAVEPOINT ect_item');
        results.push(itemError);
        continue;
      }
      await client.query('RELEASE SAVEPOINT ect_item');
      results.push(entry);
      // Only a stored item moves the tip: a refused one leaves no gap in seq (LED-2).
      tip = { seq: entry.seq, entryHash: Buffer.from(entry.entryHash, 'base64url') };
    }
    return results;
  }

  /** The per-item result for an error of one item's statements, or undefined when it must fail the batch. */
  #itemError(error: unknown): ECTError | undefined {
    if (error instanceof ECTError) return undefined;
    const code = (error as { code?: unknown }).code;
    if (typeof code !== 'string') return undefined;
    const mapped = toLedgerError(error, 'record the token', this.table);
    if (mapped.code === 'ECT_DAG_DUPLICATE') return mapped;
    // Class 22 (data exception): this item's data, not the store, is the problem.
    if (code.startsWith('22')) return mapped;
    return undefined;
  }

  /**
   * Runs `body` in one append transaction: `synchronous_commit = on` (LED-4), the append lock
   * (LED-2), the tip read under the lock, then COMMIT. Every failure is rolled back and thrown as
   * `ECT_DAG_DUPLICATE` (LED-3) or `ECT_LEDGER_UNAVAILABLE`.
   */
  async #appendTransaction<T>(action: string, body: (client: pg.PoolClient, tip: ChainTip) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (error) {
      throw toLedgerError(error, 'connect', this.table);
    }
    try {
      // BEGIN and SET LOCAL in one round trip (simple protocol, two statements). A failed or
      // unanswered COMMIT is reported as unavailability: the token is then not accepted, even if
      // the row did reach the disk (never accepted-but-unrecorded).
      return await inTransaction(client, 'BEGIN; SET LOCAL synchronous_commit = on', async () => {
        await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [this.#appendLock]);
        const tip = this.#toTip((await client.query<{ seq: unknown; entry_hash: unknown }>(this.#sql.tip)).rows[0]);
        return body(client, tip);
      });
    } catch (error) {
      throw toLedgerError(error, action, this.table);
    }
  }

  /** Builds the entry on `tip` and inserts it with its pred rows, inside the caller's transaction. */
  async #insert(client: pg.PoolClient, build: (tip: ChainTip) => LedgerEntry, tip: ChainTip): Promise<LedgerEntry> {
    const entry = build(tip);
    checkBuiltEntry(entry, tip.seq + 1);
    await client.query(this.#sql.insert, [
      entry.seq,
      taskKey(entry.jti, entry.wid),
      entry.jti,
      entry.wid ?? null,
      entry.token,
      JSON.stringify(entry.claims),
      entry.level,
      entry.recordedAt,
      entry.tokenHash,
      entry.prevHash,
      entry.entryHash,
    ]);
    if (entry.claims.pred.length > 0) await client.query(this.#sql.insertPred, [entry.claims.pred, entry.seq]);
    return entry;
  }

  async get(jti: string, wid: string | undefined): Promise<LedgerEntry | undefined> {
    const row = (await this.#query(this.#sql.get, [taskKey(jti, wid)]))[0];
    return row === undefined ? undefined : rowToEntry(row);
  }

  async findByJti(jti: string): Promise<readonly LedgerEntry[]> {
    return (await this.#query(this.#sql.byJti, [jti])).map(rowToEntry);
  }

  async isReferenced(jti: string): Promise<boolean> {
    const rows = await this.#query<{ found: boolean }>(this.#sql.referenced, [jti]);
    return rows[0]?.found === true;
  }

  async listWorkflow(wid: string): Promise<readonly LedgerEntry[]> {
    return (await this.#query(this.#sql.workflow, [wid])).map(rowToEntry);
  }

  async readFrom(from: number, limit: number): Promise<readonly LedgerEntry[]> {
    return (await this.#query(this.#sql.readFrom, [from, limit])).map(rowToEntry);
  }

  async tip(): Promise<ChainTip> {
    return this.#toTip((await this.#query<{ seq: unknown; entry_hash: unknown }>(this.#sql.tip, []))[0]);
  }

  async close(): Promise<void> {
    if (this.#ownsPool && !this.#pool.ended) await this.#pool.end();
  }

  #toTip(row: { seq: unknown; entry_hash: unknown } | undefined): ChainTip {
    if (row === undefined) return { seq: 0, entryHash: GENESIS_HASH };
    const seq = Number(row.seq);
    if (!Number.isSafeInteger(seq) || seq < 1) throw new ECTError('ECT_LEDGER_UNAVAILABLE', `the last ledger entry has a bad seq (${String(row.seq)})`);
    return { seq, entryHash: tipHash(row.entry_hash, seq, 'entry_hash') };
  }

  async #query<R extends object = LedgerRow>(text: string, values: readonly unknown[]): Promise<R[]> {
    try {
      return (await this.#pool.query<R>(text, values as unknown[])).rows;
    } catch (error) {
      throw toLedgerError(error, 'be read', this.table);
    }
  }
}

/** Opens a `Ledger` stored in PostgreSQL (tables created when missing). */
export async function openPostgresLedger(url: string, options: OpenPostgresLedgerOptions = {}): Promise<Ledger> {
  const { table, connectionTimeoutMs, statementTimeoutMs, maxConnections, ...ledgerOptions } = options;
  const backend = await PostgresLedgerBackend.open({
    url,
    ...(table === undefined ? {} : { table }),
    ...(connectionTimeoutMs === undefined ? {} : { connectionTimeoutMs }),
    ...(statementTimeoutMs === undefined ? {} : { statementTimeoutMs }),
    ...(maxConnections === undefined ? {} : { maxConnections }),
  });
  return new Ledger({ ...ledgerOptions, backend });
}
