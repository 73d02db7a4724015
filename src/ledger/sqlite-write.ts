/**
 * The write side of the SQLite ledger backend: one connection's append transaction, identity and
 * cosignature writes, as synchronous operations. They run on a worker thread for a database file
 * (sqlite-worker.ts), so that waiting for another process's lock and the commit's fsync never block
 * the event loop, and in the calling thread for a private `:memory:` database.
 * @module
 */
import type Database from 'better-sqlite3';
import {
  columnList,
  decodeMeta,
  decodeSize,
  orderedHashes,
  type BatchRows,
  type CosignatureRow,
  type LedgerMeta,
} from './rows.js';
import { frontierIds } from '../tlog/stored-hash.js';
import { packRows, unpackValues, type PackedRows } from './row-columns.js';
import { ledgerTables, type LedgerTables, type SqlTable } from './sql-schema.js';

/** The table prefix of a SQLite ledger. */
export const SQLITE_PREFIX = 'ect_ledger';

/** Opens a connection with the ledger's pragmas (LED-4: WAL, `synchronous=FULL`). */
export function connectSqlite(
  Driver: typeof Database,
  options: { readonly path: string; readonly busyTimeoutMs: number },
): Database.Database {
  const db = new Driver(options.path, { timeout: options.busyTimeoutMs });
  try {
    db.pragma(`busy_timeout = ${options.busyTimeoutMs}`);
    // WAL lets readers run during an append; the mode is stored in the file.
    db.pragma('journal_mode = WAL');
    // LED-4: FULL syncs the WAL on every commit (NORMAL could lose the last commits on power loss).
    db.pragma('synchronous = FULL');
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

/**
 * A batch's rows packed table by table (row-columns.ts), as the writer receives them: handing the
 * writer thread columns instead of row objects made the hand-off of a 256-entry batch 1.6-2.2x
 * cheaper for the main thread, the packing included (figures in row-columns.ts). The in-thread
 * writer of a `:memory:` database takes the same shape, so every SQLite test runs this path.
 */
export interface PackedBatch {
  readonly entries: PackedRows;
  readonly preds: PackedRows;
  readonly nodes: PackedRows;
  readonly checkpoints: PackedRows;
}

/** Packs a batch by the column specs of the SQL tables it goes to. */
export function packBatch(options: {
  readonly tables: LedgerTables;
  readonly rows: BatchRows;
}): PackedBatch {
  const { tables, rows } = options;
  return {
    entries: packRows({ columns: tables.entries.columns, rows: rows.entries }),
    preds: packRows({ columns: tables.preds.columns, rows: rows.preds }),
    nodes: packRows({ columns: tables.nodes.columns, rows: rows.nodes }),
    checkpoints: packRows({ columns: tables.checkpoints.columns, rows: [rows.checkpoint] }),
  };
}

/** The operations a writer serves, by name (the worker's message protocol). */
export interface WriteOperations {
  /** BEGIN IMMEDIATE, then the tip: size, right-edge hashes, stored scopes among `scopes`. */
  begin(scopes: readonly string[]): { size: number; frontier: Uint8Array[]; existing: string[] };
  /** Inserts the packed rows and commits; on failure rolls back and rethrows. */
  commit(batch: PackedBatch): void;
  rollback(): void;
  initMeta(meta: LedgerMeta): LedgerMeta;
  addCosignatures(rows: readonly CosignatureRow[]): void;
  close(): void;
}

/** Stored hashes by id in the order asked; a missing or damaged node is an error naming it. */
export function hashesByIds(
  db: Database.Database,
  table: string,
  ids: readonly number[],
): Uint8Array[] {
  if (ids.length === 0) return [];
  const rows = db
    .prepare(`SELECT id, hash FROM ${table} WHERE id IN (${ids.map(() => '?').join(', ')})`)
    .all(...ids) as Readonly<Record<string, unknown>>[];
  return orderedHashes(ids, rows);
}

/** The write operations on one connection; statements prepared once. */
export function writeOperations(db: Database.Database): WriteOperations {
  const t: LedgerTables = ledgerTables(SQLITE_PREFIX);
  const prepared = new Map<string, Database.Statement>();
  const statement = (sql: string): Database.Statement => {
    let s = prepared.get(sql);
    if (s === undefined) prepared.set(sql, (s = db.prepare(sql)));
    return s;
  };
  const insert = (table: SqlTable): Database.Statement => {
    const marks = table.columns.map(() => '?').join(', ');
    return statement(`INSERT INTO ${table.name} (${columnList(table.columns)}) VALUES (${marks})`);
  };
  const insertPacked = (table: SqlTable, packed: PackedRows): void => {
    const put = insert(table);
    for (const values of unpackValues({ columns: table.columns, packed })) {
      // The driver binds a Buffer as a BLOB: a view of the packed bytes, not a copy.
      for (let i = 0; i < values.length; i++) {
        const value = values[i];
        if (value instanceof Uint8Array) {
          values[i] = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
        }
      }
      put.run(values);
    }
  };
  return {
    begin: (scopes) => {
      // IMMEDIATE: the write lock is held from before the tip is read until the commit (LED-2).
      db.exec('BEGIN IMMEDIATE');
      try {
        const size = decodeSize(
          (
            statement(`SELECT coalesce(max(seq), 0) AS size FROM ${t.entries.name}`).get() as
              { size?: unknown } | undefined
          )?.size,
        );
        const check = statement(`SELECT 1 FROM ${t.entries.name} WHERE scope = ?`);
        return {
          size,
          frontier: hashesByIds(db, t.nodes.name, frontierIds({ size })),
          existing: scopes.filter((s) => check.get(s) !== undefined),
        };
      } catch (error) {
        db.exec('ROLLBACK');
        throw error;
      }
    },
    commit: (batch) => {
      try {
        insertPacked(t.entries, batch.entries);
        insertPacked(t.preds, batch.preds);
        insertPacked(t.nodes, batch.nodes);
        insertPacked(t.checkpoints, batch.checkpoints);
        db.exec('COMMIT');
      } catch (error) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw error;
      }
    },
    rollback: () => {
      if (db.inTransaction) db.exec('ROLLBACK');
    },
    initMeta: (meta) =>
      db
        .transaction(() => {
          const stored = decodeMeta(
            statement(`SELECT name, value FROM ${t.meta.name}`).all() as never,
          );
          if (stored !== undefined) return stored;
          const rows = [
            { name: 'origin', value: meta.origin },
            { name: 'vkey', value: meta.vkey },
          ];
          insertPacked(t.meta, packRows({ columns: t.meta.columns, rows }));
          return meta;
        })
        .immediate(),
    addCosignatures: (rows) => {
      const table = t.cosignatures;
      const put = statement(
        `INSERT OR REPLACE INTO ${table.name} (${columnList(table.columns)}) VALUES (?, ?, ?)`,
      );
      db.transaction(() => {
        for (const row of rows) put.run(row.size, row.witness, row.line);
      }).immediate();
    },
    close: () => {
      if (db.open) db.close();
    },
  };
}
