/**
 * Checkpoints (c2sp.org/tlog-checkpoint@v1 §Note text): the text of a signed note naming a log's
 * tree head. Line 1 the origin, line 2 the tree size in decimal, line 3 the base64 root hash,
 * then optional non-empty extension lines; every line ends in a newline. Signing and verifying
 * are the note's business (note.ts, cosignature.ts); this module only reads and writes the text.
 * @module
 */
import { TlogError } from './errors.js';
import { decodeBase64Std, encodeBase64Std } from './note.js';

/** A log's tree head at one size. */
export interface Checkpoint {
  /** The log's identity (first line), e.g. `example.com/log42`. */
  origin: string;
  /** Number of leaves. */
  size: number;
  /** RFC 6962 Merkle tree hash at `size` (32 bytes). */
  root: Uint8Array;
  /** Opaque extension lines, without their newlines (use is NOT RECOMMENDED by the spec). */
  extensions: readonly string[];
}

const HASH_BYTES = 32;
const DECIMAL = /^(?:0|[1-9][0-9]*)$/;
// Control characters other than newline, and unpaired surrogates (not encodable as UTF-8).
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const BAD_CHARACTER = /[\u0000-\u0009\u000b-\u001f]|\p{Cs}/u;

function malformed(message: string): TlogError {
  return new TlogError('TLOG_MALFORMED', message);
}

/** Throws TLOG_MALFORMED unless `line` is one non-empty checkpoint line. */
function checkLine(line: string, what: string): void {
  if (line.length === 0) throw malformed(`the checkpoint ${what} is empty`);
  if (line.includes('\n')) throw malformed(`the checkpoint ${what} holds a newline`);
  if (BAD_CHARACTER.test(line)) {
    throw malformed(`the checkpoint ${what} holds a control character or invalid UTF-16`);
  }
}

/** The note text of a checkpoint (each line ending in a newline). */
export function formatCheckpoint(checkpoint: Checkpoint): string {
  const { origin, size, root, extensions } = checkpoint;
  checkLine(origin, 'origin');
  if (!Number.isSafeInteger(size) || size < 0) {
    throw malformed(`the checkpoint size ${size} is not a non-negative safe integer`);
  }
  if (root.length !== HASH_BYTES) {
    throw malformed(`the checkpoint root hash has ${root.length} bytes, not ${HASH_BYTES}`);
  }
  for (const extension of extensions) checkLine(extension, 'extension line');
  return [origin, String(size), encodeBase64Std(root), ...extensions].map((l) => `${l}\n`).join('');
}

/**
 * Reads a checkpoint from a note text, strictly: at least three lines, none empty, each ending
 * in a newline; the size in decimal without leading zeros and at most 2^53 - 1 (JavaScript's
 * safe integers); the root 32 bytes of canonical standard base64.
 */
export function parseCheckpoint(options: { readonly text: string }): Checkpoint {
  const { text } = options;
  if (!text.endsWith('\n')) throw malformed('the checkpoint text does not end in a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) {
    throw malformed('a checkpoint has at least three lines (origin, size, root hash)');
  }
  const [origin, sizeLine, rootLine, ...extensions] = lines as [string, string, string];
  checkLine(origin, 'origin');
  checkLine(sizeLine, 'size');
  checkLine(rootLine, 'root hash');
  for (const extension of extensions) checkLine(extension, 'extension line');
  if (!DECIMAL.test(sizeLine)) {
    throw malformed(`the checkpoint size ${JSON.stringify(sizeLine)} is not a plain decimal`);
  }
  const size = Number(sizeLine);
  if (!Number.isSafeInteger(size)) {
    throw malformed(`the checkpoint size ${sizeLine} is larger than 2^53 - 1`);
  }
  const root = decodeBase64Std(rootLine);
  if (root === undefined || root.length !== HASH_BYTES) {
    throw malformed('the checkpoint root hash is not 32 bytes of canonical standard base64');
  }
  return { origin, size, root, extensions };
}
