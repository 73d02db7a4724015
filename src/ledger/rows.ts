/**
 * The ledger's stored rows, in one place: the columns of every table, how each value is derived
 * from the entry (LED-2), and how a row read back is decoded and checked. SQL backends build their
 * DDL and INSERTs from these lists, so adding a stored column touches only this file.
 *
 * Database contents are input like any other: a row changed outside the ledger may no longer
 * decode, and reading it then fails with `LedgerRowError` naming the entry and the column.
 * @module
 */
import { createHash } from 'node:crypto';
import { ECTError } from '../errors.js';
import { parseToken } from '../format/parse.js';
import { canonicalId, taskKey } from '../format/task-key.js';
import type { ECTClaims, Level } from '../format/types.js';
import type { Entry } from './entry.js';

/** The current schema version of the stored ledger (2: the RFC 9162 tree of LED-2). */
export const LEDGER_SCHEMA_VERSION = 2;

/**
 * A stored row that no longer decodes (changed outside the ledger, or damaged).
 *
 * @example
 * ```ts
 * import { Ledger, LedgerRowError } from 'wimse-ect';
 *
 * const ledger = await Ledger.open({ origin: 'example.org/ect-ledger' });
 * try {
 *   await ledger.entryAt(1);
 * } catch (error) {
 *   // A row changed outside the ledger: which table, row and column.
 *   if (error instanceof LedgerRowError) console.log(error.table, error.seq, error.column);
 * }
 * ```
 */
export class LedgerRowError extends ECTError {
  /** The `seq` of the row, as stored (it may itself be what is damaged). */
  readonly seq: unknown;
  /** The table and column at fault. */
  readonly table: string;
  readonly column: string;

  constructor(options: { seq: unknown; table: string; column: string; problem: string }) {
    super(
      'ECT_LEDGER_UNAVAILABLE',
      `ledger ${options.table} row ${String(options.seq)} cannot be read: column ` +
        `${options.column} ${options.problem} (the database was changed outside the ledger ` +
        'or is damaged)',
    );
    this.seq = options.seq;
    this.table = options.table;
    this.column = options.column;
  }
}

/** SQL value kinds; each backend maps them to its own types. */
export type ColumnKind = 'integer' | 'smallint' | 'text' | 'bytes';

/** A column of a stored table. */
export interface ColumnSpec<Name extends string = string> {
  readonly name: Name;
  readonly kind: ColumnKind;
  readonly nullable?: true;
}

/** One entry's row, every value derived from the entry (LED-2). */
export interface EntryRow {
  readonly seq: number;
  /** `taskKey(jti, wid)` in canonical case: the LED-3 uniqueness key. */
  readonly scope: string;
  /** `jti` in canonical case (CLM-5), for lookups by `jti`. */
  readonly jti: string;
  /** `wid` in canonical case, or null. */
  readonly wid: string | null;
  readonly level: Level;
  readonly recorded_at: number;
  readonly token: string;
  /** The token's claims as JSON text, so DAG reads need not parse tokens. */
  readonly claims: string;
}

/** The entries table (primary key `seq`, unique `scope`). INSERTs list the columns in this order. */
export const ENTRY_COLUMNS: readonly ColumnSpec<keyof EntryRow>[] = [
  { name: 'seq', kind: 'integer' },
  { name: 'scope', kind: 'text' },
  { name: 'jti', kind: 'text' },
  { name: 'wid', kind: 'text', nullable: true },
  { name: 'level', kind: 'smallint' },
  { name: 'recorded_at', kind: 'integer' },
  { name: 'token', kind: 'text' },
  { name: 'claims', kind: 'text' },
];

/** The predecessor index: one row per distinct canonical `pred` entry (primary key seq, pred). */
export interface PredRow {
  readonly seq: number;
  readonly pred: string;
}
export const PRED_COLUMNS: readonly ColumnSpec<keyof PredRow>[] = [
  { name: 'seq', kind: 'integer' },
  { name: 'pred', kind: 'text' },
];

/** A stored tree hash: every perfect subtree, keyed by its stored-hash id (tlog/stored-hash.ts). */
export interface NodeRow {
  readonly id: number;
  readonly hash: Uint8Array;
}
export const NODE_COLUMNS: readonly ColumnSpec<keyof NodeRow>[] = [
  { name: 'id', kind: 'integer' },
  { name: 'hash', kind: 'bytes' },
];

/** A signed checkpoint (LED-8): the C2SP signed note, keyed by its tree size. */
export interface CheckpointRow {
  readonly size: number;
  readonly note: string;
}
export const CHECKPOINT_COLUMNS: readonly ColumnSpec<keyof CheckpointRow>[] = [
  { name: 'size', kind: 'integer' },
  { name: 'note', kind: 'text' },
];

/** A witness cosignature line (LED-11) on the checkpoint of `size`, one per witness key name. */
export interface CosignatureRow {
  readonly size: number;
  readonly witness: string;
  readonly line: string;
}
export const COSIGNATURE_COLUMNS: readonly ColumnSpec<keyof CosignatureRow>[] = [
  { name: 'size', kind: 'integer' },
  { name: 'witness', kind: 'text' },
  { name: 'line', kind: 'text' },
];

/** The ledger's identity, stored on first use (LED-8): its origin and its verifier key. */
export interface LedgerMeta {
  readonly origin: string;
  /** The signed-note verifier key line of the checkpoint key. */
  readonly vkey: string;
}

/** The rows one batch of appends stores, in one transaction (LED-2, LED-4, LED-8). */
export interface BatchRows {
  readonly entries: readonly EntryRow[];
  readonly preds: readonly PredRow[];
  readonly nodes: readonly NodeRow[];
  readonly checkpoint: CheckpointRow;
}

/** The predecessors a payload names: `pred`, or the -00 `par` of a legacy token (CLM-13). */
export function predOf(claims: Readonly<Record<string, unknown>>): readonly string[] {
  const pred = claims['pred'] === undefined ? claims['par'] : claims['pred'];
  return Array.isArray(pred) ? pred.filter((p): p is string => typeof p === 'string') : [];
}

/** What a token contributes to its row, whatever its seq: derived once per append. */
export interface TaskValues {
  readonly scope: string;
  readonly jti: string;
  readonly wid: string | null;
  readonly claims: string;
  /** Distinct canonical predecessors, sorted (the predecessor rows). */
  readonly preds: readonly string[];
  /** base64url SHA-256 of the token (receipts). */
  readonly tokenHash: string;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Values a store must hold exactly: no U+0000 (PostgreSQL text cannot) and no lone surrogate
 * (UTF-8 cannot), so what is read back is what was derived.
 */
function storable(value: string, member: string): string {
  if (value.includes('\u0000') || LONE_SURROGATE.test(value)) {
    throw new ECTError('ECT_LEDGER_UNAVAILABLE', `the ledger cannot store this ${member}`, {
      member,
    });
  }
  return value;
}

/**
 * The claims object of a token whose envelope was verified before (an append) or whose bytes the
 * tree vouches for (integrity checks): the payload segment through `JSON.parse`. The strict parser
 * already ran when the token was verified; running it again cost a measurable share of an append.
 */
function tokenClaims(token: string): Record<string, unknown> {
  const first = token.indexOf('.');
  const segment = first === -1 ? token : token.slice(first + 1, token.indexOf('.', first + 1));
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    claims = undefined;
  }
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) {
    // Not a token this library verified: the strict parser says why.
    return parseToken(token).payload;
  }
  return claims as Record<string, unknown>;
}

/**
 * The values a token gives its row (LED-2). Throws `ECTError` when the token does not parse
 * (integrity verification reports it as a changed token).
 */
export function deriveTask(token: string): TaskValues {
  const claims = tokenClaims(token);
  const jti = claims['jti'];
  const wid = claims['wid'];
  if (typeof jti !== 'string') throw new ECTError('ECT_CLAIM_INVALID', 'the token has no jti');
  if (wid !== undefined && typeof wid !== 'string') {
    throw new ECTError('ECT_CLAIM_INVALID', 'the token has a non-string wid');
  }
  const preds = [...new Set(predOf(claims).map((p) => storable(canonicalId(p), 'pred')))].sort();
  return {
    scope: taskKey(storable(jti, 'jti'), wid === undefined ? undefined : storable(wid, 'wid')),
    jti: canonicalId(jti),
    wid: wid === undefined ? null : canonicalId(wid),
    claims: JSON.stringify(claims),
    preds,
    tokenHash: createHash('sha256').update(token, 'utf8').digest('base64url'),
  };
}

/** The rows of an entry whose token's values are already derived (an append derives them once). */
export function entryRows(options: { readonly entry: Entry; readonly task: TaskValues }): {
  entry: EntryRow;
  preds: PredRow[];
} {
  const { entry, task } = options;
  return {
    entry: {
      seq: entry.seq,
      scope: task.scope,
      jti: task.jti,
      wid: task.wid,
      level: entry.level,
      recorded_at: entry.recordedAt,
      token: entry.token,
      claims: task.claims,
    },
    preds: task.preds.map((pred) => ({ seq: entry.seq, pred })),
  };
}

/** Every stored value of an entry, derived from it (LED-2). */
export function deriveRows(entry: Entry): { entry: EntryRow; preds: PredRow[] } {
  return entryRows({ entry, task: deriveTask(entry.token) });
}

/**
 * A value as the row stores it, for comparison: integers arrive as numbers (SQLite), strings or
 * bigints (PostgreSQL BIGINT); bytes as Buffer or Uint8Array.
 */
export function normalizeValue(value: unknown, kind: ColumnKind): unknown {
  if (value === null || value === undefined) return null;
  if (kind === 'integer' || kind === 'smallint') {
    if (typeof value === 'bigint') return Number(value);
    if (typeof value === 'string' && /^-?\d+$/.test(value)) return Number(value);
    return value;
  }
  if (kind === 'bytes') {
    return value instanceof Uint8Array ? Buffer.from(value).toString('base64') : value;
  }
  return value;
}

/** The first column whose stored value differs from the derived one, if any. */
export function firstDifferentColumn<T extends object>(options: {
  columns: readonly ColumnSpec<Extract<keyof T, string>>[];
  stored: Readonly<Record<string, unknown>>;
  derived: T;
}): string | undefined {
  for (const column of options.columns) {
    const stored = normalizeValue(options.stored[column.name], column.kind);
    const derived = normalizeValue(options.derived[column.name as keyof T], column.kind);
    if (stored !== derived) return column.name;
  }
  return undefined;
}

/**
 * A decoded entry as readers see it: the recorded fields plus the parsed claims.
 *
 * @example
 * ```ts
 * import { createECT, generateKeyPair, Ledger, type LedgerEntry } from 'wimse-ect';
 *
 * const ledger = await Ledger.open({
 *   key: generateKeyPair({ alg: 'EdDSA' }).privateJwk,
 *   origin: 'example.org/ect-ledger',
 * });
 * const wid = '0b6f2a8e-5c3d-4f1a-9e7b-2d4c6a8e0f13';
 * await ledger.append({
 *   token: createECT(
 *     { iss: 'spiffe://example.org/a', aud: 'b', exec_act: 'x', wid },
 *     { level: 1 },
 *   ),
 *   level: 1,
 * });
 * const entries: readonly LedgerEntry[] = await ledger.workflowEntries(wid);
 * console.log(entries[0]?.seq, entries[0]?.claims.exec_act); // 1 x
 * ```
 */
export interface LedgerEntry extends Entry {
  /** `jti` and `wid` in canonical case (CLM-5). */
  readonly jti: string;
  readonly wid: string | undefined;
  readonly claims: ECTClaims;
}

function corrupt(seq: unknown, column: string, problem: string): LedgerRowError {
  return new LedgerRowError({ seq, table: 'entries', column, problem });
}

/** An integer that fits a JavaScript number (PostgreSQL BIGINT arrives as a string). */
export function safeInteger(value: unknown, fail: (problem: string) => Error): number {
  const n = normalizeValue(value, 'integer');
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) {
    throw fail(`is not an integer (${JSON.stringify(String(value))})`);
  }
  return n;
}

function text(value: unknown, seq: unknown, column: string): string {
  if (typeof value !== 'string') {
    throw corrupt(seq, column, `is not text (${value === null ? 'NULL' : typeof value})`);
  }
  return value;
}

function decodeClaims(value: unknown, seq: unknown): ECTClaims {
  let claims: unknown;
  try {
    claims = JSON.parse(text(value, seq, 'claims'));
  } catch (error) {
    if (error instanceof LedgerRowError) throw error;
    throw corrupt(seq, 'claims', 'is not valid JSON');
  }
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) {
    throw corrupt(seq, 'claims', 'is not a JSON object');
  }
  const c = claims as Record<string, unknown>;
  // What the DAG and the audit read without further checks.
  if (typeof c['jti'] !== 'string') throw corrupt(seq, 'claims', 'has no string jti');
  if (typeof c['iat'] !== 'number') throw corrupt(seq, 'claims', 'has no numeric iat');
  if (typeof c['iss'] !== 'string') throw corrupt(seq, 'claims', 'has no string iss');
  if (typeof c['exec_act'] !== 'string') throw corrupt(seq, 'claims', 'has no string exec_act');
  return { ...c, pred: predOf(c) } as ECTClaims;
}

/** Decodes an entries row read back; throws `LedgerRowError` naming the bad column. */
export function decodeEntryRow(row: Readonly<Record<string, unknown>>): LedgerEntry {
  const seq = safeInteger(row['seq'], (p) => corrupt(row['seq'], 'seq', p));
  const level = safeInteger(row['level'], (p) => corrupt(seq, 'level', p));
  if (level !== 1 && level !== 2 && level !== 3) {
    throw corrupt(seq, 'level', `is ${level}, not 1, 2 or 3`);
  }
  const wid =
    row['wid'] === null || row['wid'] === undefined ? undefined : text(row['wid'], seq, 'wid');
  return {
    seq,
    level,
    recordedAt: safeInteger(row['recorded_at'], (p) => corrupt(seq, 'recorded_at', p)),
    token: text(row['token'], seq, 'token'),
    jti: text(row['jti'], seq, 'jti'),
    wid,
    claims: decodeClaims(row['claims'], seq),
  };
}

/** A 32-byte hash read back from the nodes table. */
export function decodeHash(value: unknown, id: number): Uint8Array {
  if (!(value instanceof Uint8Array) || value.length !== 32) {
    throw new LedgerRowError({
      seq: id,
      table: 'nodes',
      column: 'hash',
      problem: 'is not 32 bytes',
    });
  }
  return value;
}

/** The column list of a table, for SELECTs and INSERTs. */
export function columnList(columns: readonly ColumnSpec[]): string {
  return columns.map((c) => c.name).join(', ');
}

/** The stored tree size read back (the last seq, 0 when empty; BIGINT may arrive as a string). */
export function decodeSize(value: unknown): number {
  const size = normalizeValue(value, 'integer');
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw new ECTError(
      'ECT_LEDGER_UNAVAILABLE',
      `the ledger's last seq is not an integer (${String(value)})`,
    );
  }
  return size;
}

/** Node rows read back, as hashes in the order of `ids`; a missing node is an error naming it. */
export function orderedHashes(
  ids: readonly number[],
  rows: readonly Readonly<Record<string, unknown>>[],
): Uint8Array[] {
  const byId = new Map(rows.map((r) => [normalizeValue(r['id'], 'integer'), r['hash']]));
  return ids.map((id) => {
    if (!byId.has(id)) {
      throw new ECTError('ECT_LEDGER_UNAVAILABLE', `the ledger has no tree node ${id}`);
    }
    return decodeHash(byId.get(id), id);
  });
}

/** The stored identity from the meta rows (undefined for a new ledger). */
export function decodeMeta(
  rows: readonly Readonly<Record<string, unknown>>[],
): LedgerMeta | undefined {
  const map = new Map(rows.map((r) => [r['name'], r['value']]));
  const origin = map.get('origin');
  const vkey = map.get('vkey');
  if (origin === undefined && vkey === undefined) return undefined;
  if (typeof origin !== 'string' || typeof vkey !== 'string') {
    throw new ECTError(
      'ECT_LEDGER_UNAVAILABLE',
      'the ledger meta table lacks its origin or vkey row',
    );
  }
  return { origin, vkey };
}
