/**
 * Ledger rows as SQL backends (SQLite, PostgreSQL) store them, and their decoding back into
 * `LedgerEntry`s. Database contents are input like any other: a row changed outside the ledger may
 * no longer decode, and then reading it fails with a clear `ECT_LEDGER_UNAVAILABLE` naming the
 * entry and the column, never with a crash deep inside the DAG or integrity code.
 * @module
 */
import { ECTError } from '../errors.js';
import type { ECTClaims, Level } from '../format/types.js';
import { LedgerRowError, type LedgerEntry } from '../ledger/types.js';

/** A ledger row as read from SQL, before checks (drivers return loosely typed values). */
export interface LedgerRow {
  readonly seq: unknown;
  readonly jti: unknown;
  readonly wid: unknown;
  readonly token: unknown;
  /** JSON text (SQLite) or an already parsed value (PostgreSQL `jsonb`). */
  readonly claims: unknown;
  readonly level: unknown;
  readonly recorded_at: unknown;
  readonly token_hash: unknown;
  readonly prev_hash: unknown;
  readonly entry_hash: unknown;
}

/** The column list of `LedgerRow`, for SELECTs. */
export const LEDGER_COLUMNS = 'seq, jti, wid, token, claims, level, recorded_at, token_hash, prev_hash, entry_hash';

/** The current schema version of the SQL backends. */
export const LEDGER_SCHEMA_VERSION = 1;

function corrupt(seq: unknown, column: string, problem: string): ECTError {
  return new LedgerRowError(seq, `ledger entry ${String(seq)} cannot be read: column ${column} ${problem} (the database was changed outside the ledger or is damaged)`);
}

/** An integer that fits a JavaScript number (PostgreSQL BIGINT arrives as a string). */
function safeInteger(value: unknown, seq: unknown, column: string): number {
  const n = typeof value === 'bigint' ? Number(value) : typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw corrupt(seq, column, `is not an integer (${JSON.stringify(String(value))})`);
  return n;
}

function text(value: unknown, seq: unknown, column: string): string {
  if (typeof value !== 'string') throw corrupt(seq, column, `is not text (${value === null ? 'NULL' : typeof value})`);
  return value;
}

function decodeClaims(value: unknown, seq: unknown): ECTClaims {
  let claims: unknown = value;
  if (typeof value === 'string') {
    try {
      claims = JSON.parse(value);
    } catch {
      throw corrupt(seq, 'claims', 'is not valid JSON');
    }
  }
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) throw corrupt(seq, 'claims', 'is not a JSON object');
  const c = claims as Record<string, unknown>;
  // What the DAG and integrity code read without further checks.
  if (typeof c['jti'] !== 'string') throw corrupt(seq, 'claims', 'has no string jti');
  if (typeof c['iat'] !== 'number') throw corrupt(seq, 'claims', 'has no numeric iat');
  if (typeof c['iss'] !== 'string') throw corrupt(seq, 'claims', 'has no string iss');
  if (typeof c['exec_act'] !== 'string') throw corrupt(seq, 'claims', 'has no string exec_act');
  if (!Array.isArray(c['pred']) || !c['pred'].every((p) => typeof p === 'string')) throw corrupt(seq, 'claims', 'has no pred list of strings');
  return c as ECTClaims;
}

/** Checks a row and turns it into an entry; throws `ECT_LEDGER_UNAVAILABLE` naming the bad column. */
export function rowToEntry(row: LedgerRow): LedgerEntry {
  const seq = safeInteger(row.seq, row.seq, 'seq');
  const level = safeInteger(row.level, seq, 'level');
  if (level !== 1 && level !== 2 && level !== 3) throw corrupt(seq, 'level', `is ${level}, not 1, 2 or 3`);
  const wid = row.wid === null || row.wid === undefined ? undefined : text(row.wid, seq, 'wid');
  return {
    seq,
    jti: text(row.jti, seq, 'jti'),
    wid,
    token: text(row.token, seq, 'token'),
    claims: decodeClaims(row.claims, seq),
    level: level as Level,
    recordedAt: safeInteger(row.recorded_at, seq, 'recorded_at'),
    tokenHash: text(row.token_hash, seq, 'token_hash'),
    prevHash: text(row.prev_hash, seq, 'prev_hash'),
    entryHash: text(row.entry_hash, seq, 'entry_hash'),
  };
}

/** The 32-byte hash of a base64url column (the tip), checked. */
export function tipHash(value: unknown, seq: unknown, column: string): Uint8Array {
  const bytes = Buffer.from(text(value, seq, column), 'base64url');
  if (bytes.length !== 32) throw corrupt(seq, column, `does not hold 32 bytes of base64url`);
  return bytes;
}

/** Checks what `build` returned before it is stored: a backend never writes a broken chain link. */
export function checkBuiltEntry(entry: LedgerEntry, expectedSeq: number): void {
  if (entry.seq !== expectedSeq) throw new ECTError('ECT_LEDGER_UNAVAILABLE', `the ledger built entry ${entry.seq} on tip ${expectedSeq - 1}`);
}
