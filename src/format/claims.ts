/**
 * The claims validation of the library (profile section 4): presence and syntax (VER-7, which
 * creation runs too, so a token this library signs never fails it at a verifier), the issuer
 * binding (VER-8), the audience (VER-9), the time window (VER-10, shared with the WITs of IDB-3)
 * and the claim values a caller expects (HTTP-4 body binding: `out_hash`), in that order.
 * @module
 */
import { ECTConfigError, ECTError, type ECTErrorCode } from '../errors.js';
import { isCanonicalBase64url } from './base64url.js';
import { isJSONObject } from './json.js';
import { hasSpiffeScheme, spiffeIdProblem } from './spiffe-id.js';
import { canonicalId } from './task-key.js';
import type { ECTClaims } from './types.js';

/**
 * The [P] numbers and switches of section 4; see `DEFAULT_CLAIM_RULES`.
 *
 * @example
 * ```ts
 * import { DEFAULT_CLAIM_RULES, validateClaims, type ClaimRules } from 'wimse-ect';
 *
 * const relaxed: ClaimRules = { ...DEFAULT_CLAIM_RULES, requireUuid: false };
 * const payload = { iss: 'spiffe://example.org/a', aud: 'b', iat: 1, exp: 2, jti: 'task-1' };
 * const claims = { ...payload, exec_act: 'x', pred: [] };
 * console.log(validateClaims(claims, relaxed).claims.jti); // task-1
 * ```
 */
export interface ClaimRules {
  /** CLM-5, CLM-7, CLM-8: `jti`, `pred` entries and `wid` must be UUIDs. */
  readonly requireUuid: boolean;
  /** CLM-7: most `pred` entries; 0 = unlimited. */
  readonly maxPred: number;
  /** CLM-6: longest `exec_act`, in UTF-16 code units. */
  readonly maxExecActLength: number;
  /** CLM-13: read -00 claim names. */
  readonly acceptLegacy: boolean;
}

/**
 * The profile's defaults of the claim rules: UUIDs required, at most 100 `pred` entries,
 * `exec_act` of at most 256 characters, no -00 claim names.
 *
 * @example
 * ```ts
 * import { DEFAULT_CLAIM_RULES } from 'wimse-ect';
 *
 * console.log(DEFAULT_CLAIM_RULES.maxPred, DEFAULT_CLAIM_RULES.requireUuid); // 100 true
 * ```
 */
export const DEFAULT_CLAIM_RULES: ClaimRules = Object.freeze({
  requireUuid: true,
  maxPred: 100,
  maxExecActLength: 256,
  acceptLegacy: false,
});

/**
 * CLM-10: `ect_ext` serialized size limit, bytes (draft: MUST NOT exceed 4096).
 *
 * @example
 * ```ts
 * import { createECT, EXT_MAX_BYTES } from 'wimse-ect';
 *
 * // An ect_ext larger than EXT_MAX_BYTES serialized is refused (ECT_EXT_LIMIT).
 * const ect_ext = { note: 'x'.repeat(EXT_MAX_BYTES) };
 * try {
 *   createECT({ iss: 'spiffe://example.org/a', aud: 'b', exec_act: 'x', ect_ext }, { level: 1 });
 * } catch (error) {
 *   console.log((error as { code?: string }).code); // ECT_EXT_LIMIT
 * }
 * ```
 */
export const EXT_MAX_BYTES = 4096;
/**
 * CLM-10: `ect_ext` nesting depth limit; the object itself is depth 1.
 *
 * @example
 * ```ts
 * import { EXT_MAX_DEPTH } from 'wimse-ect';
 *
 * // { a: { b: { c: { d: {} } } } } is five levels deep: the most an ect_ext may be.
 * console.log(EXT_MAX_DEPTH); // 5
 * ```
 */
export const EXT_MAX_DEPTH = 5;
/** CLM-9: a SHA-256 digest in unpadded base64url is 43 characters. */
const HASH_LENGTH = 43;

/** RFC 9562 §4: 8-4-4-4-12 hexadecimal digits (either case on input). */
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/**
 * True for the RFC 9562 textual form of a UUID.
 *
 * @example
 * ```ts
 * import { isUuid } from 'wimse-ect';
 *
 * console.log(isUuid('0b6f2a8e-5c3d-4f1a-9e7b-2d4c6a8e0f13'), isUuid('task-1')); // true false
 * ```
 */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

const REQUIRED = ['iss', 'aud', 'iat', 'exp', 'jti', 'exec_act', 'pred'] as const;

function fail(code: ECTErrorCode, member: string, message: string): never {
  throw new ECTError(code, message, { member });
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

/** CLM-4 [P]: the latest NumericDate, 9999-12-31T23:59:59Z (Unix seconds). */
export const MAX_NUMERIC_DATE = 253_402_300_799;

/**
 * CLM-4: a NumericDate (RFC 7519 §2) is a finite number from 0 to the end of year 9999. Without
 * the upper bound, `exp` of 1e23 (or anything past 2^53) passes here and then breaks a store
 * that must represent the expiry (a Redis PXAT is a 64-bit integer of milliseconds).
 */
export function isNumericDate(value: unknown): value is number {
  return typeof value === 'number' && value >= 0 && value <= MAX_NUMERIC_DATE;
}

function checkNumericDate(value: unknown, member: string): number {
  // NaN and ±Infinity (1e309 parses to Infinity) fail the range comparisons too.
  if (!isNumericDate(value)) {
    const range = `a number of seconds from 0 to ${MAX_NUMERIC_DATE}`;
    fail('ECT_CLAIM_INVALID', member, `${member} must be a NumericDate (${range})`);
  }
  return value;
}

/**
 * CLM-1: other URIs are allowed, but an `iss` in the `spiffe` scheme is a valid SPIFFE ID. A
 * look-alike (`spiffe://example.org/a/../b`, an upper-case trust domain) would otherwise pass as
 * an identity that no trust domain issues, or slip past a prefix binding (VER-8).
 */
function checkSpiffeIssuer(iss: string): void {
  if (!hasSpiffeScheme(iss)) return;
  const problem = spiffeIdProblem(iss);
  if (problem !== undefined) {
    fail('ECT_CLAIM_INVALID', 'iss', `iss is not a valid SPIFFE ID: ${problem}`);
  }
}

function checkId(value: unknown, member: string, rules: ClaimRules): string {
  if (!isNonEmptyString(value))
    fail('ECT_CLAIM_INVALID', member, `${member} must be a non-empty string`);
  if (rules.requireUuid && !UUID.test(value))
    fail('ECT_CLAIM_INVALID', member, `${member} must be a UUID (RFC 9562, 8-4-4-4-12 hex)`);
  return value;
}

/**
 * CLM-9: base64url (no padding) of a 32-byte SHA-256 digest, no algorithm prefix.
 *
 * @example
 * ```ts
 * import { hashBytes, isDigest } from 'wimse-ect';
 *
 * console.log(isDigest(hashBytes('report v1')), isDigest('sha-256:abc')); // true false
 * ```
 */
export function isDigest(value: unknown): value is string {
  return typeof value === 'string' && value.length === HASH_LENGTH && isCanonicalBase64url(value);
}

/** Depth of a JSON value (an object or array is one level more than its deepest member). */
function depthExceeds(value: unknown, limit: number, depth: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (depth > limit) return true;
  const members = Array.isArray(value) ? value : Object.values(value);
  for (const member of members) if (depthExceeds(member, limit, depth + 1)) return true;
  return false;
}

/** CLM-10 checks on an `ect_ext` value: a JSON object, at most 4096 bytes, at most 5 levels. */
export function checkExtension(value: unknown): Record<string, unknown> {
  if (!isJSONObject(value)) fail('ECT_CLAIM_INVALID', 'ect_ext', 'ect_ext must be a JSON object');
  // Depth first: its walk stops at the limit, while JSON.stringify of a value nested thousands of
  // levels deep throws a RangeError (the call stack) instead of giving a size.
  if (depthExceeds(value, EXT_MAX_DEPTH, 1))
    fail('ECT_EXT_LIMIT', 'ect_ext', `ect_ext is nested deeper than ${EXT_MAX_DEPTH} levels`);
  const size = Buffer.byteLength(JSON.stringify(value), 'utf8');
  if (size > EXT_MAX_BYTES)
    fail(
      'ECT_EXT_LIMIT',
      'ect_ext',
      `ect_ext is ${size} bytes serialized; the limit is ${EXT_MAX_BYTES}`,
    );
  return value;
}

/**
 * CLM-13: -00 names to -01 names (`par` -> `pred`, `ext` -> `ect_ext`, top-level `pol` and
 * `pol_decision` into `ect_ext`). Returns a new object, or the input when nothing was legacy.
 */
function migrateLegacy(payload: Record<string, unknown>): {
  claims: Record<string, unknown>;
  legacy: boolean;
} {
  const has = (name: string): boolean => Object.prototype.hasOwnProperty.call(payload, name);
  if (!has('par') && !has('ext') && !has('pol') && !has('pol_decision'))
    return { claims: payload, legacy: false };
  const claims: Record<string, unknown> = { ...payload };
  if (has('par')) {
    if (has('pred'))
      fail('ECT_CLAIM_INVALID', 'par', 'the token carries both par (-00) and pred (-01)');
    claims['pred'] = payload['par'];
    delete claims['par'];
  }
  if (has('ext')) {
    if (has('ect_ext'))
      fail('ECT_CLAIM_INVALID', 'ext', 'the token carries both ext (-00) and ect_ext (-01)');
    claims['ect_ext'] = payload['ext'];
    delete claims['ext'];
  }
  for (const name of ['pol', 'pol_decision']) {
    if (!has(name)) continue;
    const ext = claims['ect_ext'] === undefined ? {} : claims['ect_ext'];
    if (!isJSONObject(ext)) fail('ECT_CLAIM_INVALID', 'ect_ext', 'ect_ext must be a JSON object');
    if (Object.prototype.hasOwnProperty.call(ext, name))
      fail(
        'ECT_CLAIM_INVALID',
        name,
        `the token carries ${name} both at the top level (-00) and in ect_ext (-01)`,
      );
    claims['ect_ext'] = { ...ext, [name]: payload[name] };
    delete claims[name];
  }
  return { claims, legacy: true };
}

/**
 * The validated claims and whether -00 names were read.
 *
 * @example
 * ```ts
 * import { DEFAULT_CLAIM_RULES, validateClaims, type ValidatedClaims } from 'wimse-ect';
 *
 * // A -00 token: `par` instead of `pred`.
 * const jti = '0b6f2a8e-5c3d-4f1a-9e7b-2d4c6a8e0f13';
 * const payload = { iss: 'spiffe://example.org/a', aud: 'b', iat: 1, exp: 2, jti, exec_act: 'x' };
 * const legacy = { ...payload, par: [] };
 * const rules = { ...DEFAULT_CLAIM_RULES, acceptLegacy: true };
 * const result: ValidatedClaims = validateClaims(legacy, rules);
 * console.log(result.legacy, result.claims.pred); // true []
 * ```
 */
export interface ValidatedClaims {
  readonly claims: ECTClaims;
  readonly legacy: boolean;
}

/**
 * VER-7: presence (`ECT_CLAIM_MISSING`), then syntax (`ECT_CLAIM_INVALID`, `ECT_EXT_LIMIT`), of
 * every claim of section 4. Time windows are checked later (VER-10); this only checks types and
 * that `exp` is after `iat` (CLM-4).
 *
 * @example
 * ```ts
 * import { DEFAULT_CLAIM_RULES, ECTError, validateClaims } from 'wimse-ect';
 *
 * try {
 *   const payload = { iss: 'spiffe://example.org/a', aud: 'b', iat: 1, exp: 2 };
 *   validateClaims(payload, DEFAULT_CLAIM_RULES);
 * } catch (error) {
 *   if (error instanceof ECTError) console.log(error.code, error.member); // ECT_CLAIM_MISSING jti
 * }
 * ```
 */
export function validateClaims(
  payload: Record<string, unknown>,
  rules: ClaimRules,
): ValidatedClaims {
  const { claims, legacy } = rules.acceptLegacy
    ? migrateLegacy(payload)
    : { claims: payload, legacy: false };

  for (const name of REQUIRED) {
    if (claims[name] === undefined || !Object.prototype.hasOwnProperty.call(claims, name)) {
      fail('ECT_CLAIM_MISSING', name, `required claim ${name} is missing`);
    }
  }

  // CLM-1
  const iss = claims['iss'];
  if (!isNonEmptyString(iss)) fail('ECT_CLAIM_INVALID', 'iss', 'iss must be a non-empty string');
  checkSpiffeIssuer(iss);
  // CLM-2
  const aud = claims['aud'];
  if (Array.isArray(aud)) {
    if (aud.length === 0 || !aud.every(isNonEmptyString))
      fail(
        'ECT_CLAIM_INVALID',
        'aud',
        'aud must be a non-empty string or a non-empty array of non-empty strings',
      );
  } else if (!isNonEmptyString(aud)) {
    fail(
      'ECT_CLAIM_INVALID',
      'aud',
      'aud must be a non-empty string or a non-empty array of non-empty strings',
    );
  }
  // CLM-3, CLM-4 (and the NumericDate range of CLM-4, before any store sees `exp`)
  const iat = checkNumericDate(claims['iat'], 'iat');
  const exp = checkNumericDate(claims['exp'], 'exp');
  if (!(exp > iat)) fail('ECT_CLAIM_INVALID', 'exp', 'exp must be after iat');
  // CLM-5
  const jti = checkId(claims['jti'], 'jti', rules);
  // CLM-6
  const act = claims['exec_act'];
  if (!isNonEmptyString(act))
    fail('ECT_CLAIM_INVALID', 'exec_act', 'exec_act must be a non-empty string');
  if (act.length > rules.maxExecActLength)
    fail(
      'ECT_CLAIM_INVALID',
      'exec_act',
      `exec_act is longer than ${rules.maxExecActLength} characters`,
    );
  // CLM-7
  const pred = claims['pred'];
  if (!Array.isArray(pred))
    fail('ECT_CLAIM_INVALID', 'pred', 'pred must be an array of task ids ([] for a root task)');
  if (rules.maxPred > 0 && pred.length > rules.maxPred)
    fail(
      'ECT_CLAIM_INVALID',
      'pred',
      `pred has ${pred.length} entries; the limit is ${rules.maxPred}`,
    );
  // CLM-5: UUIDs compare case-insensitively, so `ABC…` repeats `abc…` and may name the task itself.
  const self = pred.length === 0 ? jti : canonicalId(jti);
  const seen = new Set<string>();
  for (const entry of pred) {
    const id = canonicalId(checkId(entry, 'pred', rules));
    if (id === self) fail('ECT_CLAIM_INVALID', 'pred', 'pred references the task itself');
    if (seen.has(id)) fail('ECT_CLAIM_INVALID', 'pred', `pred lists ${String(entry)} twice`);
    seen.add(id);
  }
  // CLM-8
  if (claims['wid'] !== undefined) checkId(claims['wid'], 'wid', rules);
  // CLM-9
  for (const name of ['inp_hash', 'out_hash']) {
    const value = claims[name];
    if (value !== undefined && !isDigest(value))
      fail(
        'ECT_CLAIM_INVALID',
        name,
        `${name} must be the unpadded base64url SHA-256 digest (43 characters, no algorithm prefix)`,
      );
  }
  // CLM-10
  if (claims['ect_ext'] !== undefined) checkExtension(claims['ect_ext']);

  return { claims: claims as ECTClaims, legacy };
}

/** The clock of VER-10 (CLM-3, CLM-4). */
export interface TimeRules {
  /** Verification time, Unix seconds. */
  readonly now: number;
  /** Clock skew allowed both ways, seconds. */
  readonly clockTolerance: number;
  /** CLM-3: most seconds since `iat`; 0 = no limit. */
  readonly maxIatAge: number;
}

/**
 * VER-10 (CLM-3, CLM-4) on NumericDates already checked: `ECT_EXPIRED` when `now > exp +
 * tolerance`, `ECT_IAT_FUTURE` for an `iat` beyond `now + tolerance`, `ECT_IAT_TOO_OLD` for one
 * older than the maximum age. `iat` is optional for tokens that may omit it (a WIT).
 */
export function checkTimes(
  times: { readonly iat?: number | undefined; readonly exp: number },
  rules: TimeRules,
): void {
  const { now, clockTolerance: tolerance } = rules;
  const { iat, exp } = times;
  if (now > exp + tolerance) fail('ECT_EXPIRED', 'exp', `the token expired at ${exp}`);
  if (iat === undefined) return;
  if (iat > now + tolerance)
    fail('ECT_IAT_FUTURE', 'iat', `the token is issued in the future (iat ${iat})`);
  if (rules.maxIatAge > 0 && now - iat > rules.maxIatAge + tolerance) {
    fail('ECT_IAT_TOO_OLD', 'iat', `the token was issued more than ${rules.maxIatAge} s ago`);
  }
}

/**
 * Claim values a verification requires, besides the rules (HTTP-4: the body's `out_hash`).
 *
 * @example
 * ```ts
 * import { createVerifier, hashBytes, type ClaimExpectations } from 'wimse-ect';
 *
 * const verifier = createVerifier({ audience: 'spiffe://example.org/b', minLevel: 1 });
 * async function verifyWithBody(token: string, body: Uint8Array): Promise<void> {
 *   // HTTP-4: the token's out_hash must be the hash of the body that came with it.
 *   const expect: ClaimExpectations = { out_hash: hashBytes(body) };
 *   await verifier.verify(token, { expect });
 * }
 * ```
 */
export interface ClaimExpectations {
  /** CLM-9: the SHA-256 (unpadded base64url) the token's `out_hash` must equal. */
  readonly out_hash?: string;
  /** CLM-9: the SHA-256 (unpadded base64url) the token's `inp_hash` must equal. */
  readonly inp_hash?: string;
}

const EXPECTABLE = ['out_hash', 'inp_hash'] as const satisfies readonly (keyof ClaimExpectations)[];

/**
 * Checks an expectation object before it is used: only digest claims, each a CLM-9 digest. A
 * misspelt name (`outHash`) would otherwise switch the binding off without a word.
 */
export function checkExpectations(expect: unknown, setting: string): ClaimExpectations {
  if (typeof expect !== 'object' || expect === null)
    throw new ECTConfigError(setting, 'must be an object such as { out_hash }');
  for (const [name, value] of Object.entries(expect)) {
    if (!(EXPECTABLE as readonly string[]).includes(name)) {
      throw new ECTConfigError(
        `${setting}.${name}`,
        `cannot be expected; expect one of ${EXPECTABLE.join(', ')}`,
      );
    }
    if (value !== undefined && !isDigest(value)) {
      throw new ECTConfigError(
        `${setting}.${name}`,
        'must be an unpadded base64url SHA-256 digest (CLM-9), such as hashBytes(body)',
      );
    }
  }
  return expect;
}

/** `ECT_CLAIM_MISSING` or `ECT_CLAIM_INVALID` for a claim that is not the expected value. */
function checkExpected(claims: ECTClaims, expect: ClaimExpectations): void {
  for (const name of EXPECTABLE) {
    const expected = expect[name];
    if (expected === undefined) continue;
    const actual = claims[name];
    // HTTP-4 is the use: say so, the message is what an operator reads in the log.
    const what = name === 'out_hash' ? ' (HTTP-4 binds out_hash to the body)' : '';
    if (actual === undefined) {
      fail('ECT_CLAIM_MISSING', name, `this verification expects ${name}${what}`);
    }
    if (actual !== expected) {
      fail('ECT_CLAIM_INVALID', name, `${name} is not the expected digest${what}`);
    }
  }
}

/** What VER-7 to VER-10 check the claims of an ECT against. */
export interface ClaimChecks {
  readonly rules: ClaimRules;
  /**
   * VER-8: whether the key that verified the signature is bound to the claimed `iss` (the caller
   * knows the key's bindings); `false` fails after VER-7. Absent when the key is bound to no
   * issuer (a resolver's key) or nothing was signed (L1).
   */
  readonly issuerBound?: boolean | undefined;
  /** CLM-2: the verifier's identities; one must be in `aud`. */
  readonly audience: ReadonlySet<string>;
  readonly time: TimeRules;
  /** Checked last, after the time window (checked with `checkExpectations` beforehand). */
  readonly expect?: ClaimExpectations | undefined;
}

/**
 * VER-7 to VER-10 and the expectations, in that order; throws the first failure as an `ECTError`.
 * Errors after VER-7 carry the validated claims and the legacy flag.
 */
export function checkClaims(
  payload: Record<string, unknown>,
  checks: ClaimChecks,
): ValidatedClaims {
  const validated = validateClaims(payload, checks.rules);
  const { claims } = validated;
  try {
    // VER-8: the key speaks only for the issuers it is bound to.
    if (checks.issuerBound === false) {
      fail('ECT_ISSUER_MISMATCH', 'iss', `the key is not bound to issuer ${claims.iss}`);
    }
    // VER-9 (CLM-2)
    const aud = claims.aud;
    const audience = checks.audience;
    if (typeof aud === 'string' ? !audience.has(aud) : !aud.some((a) => audience.has(a))) {
      const self = [...audience].join(', ');
      fail(
        'ECT_AUDIENCE_MISMATCH',
        'aud',
        `this verifier (${self}) is not in the token's audience`,
      );
    }
    // VER-10 (CLM-3, CLM-4)
    checkTimes(claims, checks.time);
    if (checks.expect !== undefined) checkExpected(claims, checks.expect);
  } catch (error) {
    throw error instanceof ECTError
      ? error.withContext({ claims, legacy: validated.legacy })
      : error;
  }
  return validated;
}
