/**
 * The persistent state of a tlog witness (c2sp.org/tlog-witness §Introduction, §add-checkpoint):
 * the logs it knows (origin → verifier keys) and, per origin, the latest checkpoint it cosigned
 * (size, root hash, and the signed note served on the monitoring prefix). Also kept, as the spec
 * allows, a bounded record of validly signed checkpoints it refused as inconsistent: they may be
 * proof that a log forked.
 *
 * One SQLite file (better-sqlite3, WAL). The check-and-update of add-checkpoint runs as ONE
 * `BEGIN IMMEDIATE` transaction (`advance`): the write lock is taken before the latest checkpoint
 * is read, so two requests, even from two processes on the same file, cannot both pass the
 * old-size check and roll the size back (the race described at the end of §add-checkpoint).
 * @module
 */
import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import { ECTConfigError } from '../errors.js';
import { loadOptional } from '../optional.js';
import { TlogError } from '../tlog/errors.js';
import { parseVerifierKey } from '../tlog/note.js';

/** The latest checkpoint a witness cosigned for one log. */
export interface CosignedCheckpoint {
  readonly origin: string;
  readonly size: number;
  /** Root hash (32 bytes). */
  readonly root: Uint8Array;
  /** The checkpoint with the log's verified signatures and the witness's cosignature. */
  readonly note: string;
}

/** A validly signed checkpoint the witness refused (422): possible evidence of a fork. */
export interface WitnessEvidence {
  readonly origin: string;
  /** When it was received, milliseconds since the epoch. */
  readonly receivedAt: number;
  readonly reason: string;
  /** The add-checkpoint request body, verbatim. */
  readonly request: string;
}

/** A log the witness cosigns for: its origin and one of its verifier keys. */
export interface KnownLog {
  readonly origin: string;
  readonly vkey: string;
}

/** The witness's state; see the module comment. */
export interface WitnessState {
  /** The database file. */
  readonly path: string;
  /** Remembers a log key (idempotent). The vkey must parse (TLOG_MALFORMED otherwise). */
  addLog(options: { readonly origin: string; readonly vkey: string }): void;
  /** The verifier keys known for `origin` (empty when the log is unknown). */
  logKeys(options: { readonly origin: string }): string[];
  /** Every known log key, by origin then key. */
  logs(): KnownLog[];
  /** The latest cosigned checkpoint of `origin`, if any. */
  latest(options: { readonly origin: string }): CosignedCheckpoint | undefined;
  /** Same, found by the lowercase hex SHA-256 of the origin (the monitoring URL's form). */
  latestByOriginHash(options: { readonly originHash: string }): CosignedCheckpoint | undefined;
  /**
   * Atomically replaces the latest checkpoint of `origin` with what `update` returns given the
   * current one. `update` runs inside the write transaction and may throw to refuse, which
   * changes nothing. A result for another origin or a smaller size is refused (no rollback).
   */
  advance(options: {
    readonly origin: string;
    readonly update: (current: CosignedCheckpoint | undefined) => CosignedCheckpoint;
  }): CosignedCheckpoint;
  /** Keeps a refused checkpoint (the newest `EVIDENCE_PER_ORIGIN` per origin are kept). */
  recordEvidence(evidence: WitnessEvidence): void;
  /** The evidence kept for `origin`, oldest first. */
  evidence(options: { readonly origin: string }): WitnessEvidence[];
  close(): void;
}

/** How many refused checkpoints are kept per origin (only a log's own key can add them). */
export const EVIDENCE_PER_ORIGIN = 100;

const FORMAT = 'wimse-ect witness state 1';
const BUSY_TIMEOUT_MS = 5000;
const SCHEMA = `
  CREATE TABLE witness_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
  CREATE TABLE witness_logs (
    origin TEXT NOT NULL,
    vkey TEXT NOT NULL,
    PRIMARY KEY (origin, vkey)
  ) STRICT;
  CREATE TABLE witness_checkpoints (
    origin TEXT PRIMARY KEY,
    origin_hash TEXT NOT NULL UNIQUE,
    size INTEGER NOT NULL,
    root BLOB NOT NULL,
    note TEXT NOT NULL
  ) STRICT;
  CREATE TABLE witness_evidence (
    id INTEGER PRIMARY KEY,
    origin TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    reason TEXT NOT NULL,
    request TEXT NOT NULL
  ) STRICT;
  CREATE INDEX witness_evidence_origin ON witness_evidence (origin, id);
`;
const TABLES = ['witness_checkpoints', 'witness_evidence', 'witness_logs', 'witness_meta'];

type Row = Readonly<Record<string, unknown>>;

/** The lowercase hex SHA-256 of an origin, as in `GET <prefix>/<origin hash>/checkpoint`. */
export function originHash(options: { readonly origin: string }): string {
  return createHash('sha256').update(options.origin, 'utf8').digest('hex');
}

/** The error for a state that cannot be used; one line, as the CLI shows errors. */
function damaged(path: string, detail: string, cause?: unknown): ECTConfigError {
  const line = detail.replace(/\s*\n\s*/g, '; ').slice(0, 300);
  return new ECTConfigError('state', `${path} is not a usable witness state: ${line}`, { cause });
}

/** Creates the tables in a new database, or checks that an existing one is a witness state. */
function prepareSchema(db: Database.Database, path: string): void {
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Row[])
    .map((row) => String(row['name']))
    .sort();
  if (tables.length === 0) {
    db.transaction(() => {
      db.exec(SCHEMA);
      db.prepare('INSERT INTO witness_meta (key, value) VALUES (?, ?)').run('format', FORMAT);
    }).immediate();
    return;
  }
  if (!TABLES.every((name) => tables.includes(name))) {
    throw damaged(path, `it holds other tables (${tables.join(', ')})`);
  }
  const format = db.prepare("SELECT value FROM witness_meta WHERE key = 'format'").get() as
    Row | undefined;
  if (format?.['value'] !== FORMAT) {
    throw damaged(path, `unknown format ${JSON.stringify(format?.['value'] ?? null)}`);
  }
}

/** A checkpoint row, checked: a damaged row is an error, never a wrong answer. */
function checkpointFromRow(row: Row, path: string): CosignedCheckpoint {
  const { origin, size, root, note } = row;
  if (
    typeof origin !== 'string' ||
    typeof size !== 'number' ||
    !Number.isSafeInteger(size) ||
    size < 0 ||
    !(root instanceof Uint8Array) ||
    root.length !== 32 ||
    typeof note !== 'string'
  ) {
    throw damaged(path, `the checkpoint row of ${JSON.stringify(String(origin))} is damaged`);
  }
  return { origin, size, root: new Uint8Array(root), note };
}

class SqliteWitnessState implements WitnessState {
  readonly path: string;
  readonly #db: Database.Database;

  constructor(db: Database.Database, path: string) {
    this.#db = db;
    this.path = path;
  }

  addLog(options: { readonly origin: string; readonly vkey: string }): void {
    const { origin, vkey } = options;
    if (origin.length === 0 || origin.includes('\n')) {
      throw new TlogError('TLOG_MALFORMED', 'a log origin is one non-empty line');
    }
    parseVerifierKey({ vkey });
    this.#db
      .prepare('INSERT OR IGNORE INTO witness_logs (origin, vkey) VALUES (?, ?)')
      .run(origin, vkey);
  }

  logKeys(options: { readonly origin: string }): string[] {
    const rows = this.#db
      .prepare('SELECT vkey FROM witness_logs WHERE origin = ? ORDER BY vkey')
      .all(options.origin) as Row[];
    return rows.map((row) => String(row['vkey']));
  }

  logs(): KnownLog[] {
    const rows = this.#db
      .prepare('SELECT origin, vkey FROM witness_logs ORDER BY origin, vkey')
      .all() as Row[];
    return rows.map((row) => ({ origin: String(row['origin']), vkey: String(row['vkey']) }));
  }

  latest(options: { readonly origin: string }): CosignedCheckpoint | undefined {
    const row = this.#db
      .prepare('SELECT origin, size, root, note FROM witness_checkpoints WHERE origin = ?')
      .get(options.origin) as Row | undefined;
    return row === undefined ? undefined : checkpointFromRow(row, this.path);
  }

  latestByOriginHash(options: { readonly originHash: string }): CosignedCheckpoint | undefined {
    const row = this.#db
      .prepare('SELECT origin, size, root, note FROM witness_checkpoints WHERE origin_hash = ?')
      .get(options.originHash) as Row | undefined;
    return row === undefined ? undefined : checkpointFromRow(row, this.path);
  }

  advance(options: {
    readonly origin: string;
    readonly update: (current: CosignedCheckpoint | undefined) => CosignedCheckpoint;
  }): CosignedCheckpoint {
    const { origin, update } = options;
    // IMMEDIATE: the write lock is held from the read of the current checkpoint to the write.
    const run = this.#db.transaction((): CosignedCheckpoint => {
      const current = this.latest({ origin });
      const next = update(current);
      if (next.origin !== origin) {
        throw new Error(`witness state: an update of ${origin} returned ${next.origin}`);
      }
      if (current !== undefined && next.size < current.size) {
        throw new Error(`witness state: refusing to roll ${origin} back from ${current.size}`);
      }
      this.#db
        .prepare(
          `INSERT INTO witness_checkpoints (origin, origin_hash, size, root, note)
           VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (origin) DO UPDATE
           SET size = excluded.size, root = excluded.root, note = excluded.note`,
        )
        .run(origin, originHash({ origin }), next.size, Buffer.from(next.root), next.note);
      return next;
    });
    return run.immediate();
  }

  recordEvidence(evidence: WitnessEvidence): void {
    const { origin, receivedAt, reason, request } = evidence;
    this.#db
      .transaction(() => {
        this.#db
          .prepare(
            'INSERT INTO witness_evidence (origin, received_at, reason, request) VALUES (?, ?, ?, ?)',
          )
          .run(origin, Math.trunc(receivedAt), reason, request);
        this.#db
          .prepare(
            `DELETE FROM witness_evidence WHERE origin = ? AND id NOT IN
           (SELECT id FROM witness_evidence WHERE origin = ? ORDER BY id DESC LIMIT ?)`,
          )
          .run(origin, origin, EVIDENCE_PER_ORIGIN);
      })
      .immediate();
  }

  evidence(options: { readonly origin: string }): WitnessEvidence[] {
    const rows = this.#db
      .prepare(
        `SELECT origin, received_at, reason, request FROM witness_evidence
         WHERE origin = ? ORDER BY id`,
      )
      .all(options.origin) as Row[];
    return rows.map((row) => ({
      origin: String(row['origin']),
      receivedAt: Number(row['received_at']),
      reason: String(row['reason']),
      request: String(row['request']),
    }));
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}

/**
 * Opens (or creates) the witness state at `path`. A file that is not SQLite, fails SQLite's
 * quick check, or holds another schema is an `ECTConfigError` naming the file and the problem.
 */
export async function openWitnessState(options: { readonly path: string }): Promise<WitnessState> {
  const { path } = options;
  const { default: Sqlite } = await loadOptional({
    name: 'better-sqlite3',
    feature: 'the witness state (sqlite: PATH)',
  });
  let db: Database.Database;
  try {
    db = new Sqlite(path);
  } catch (error) {
    throw damaged(path, (error as Error).message, error);
  }
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma('journal_mode = WAL');
    // The witness must persist a checkpoint before it answers (§add-checkpoint).
    db.pragma('synchronous = FULL');
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw damaged(path, `SQLite quick_check failed: ${String(check)}`);
    prepareSchema(db, path);
  } catch (error) {
    db.close();
    if (error instanceof ECTConfigError) throw error;
    throw damaged(path, (error as Error).message, error);
  }
  return new SqliteWitnessState(db, path);
}
