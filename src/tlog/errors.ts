/**
 * Errors of the transparency-log layer (RFC 9162 proofs, C2SP signed notes, checkpoints,
 * tlog-proof files, cosignatures, the tlog-witness protocol). They are not token errors (profile
 * section 11 is for tokens): a proof or a note that does not verify is evidence that something was
 * changed, reported with a stable `code` of its own.
 * @module
 */

/**
 * The stable codes of `TlogError`. They never change between versions.
 *
 * @example
 * ```ts
 * import { TLOG_ERROR_CODES, type TlogErrorCode } from 'wimse-ect';
 *
 * const serious: TlogErrorCode[] = TLOG_ERROR_CODES.filter(
 *   (code) => code !== 'TLOG_WITNESS_POLICY',
 * );
 * ```
 */
export const TLOG_ERROR_CODES = [
  /** Text or bytes that do not follow the format (a note, a checkpoint, a proof file, a hash). */
  'TLOG_MALFORMED',
  /** An inclusion or consistency proof that does not verify (RFC 9162 §2.1.3.2, §2.1.4.2). */
  'TLOG_PROOF_INVALID',
  /** A signature line of a known key that does not verify, or no signature by a required key. */
  'TLOG_SIGNATURE_INVALID',
  /** A checkpoint whose origin is not the one expected. */
  'TLOG_ORIGIN_MISMATCH',
  /** Fewer valid witness cosignatures than the policy requires (LED-11). */
  'TLOG_WITNESS_POLICY',
] as const;

/**
 * One of `TLOG_ERROR_CODES`.
 *
 * @example
 * ```ts
 * import { TlogError, type TlogErrorCode } from 'wimse-ect';
 *
 * function codeOf(error: unknown): TlogErrorCode | undefined {
 *   return error instanceof TlogError ? error.code : undefined;
 * }
 * ```
 */
export type TlogErrorCode = (typeof TLOG_ERROR_CODES)[number];

/**
 * A transparency-log check failed; `code` says which kind of failure.
 *
 * @example
 * ```ts
 * import { TlogError } from 'wimse-ect';
 *
 * function describe(error: unknown): string {
 *   return error instanceof TlogError
 *     ? `transparency log: ${error.code}: ${error.message}`
 *     : String(error);
 * }
 * ```
 */
export class TlogError extends Error {
  override readonly name = 'TlogError';
  readonly code: TlogErrorCode;

  constructor(code: TlogErrorCode, message: string, options?: { readonly cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
