/**
 * The ledger's checkpoints (LED-8): C2SP tlog-checkpoint bodies signed as C2SP signed notes with
 * the ledger's Ed25519 key, and witness cosignatures (LED-11) attached as further signature lines.
 * @module
 */
import { parseCheckpoint, type Checkpoint } from '../tlog/checkpoint.js';
import { TlogError } from '../tlog/errors.js';
import { openNote, parseNote, parseVerifierKey, type NoteVerifier } from '../tlog/note.js';

/** A checkpoint whose ledger signature verified. */
export interface VerifiedCheckpoint extends Checkpoint {
  /** The note text (the checkpoint body). */
  readonly text: string;
  /** The whole signed note, as given. */
  readonly note: string;
}

/** Checks a signed checkpoint with the ledger's verifier key; the origin is the key's name. */
export function openCheckpoint(options: {
  readonly note: string;
  readonly ledger: NoteVerifier;
}): VerifiedCheckpoint {
  const { text } = openNote({ note: options.note, verifiers: [options.ledger] });
  const checkpoint = parseCheckpoint({ text });
  if (checkpoint.origin !== options.ledger.name) {
    throw new TlogError(
      'TLOG_ORIGIN_MISMATCH',
      `the checkpoint is for origin ${checkpoint.origin}, the ledger key for ${options.ledger.name}`,
    );
  }
  return { ...checkpoint, text, note: options.note };
}

/** A verifier key line, parsed (TLOG_MALFORMED naming the problem when it is not one). */
export function ledgerVerifier(vkey: string): NoteVerifier {
  return parseVerifierKey({ vkey: vkey.trim() });
}

/**
 * The checkpoint note with witness cosignature lines appended (each `— name base64`, no newline),
 * skipping lines the note already has.
 */
export function withCosignatures(note: string, lines: readonly string[]): string {
  const have = new Set(parseNote({ note }).signatures.map((s) => s.line));
  const added = lines.filter((l) => !have.has(l));
  return added.length === 0 ? note : `${note}${added.map((l) => `${l}\n`).join('')}`;
}

/**
 * The k-of-n witness policy (LED-11): how many of `witnesses` validly cosigned the checkpoint.
 * A cosignature of a known witness that does not verify fails the whole note (signed-note).
 */
export function countCosignatures(options: {
  readonly note: string;
  readonly witnesses: readonly NoteVerifier[];
}): { valid: string[] } {
  const { text, signatures } = parseNote({ note: options.note });
  const message = new Uint8Array(Buffer.from(text, 'utf8'));
  const valid = new Set<string>();
  for (const witness of options.witnesses) {
    for (const s of signatures) {
      if (s.name !== witness.name || !Buffer.from(s.keyId).equals(Buffer.from(witness.keyId))) {
        continue;
      }
      if (!witness.verify(message, s.signature)) {
        throw new TlogError(
          'TLOG_SIGNATURE_INVALID',
          `the cosignature of witness ${witness.name} does not verify`,
        );
      }
      valid.add(witness.name);
    }
  }
  return { valid: [...valid] };
}

/** Throws TLOG_WITNESS_POLICY unless at least `min` of `witnesses` cosigned. */
export function requireCosignatures(options: {
  readonly note: string;
  readonly witnesses: readonly NoteVerifier[];
  readonly min: number;
}): string[] {
  const { valid } = countCosignatures(options);
  if (valid.length < options.min) {
    throw new TlogError(
      'TLOG_WITNESS_POLICY',
      `the checkpoint has ${valid.length} valid cosignature(s) of the ${options.witnesses.length} ` +
        `known witness(es); ${options.min} required`,
    );
  }
  return valid;
}
