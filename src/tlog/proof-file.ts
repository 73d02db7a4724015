/**
 * Transparency log proofs (c2sp.org/tlog-proof@v1 §Format): an offline-verifiable text holding
 * optional extra data, the index of an entry, its Merkle inclusion proof, and the signed
 * checkpoint (with any cosignatures) verbatim:
 *
 *     c2sp.org/tlog-proof@v1
 *     extra <base64>            (optional)
 *     index <decimal>
 *     <base64 hash>             (zero or more, from the leaf's sibling up)
 *
 *     <signed checkpoint note>
 *
 * This module reads and writes the format; verifying the proof and the signatures is the caller's.
 * @module
 */
import { parseCheckpoint } from './checkpoint.js';
import { TlogError } from './errors.js';
import { decodeBase64Std, encodeBase64Std, parseNote } from './note.js';

/** What a tlog-proof file holds. */
export interface TlogProof {
  /** Zero-based index of the entry in the log. */
  index: number;
  /** The inclusion proof, one 32-byte hash per line (RFC 6962 §2.1.1 order). */
  proof: Uint8Array[];
  /** The signed checkpoint note, verbatim. */
  checkpoint: string;
  /** Opaque, unauthenticated application data. */
  extra?: Uint8Array;
}

const HEADER = 'c2sp.org/tlog-proof@v1';
const HASH_BYTES = 32;
/** An inclusion proof in a tree of fewer than 2^63 leaves has at most 63 hashes. */
const MAX_PROOF_HASHES = 63;
const INDEX_LINE = /^index (0|[1-9][0-9]*)$/;

function malformed(message: string): TlogError {
  return new TlogError('TLOG_MALFORMED', message);
}

/**
 * The last checkpoint found well-formed: a log formats one proof per entry of a batch against the
 * same checkpoint, and parsing the note again for each was a measurable share of an append.
 */
let lastChecked: string | undefined;

/** Throws TLOG_MALFORMED unless `checkpoint` is a signed note whose text is a checkpoint. */
function checkSignedCheckpoint(checkpoint: string): void {
  if (checkpoint === lastChecked) return;
  const { text } = parseNote({ note: checkpoint });
  parseCheckpoint({ text });
  lastChecked = checkpoint;
}

/** Writes a tlog-proof text; `checkpoint` is the signed note as the log and witnesses signed it. */
export function formatTlogProof(options: {
  readonly index: number;
  readonly proof: readonly Uint8Array[];
  readonly checkpoint: string;
  readonly extra?: Uint8Array;
}): string {
  const { index, proof, checkpoint, extra } = options;
  if (!Number.isSafeInteger(index) || index < 0) {
    throw malformed(`the proof index ${index} is not a non-negative safe integer`);
  }
  if (proof.length > MAX_PROOF_HASHES) {
    throw malformed(`an inclusion proof has at most ${MAX_PROOF_HASHES} hashes`);
  }
  for (const hash of proof) {
    if (hash.length !== HASH_BYTES) {
      throw malformed(`a proof hash has ${hash.length} bytes, not 32`);
    }
  }
  checkSignedCheckpoint(checkpoint);
  const lines = [HEADER];
  if (extra !== undefined) lines.push(`extra ${encodeBase64Std(extra)}`);
  lines.push(`index ${index}`, ...proof.map(encodeBase64Std));
  return `${lines.join('\n')}\n\n${checkpoint}`;
}

/**
 * Reads a tlog-proof text strictly: the header line, an optional `extra` line of canonical
 * base64, `index` in decimal without leading zeros (a safe integer), up to 63 hashes of 32
 * bytes, a blank line, and a well-formed signed checkpoint (signatures not verified).
 */
export function parseTlogProof(options: { readonly text: string }): TlogProof {
  const { text } = options;
  // The part before the checkpoint has no empty line, so the first blank line ends it.
  const split = text.indexOf('\n\n');
  if (split < 0) throw malformed('the proof has no blank line before its checkpoint');
  const lines = text.slice(0, split).split('\n');
  const checkpoint = text.slice(split + 2);
  if (lines[0] !== HEADER) throw malformed(`the proof does not start with ${HEADER}`);
  let next = 1;
  let extra: Uint8Array | undefined;
  const extraLine = lines[next];
  if (extraLine !== undefined && extraLine.startsWith('extra ')) {
    extra = decodeBase64Std(extraLine.slice('extra '.length));
    if (extra === undefined) throw malformed('the proof extra data is not canonical base64');
    next += 1;
  }
  const indexMatch = INDEX_LINE.exec(lines[next] ?? '');
  if (indexMatch === null) throw malformed('the proof has no index line (index <decimal>)');
  const index = Number(indexMatch[1]);
  if (!Number.isSafeInteger(index)) throw malformed('the proof index is larger than 2^53 - 1');
  const hashLines = lines.slice(next + 1);
  if (hashLines.length > MAX_PROOF_HASHES) {
    throw malformed(`an inclusion proof has at most ${MAX_PROOF_HASHES} hashes`);
  }
  const proof = hashLines.map((line) => {
    const hash = decodeBase64Std(line);
    if (hash === undefined || hash.length !== HASH_BYTES) {
      throw malformed('a proof line is not a 32-byte hash in canonical base64');
    }
    return hash;
  });
  checkSignedCheckpoint(checkpoint);
  return { index, proof, checkpoint, ...(extra === undefined ? {} : { extra }) };
}
