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

/** The operations a writer serves, by name (the worker's message protocol). */
export interface WriteOperations {
  /** BEGIN IMMEDIATE, then the tip: size, right-edge hashes, stored scopes among `scopes`. */
  begin(scopes: readonly string[]): { size: number; frontier: Uint8Array[]; existing: string[] };
  /** Inserts the rows and commits; on failure rolls back and rethrows. */
  commit(rows: BatchRows): void;
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
  const insertInto = (table: SqlTable, rows: readonly object[]): void => {
    const marks = table.columns.map(() => '?').join(', ');
    const put = statement(
      `INSERT INTO ${table.name} (${columnList(table.columns)}) VALUES (${marks})`,
    );
    for (const row of rows) {
      put.run(
        table.columns.map((c) => {
          const value = (row as Record<string, unknown>)[c.name];
          return value instanceof Uint8Array ? Buffer.from(value) : value;
        }),
      );
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
    commit: (rows) => {
      try {
        insertInto(t.entries, rows.entries);
        insertInto(t.preds, rows.preds);
        insertInto(t.nodes, rows.nodes);
        insertInto(t.checkpoints, [rows.checkpoint]);
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
          insertInto(t.meta, [
            { name: 'origin', value: meta.origin },
            { name: 'vkey', value: meta.vkey },
          ]);
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
