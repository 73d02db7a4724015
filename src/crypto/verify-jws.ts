/**
 * The one JWS verification of the library (RFC 7515 §5.2), for every signed object it reads:
 * ECTs (VER-4 to VER-6), Workload Identity Tokens (IDB-3) and ledger receipts (LED-5). In this
 * order: the protected header (`typ`, `alg` against an allow-list that never holds `none` or HS*,
 * no `crit`, no `b64: false`; HDR-1, HDR-2, HDR-4), the key (found only after the header passed,
 * and bound to the header's algorithm, HDR-2: a key never chooses the algorithm), the signature.
 * Each caller says how a failure is reported (an `ECTError` code, `ECT_KEY_UNRESOLVED` for a WIT,
 * a `ReceiptError`); the checks themselves are the same for all.
 * @module
 */
import type { KeyObject } from 'node:crypto';
import type { ParsedJWS } from '../format/parse.js';
import type { Algorithm } from './algorithms.js';
import { verifySignature, verifySignatureAsync } from './jws.js';
import { keyFitsAlgorithm } from './keys.js';

/** What one kind of JWS accepts in its protected header. */
export interface JWSHeaderRules {
  /** The `typ` created for this kind, for messages (`exec+jwt`, `wit+jwt`). */
  readonly typName: string;
  /** True for an accepted `typ` value (HDR-1: media type rules of RFC 7515 §4.1.9). */
  readonly typ: (typ: unknown) => boolean;
  /**
   * HDR-2: the allowed algorithms. Only names of `ALGORITHMS` belong here (option parsers refuse
   * the others), so `none` and HS* are never allowed.
   */
  readonly algorithms: ReadonlySet<string>;
}

/** The check that failed, in the order they run. */
export type JWSCheck = 'typ' | 'alg' | 'crit' | 'key' | 'signature';

/** Why a JWS was refused; the caller turns it into its own error. */
export interface JWSFailure {
  readonly check: JWSCheck;
  /** The header member at fault (`typ`, `alg`, `crit`, `b64`); none for the signature. */
  readonly member?: string;
  readonly message: string;
  /** What the key lookup threw (check `key`), for callers that keep its code. */
  readonly cause?: unknown;
}

/** A key found for a JWS, with whatever else the lookup learned (issuer bindings, VER-8). */
export interface JWSKey {
  readonly key: KeyObject;
}

/** What `verifyJWS` returns: the header's (allowed) algorithm and the key that verified. */
export interface VerifiedJWS<K extends JWSKey> {
  readonly alg: Algorithm;
  readonly key: K;
}

/** Options of `verifyJWS`. */
export interface VerifyJWSOptions<K extends JWSKey, C> {
  /** The parsed JWS (`parseToken`); its parsing errors are the caller's. */
  readonly jws: ParsedJWS;
  readonly rules: JWSHeaderRules;
  /**
   * What the caller's `key` and `fail` need (the request, the verifier's settings), handed to
   * them as is: they can then be functions built once rather than closures built per token.
   */
  readonly context: C;
  /**
   * Finds the key once the header passed. May throw or reject: the failure is reported as check
   * `key` with the thrown error as `cause`. A synchronous lookup keeps `verifyJWS` synchronous.
   */
  readonly key: (alg: Algorithm, context: C) => K | Promise<K>;
  /** Builds the error thrown for a failure. */
  readonly fail: (failure: JWSFailure, context: C) => Error;
  /** Check the signature on libuv's thread pool (always asynchronous then). */
  readonly threadPool?: boolean;
}

const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

/**
 * RFC 7515 §4.1.9: `typ` is a media type, compared case-insensitively, with or without the
 * `application/` prefix. Case folding is ASCII only: `toLowerCase` maps some non-ASCII letters
 * (the Kelvin sign) onto ASCII ones, which would let a look-alike pass.
 */
export function isMediaType(typ: unknown, names: readonly string[]): boolean {
  if (typeof typ !== 'string' || !PRINTABLE_ASCII.test(typ)) return false;
  let value = typ.toLowerCase();
  if (value.startsWith('application/')) value = value.slice('application/'.length);
  return names.includes(value);
}

/** HDR-1, HDR-2, HDR-4 in that order; returns the failure, or the allowed algorithm. */
function checkHeader(
  header: Readonly<Record<string, unknown>>,
  rules: JWSHeaderRules,
): JWSFailure | Algorithm {
  const typ = header['typ'];
  if (!rules.typ(typ)) {
    const got = typ === undefined ? 'no typ' : `typ ${JSON.stringify(typ)}`;
    return { check: 'typ', member: 'typ', message: `expected typ ${rules.typName}, got ${got}` };
  }
  const alg = header['alg'];
  if (typeof alg !== 'string' || !rules.algorithms.has(alg)) {
    return {
      check: 'alg',
      member: 'alg',
      message: `algorithm ${JSON.stringify(alg)} is not allowed`,
    };
  }
  // HDR-4: no critical extension is understood (RFC 7515 §4.1.11), and the payload is always
  // base64url-encoded (RFC 7797 b64: false is refused).
  if (header['crit'] !== undefined) {
    const crit = JSON.stringify(header['crit']);
    const message = `critical header parameters are not supported: ${crit}`;
    return { check: 'crit', member: 'crit', message };
  }
  if (header['b64'] !== undefined && header['b64'] !== true) {
    return {
      check: 'crit',
      member: 'b64',
      message: 'unencoded payloads (b64: false) are not supported',
    };
  }
  return alg as Algorithm;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

function keyFailure(cause: unknown): JWSFailure {
  const message = (cause as Error)?.message ?? String(cause);
  return { check: 'key', message, cause };
}

const REFUSED: JWSFailure = Object.freeze({
  check: 'signature',
  message: 'the signature does not verify with the key',
});

/** HDR-2 then the signature, once the key is known. */
function checkKey<K extends JWSKey, C>(
  options: VerifyJWSOptions<K, C>,
  alg: Algorithm,
  found: K,
): VerifiedJWS<K> | Promise<VerifiedJWS<K>> {
  const { jws, fail, context } = options;
  if (!keyFitsAlgorithm(found.key, alg)) {
    throw fail({ check: 'key', member: 'alg', message: `the key does not fit ${alg}` }, context);
  }
  if (options.threadPool === true) {
    return verifySignatureAsync(alg, found.key, jws.signingInput, jws.signature).then((valid) => {
      if (!valid) throw fail(REFUSED, context);
      return { alg, key: found };
    });
  }
  if (!verifySignature(alg, found.key, jws.signingInput, jws.signature))
    throw fail(REFUSED, context);
  return { alg, key: found };
}

/**
 * Verifies a JWS: header rules, then the key (looked up for the allowed algorithm, and bound to
 * it), then the signature. Throws what `fail` builds. Synchronous when the key lookup is and the
 * thread pool is not used; otherwise returns a promise.
 */
export function verifyJWS<K extends JWSKey, C>(
  options: VerifyJWSOptions<K, C> & {
    readonly key: (alg: Algorithm, context: C) => K;
    readonly threadPool?: false;
  },
): VerifiedJWS<K>;
export function verifyJWS<K extends JWSKey, C>(
  options: VerifyJWSOptions<K, C>,
): VerifiedJWS<K> | Promise<VerifiedJWS<K>>;
export function verifyJWS<K extends JWSKey, C>(
  options: VerifyJWSOptions<K, C>,
): VerifiedJWS<K> | Promise<VerifiedJWS<K>> {
  const { fail, context } = options;
  const alg = checkHeader(options.jws.header, options.rules);
  if (typeof alg !== 'string') throw fail(alg, context);
  let found: K | Promise<K>;
  try {
    found = options.key(alg, context);
  } catch (error) {
    throw fail(keyFailure(error), context);
  }
  if (isThenable(found)) {
    return Promise.resolve(found).then(
      (key) => checkKey(options, alg, key),
      (error: unknown) => {
        throw fail(keyFailure(error), context);
      },
    );
  }
  return checkKey(options, alg, found);
}
