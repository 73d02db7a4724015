/**
 * The ledger entry (LED-2): the exact bytes of a Merkle-tree leaf. UTF-8 text of five lines, each
 * ending in `\n`:
 *
 *   ect-ledger-entry/v1
 *   <seq, decimal, the first entry is 1>
 *   <level, 1-3>
 *   <time recorded, decimal Unix milliseconds>
 *   <the token exactly as received>
 *
 * The leaf index is `seq - 1`. Every other stored value is derived from these four fields
 * (rows.ts), so the tree covers everything an auditor reads.
 * @module
 */
import type { Level } from '../format/types.js';
import { leafHash } from '../tlog/hash.js';

/**
 * The first line of every entry (LED-2).
 *
 * @example
 * ```ts
 * import { ENTRY_HEADER, formatEntry } from 'wimse-ect';
 *
 * const text = formatEntry({
 *   seq: 1,
 *   level: 1,
 *   recordedAt: 1_700_000_000_000,
 *   token: 'eyJpc3MiOiJ4In0',
 * });
 * console.log(text.startsWith(`${ENTRY_HEADER}\n`)); // true
 * ```
 */
export const ENTRY_HEADER = 'ect-ledger-entry/v1';

/**
 * The four recorded fields of an entry.
 *
 * @example
 * ```ts
 * import { entryLeafHash, type Entry } from 'wimse-ect';
 *
 * const entry: Entry = { seq: 1, level: 3, recordedAt: 1_700_000_000_000, token: 'eyJ.eyJ.sig' };
 * console.log(Buffer.from(entryLeafHash(entry)).toString('base64'));
 * ```
 */
export interface Entry {
  /** Position in the log, from 1, without gaps. */
  readonly seq: number;
  /** The level the token was recorded at (FMT-6). */
  readonly level: Level;
  /** When the entry was recorded, Unix milliseconds. */
  readonly recordedAt: number;
  /** The token exactly as received. */
  readonly token: string;
}

/**
 * The characters a token may have in an entry: a JWS Compact Serialization (RFC 7515 §7.1) or an
 * L1 token is base64url segments and dots, so a token can never break the line structure.
 */
const TOKEN_TEXT = /^[A-Za-z0-9_.-]+$/;
const DECIMAL = /^(0|[1-9][0-9]*)$/;

/** True when `token` can be stored as an entry's last line. */
export function isEntryToken(token: string): boolean {
  return TOKEN_TEXT.test(token);
}

/**
 * The entry text of LED-2. Throws `RangeError` for fields that cannot form an entry.
 *
 * @example
 * ```ts
 * import { formatEntry } from 'wimse-ect';
 *
 * console.log(
 *   formatEntry({ seq: 7, level: 3, recordedAt: 1_700_000_000_000, token: 'eyJ.eyJ.sig' }),
 * );
 * // ect-ledger-entry/v1\n7\n3\n1700000000000\neyJ.eyJ.sig\n
 * ```
 */
export function formatEntry(entry: Entry): string {
  const { seq, level, recordedAt, token } = entry;
  if (!Number.isSafeInteger(seq) || seq < 1) throw new RangeError(`seq must be ≥ 1, got ${seq}`);
  if (level !== 1 && level !== 2 && level !== 3) throw new RangeError(`bad level ${String(level)}`);
  if (!Number.isSafeInteger(recordedAt) || recordedAt < 0) {
    throw new RangeError(`recordedAt must be a non-negative integer, got ${recordedAt}`);
  }
  if (!isEntryToken(token)) throw new RangeError('a token is base64url segments and dots only');
  return `${ENTRY_HEADER}\n${seq}\n${level}\n${recordedAt}\n${token}\n`;
}

/**
 * Reads an entry text back (bundles, exports); `undefined` when it is not one.
 *
 * @example
 * ```ts
 * import { parseEntry } from 'wimse-ect';
 *
 * const entry = parseEntry('ect-ledger-entry/v1\n7\n3\n1700000000000\neyJ.eyJ.sig\n');
 * console.log(entry?.seq, entry?.token); // 7 eyJ.eyJ.sig
 * ```
 */
export function parseEntry(text: string): Entry | undefined {
  const lines = text.split('\n');
  if (lines.length !== 6 || lines[0] !== ENTRY_HEADER || lines[5] !== '') return undefined;
  const [, seqText, levelText, timeText, token] = lines as [string, string, string, string, string];
  if (!DECIMAL.test(seqText) || !DECIMAL.test(timeText) || !/^[123]$/.test(levelText)) {
    return undefined;
  }
  const seq = Number(seqText);
  const recordedAt = Number(timeText);
  if (!Number.isSafeInteger(seq) || seq < 1 || !Number.isSafeInteger(recordedAt)) return undefined;
  if (!isEntryToken(token)) return undefined;
  return { seq, level: Number(levelText) as Level, recordedAt, token };
}

/**
 * The RFC 9162 leaf hash of an entry: SHA-256(0x00 ‖ entry text) (LED-2).
 *
 * @example
 * ```ts
 * import { entryLeafHash, parseEntry } from 'wimse-ect';
 *
 * // The leaf hash an inclusion proof starts from (RFC 9162: SHA-256 of 0x00 and the entry text).
 * const entry = parseEntry('ect-ledger-entry/v1\n7\n3\n1700000000000\neyJ.eyJ.sig\n');
 * if (entry) console.log(Buffer.from(entryLeafHash(entry)).toString('base64'));
 * ```
 */
export function entryLeafHash(entry: Entry): Uint8Array {
  return leafHash(Buffer.from(formatEntry(entry), 'utf8'));
}
