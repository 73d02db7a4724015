/**
 * Errors are a public contract (profile section 11). Every failure of a token carries one of the
 * `ECTErrorCode` strings; they never change between versions. Configuration and usage mistakes are
 * a different class (`ECTConfigError`), so callers can tell "this token is bad" from "this program
 * is set up wrong".
 * @module
 */

/**
 * Profile section 11: the stable codes of a token that failed verification or creation.
 *
 * @example
 * ```ts
 * import { ECT_ERROR_CODES } from 'wimse-ect';
 *
 * console.log(ECT_ERROR_CODES.length, ECT_ERROR_CODES.includes('ECT_REPLAY')); // 26 true
 * ```
 */
export const ECT_ERROR_CODES = [
  'ECT_TOO_LARGE',
  'ECT_MALFORMED',
  'ECT_LEVEL_TOO_LOW',
  'ECT_TYP_INVALID',
  'ECT_ALG_NOT_ALLOWED',
  'ECT_CRIT_UNSUPPORTED',
  'ECT_KEY_UNRESOLVED',
  'ECT_SIGNATURE_INVALID',
  'ECT_CLAIM_MISSING',
  'ECT_CLAIM_INVALID',
  'ECT_EXT_LIMIT',
  'ECT_ISSUER_MISMATCH',
  'ECT_AUDIENCE_MISMATCH',
  'ECT_EXPIRED',
  'ECT_IAT_FUTURE',
  'ECT_IAT_TOO_OLD',
  'ECT_DAG_DUPLICATE',
  'ECT_DAG_PREDECESSOR_UNKNOWN',
  'ECT_DAG_TEMPORAL',
  'ECT_DAG_CYCLE',
  'ECT_DAG_LIMIT',
  'ECT_DAG_WORKFLOW_MISMATCH',
  'ECT_DAG_LEVEL',
  'ECT_REPLAY',
  'ECT_REPLAY_STORE_UNAVAILABLE',
  'ECT_LEDGER_UNAVAILABLE',
] as const;

/**
 * One of the profile's section 11 codes.
 *
 * @example
 * ```ts
 * import type { ECTErrorCode } from 'wimse-ect';
 *
 * const retryable: readonly ECTErrorCode[] = [
 *   'ECT_LEDGER_UNAVAILABLE',
 *   'ECT_REPLAY_STORE_UNAVAILABLE',
 * ];
 * ```
 */
export type ECTErrorCode = (typeof ECT_ERROR_CODES)[number];

const CODE_SET: ReadonlySet<string> = new Set(ECT_ERROR_CODES);

/**
 * True when `value` is one of the section 11 codes.
 *
 * @example
 * ```ts
 * import { isECTErrorCode } from 'wimse-ect';
 *
 * const code: unknown = JSON.parse('{"code":"ECT_EXPIRED"}').code;
 * if (isECTErrorCode(code)) console.log(`a token was refused: ${code}`);
 * ```
 */
export function isECTErrorCode(value: unknown): value is ECTErrorCode {
  return typeof value === 'string' && CODE_SET.has(value);
}

/**
 * What is known about a token at the moment it failed, for reports (CLI `--json`, HTTP logs).
 *
 * @example
 * ```ts
 * import { ECTError, type ECTErrorContext } from 'wimse-ect';
 *
 * const context: ECTErrorContext = { member: 'exp', level: 2 };
 * const error = new ECTError('ECT_EXPIRED', 'the token expired', context);
 * console.log(error.member, error.level); // exp 2
 * ```
 */
export interface ECTErrorContext {
  /** The claim or header member at fault, when there is one. */
  readonly member?: string;
  /** The assurance level detected, once parsing got that far. */
  readonly level?: 1 | 2 | 3;
  /** The decoded JOSE header, once parsing got that far (`null` for L1). */
  readonly header?: Readonly<Record<string, unknown>> | null;
  /** The decoded claims, once parsing got that far. Not verified unless the code says otherwise. */
  readonly claims?: Readonly<Record<string, unknown>>;
  /** Whether -00 claim names were migrated (CLM-13). */
  readonly legacy?: boolean;
  /** The underlying error (a store's exception), never shown to remote parties. */
  readonly cause?: unknown;
}

/**
 * A token was rejected. `code` is the contract; `message` is for people.
 *
 * @example
 * ```ts
 * import { createECT, createVerifier, ECTError, generateKeyPair } from 'wimse-ect';
 *
 * const key = generateKeyPair();
 * const verifier = createVerifier({
 *   audience: 'spiffe://example.org/b',
 *   keys: { keys: [key.publicJwk] },
 * });
 * const token = createECT(
 *   { iss: 'spiffe://example.org/a', aud: 'spiffe://example.org/other', exec_act: 'review' },
 *   { key: key.privateJwk },
 * );
 * try {
 *   await verifier.verify(token);
 * } catch (error) {
 *   if (!(error instanceof ECTError)) throw error;
 *   console.log(error.code, error.member); // ECT_AUDIENCE_MISMATCH aud
 * }
 * ```
 */
export class ECTError extends Error {
  override readonly name = 'ECTError';
  readonly code: ECTErrorCode;
  readonly member: string | undefined;
  readonly level: 1 | 2 | 3 | undefined;
  readonly header: Readonly<Record<string, unknown>> | undefined;
  readonly claims: Readonly<Record<string, unknown>> | undefined;
  readonly legacy: boolean;

  constructor(code: ECTErrorCode, message: string, context: ECTErrorContext = {}) {
    super(message, context.cause === undefined ? undefined : { cause: context.cause });
    this.code = code;
    this.member = context.member;
    this.level = context.level;
    this.header = context.header ?? undefined;
    this.claims = context.claims;
    this.legacy = context.legacy ?? false;
  }

  /** A copy carrying what the verifier learned about the token after the error was raised. */
  withContext(context: ECTErrorContext): ECTError {
    const merged: ECTErrorContext = {
      ...(this.member === undefined ? {} : { member: this.member }),
      ...(this.level === undefined ? {} : { level: this.level }),
      ...(this.header === undefined ? {} : { header: this.header }),
      ...(this.claims === undefined ? {} : { claims: this.claims }),
      legacy: this.legacy,
      ...(this.cause === undefined ? {} : { cause: this.cause }),
      ...context,
    };
    const copy = new ECTError(this.code, this.message, merged);
    if (this.stack !== undefined) copy.stack = this.stack;
    return copy;
  }
}

/**
 * The program is set up wrong: a bad option, environment variable, key file or CLI argument.
 * `setting` names what is wrong (`ECT_MIN_LEVEL`, `--ttl`, `options.audience`).
 *
 * @example
 * ```ts
 * import { createVerifier, ECTConfigError } from 'wimse-ect';
 *
 * try {
 *   createVerifier({ audience: 'spiffe://example.org/b', minLevel: 1, clockTolerance: -5 });
 * } catch (error) {
 *   if (error instanceof ECTConfigError) console.log(error.setting); // options.clockTolerance
 * }
 * ```
 */
export class ECTConfigError extends Error {
  override readonly name = 'ECTConfigError';
  readonly code = 'ECT_CONFIG_INVALID' as const;
  readonly setting: string;

  constructor(setting: string, message: string, options?: { cause?: unknown }) {
    super(`${setting}: ${message}`, options);
    this.setting = setting;
  }
}

/**
 * True for an error of this library about a token (also across package copies).
 *
 * @example
 * ```ts
 * import { isECTError, verifyECT } from 'wimse-ect';
 *
 * try {
 *   const options = { audience: 'spiffe://example.org/b', minLevel: 1, replay: false } as const;
 *   await verifyECT('not a token', options);
 * } catch (error) {
 *   // Also true for an ECTError of another copy of the package.
 *   if (isECTError(error)) console.log(error.code); // ECT_MALFORMED
 * }
 * ```
 */
export function isECTError(error: unknown): error is ECTError {
  return (
    error instanceof ECTError ||
    (error instanceof Error && isECTErrorCode((error as { code?: unknown }).code))
  );
}
