/**
 * How a verifier finds the key for a token (profile section 7, step VER-5) and which issuer that key
 * may speak for (VER-8). Every identity profile (JWK set, X.509, WIMSE) is a `KeySource`.
 * @module
 */
import type { KeyObject } from 'node:crypto';
import type { KeyInput } from '../crypto/keys.js';
import type { ClaimExpectations } from '../format/claims.js';

/**
 * Which `iss` values a key may sign for (VER-8): an exact identity or an identity prefix.
 *
 * @example
 * ```ts
 * import { issuerMatches, type IssuerBinding } from 'wimse-ect';
 *
 * const bindings: IssuerBinding[] = [
 *   { exact: 'https://ci.example.org' },
 *   { prefix: 'spiffe://example.org/' },
 * ];
 * console.log(issuerMatches('spiffe://example.org/agent-a', bindings)); // true
 * console.log(issuerMatches('spiffe://example.org.evil/x', bindings)); // false
 * ```
 */
export type IssuerBinding = { readonly exact: string } | { readonly prefix: string };

/**
 * A key found for a token, and the issuers it is bound to (none = not bound, VER-8 skipped).
 *
 * @example
 * ```ts
 * import { createVerifier, generateKeyPair, importPublicKey, type ResolvedKey } from 'wimse-ect';
 *
 * const agent = generateKeyPair();
 * // A resolver that binds the key to the one issuer it may speak for (VER-8).
 * const resolve = (): ResolvedKey => ({
 *   key: importPublicKey(agent.publicJwk),
 *   issuers: [{ exact: 'spiffe://example.org/agent-a' }],
 * });
 * const verifier = createVerifier({ audience: 'b', keys: resolve });
 * ```
 */
export interface ResolvedKey {
  readonly key: KeyObject;
  readonly issuers?: readonly IssuerBinding[];
}

/**
 * Per-request material that travels beside the token (the HTTP layer fills it).
 *
 * @example
 * ```ts
 * import { createVerifier, hashBytes, type VerifyContext } from 'wimse-ect';
 *
 * async function verifyRequest(
 *   token: string,
 *   body: string,
 *   wit: string | undefined,
 * ): Promise<void> {
 *   const verifier = createVerifier({ audience: 'b', minLevel: 1 });
 *   const context: VerifyContext = {
 *     ...(wit === undefined ? {} : { workloadIdentityToken: wit }), // IDB-3
 *     expect: { out_hash: hashBytes(body) }, // HTTP-4
 *   };
 *   await verifier.verify(token, context);
 * }
 * ```
 */
export interface VerifyContext {
  /** IDB-3: the `Workload-Identity-Token` sent with the ECT (WIMSE profile). */
  readonly workloadIdentityToken?: string;
  /**
   * Claim values this verification requires, checked after VER-10 and before anything is recorded
   * (`ECT_CLAIM_MISSING`, `ECT_CLAIM_INVALID`). HTTP-4: `{ out_hash: hashBytes(body) }`.
   */
  readonly expect?: ClaimExpectations;
}

/**
 * What a key source sees: the verified-to-be-allowed header, and the not-yet-verified claims.
 *
 * @example
 * ```ts
 * import { ECTError, type KeyRequest } from 'wimse-ect';
 *
 * function kidOf(request: KeyRequest): string {
 *   const kid = request.header['kid'];
 *   if (typeof kid !== 'string') throw new ECTError('ECT_KEY_UNRESOLVED', 'the header has no kid');
 *   return kid;
 * }
 * ```
 */
export interface KeyRequest {
  readonly header: Readonly<Record<string, unknown>>;
  readonly claims: Readonly<Record<string, unknown>>;
  readonly alg: string;
  /** Verification time, Unix seconds. */
  readonly now: number;
  /** What came with the token (the WIT for the WIMSE profile). */
  readonly context: VerifyContext;
}

/**
 * Resolves the key of a token. Throw `ECTError('ECT_KEY_UNRESOLVED')` (or `ECT_ISSUER_MISMATCH`
 * where the binding says so) when no key fits; any other exception is reported as
 * `ECT_KEY_UNRESOLVED`.
 *
 * @example
 * ```ts
 * import {
 *   createVerifier,
 *   ECTError,
 *   generateKeyPair,
 *   importPublicKey,
 *   type KeySource,
 * } from 'wimse-ect';
 *
 * // Keys from a directory of your own, by kid, each bound to its issuer.
 * const directory = new Map([
 *   ['agent-a-1', { jwk: generateKeyPair().publicJwk, iss: 'spiffe://example.org/a' }],
 * ]);
 * const source: KeySource = {
 *   resolve({ header }) {
 *     const entry = directory.get(String(header['kid']));
 *     if (entry === undefined) throw new ECTError('ECT_KEY_UNRESOLVED', 'unknown kid');
 *     return { key: importPublicKey(entry.jwk), issuers: [{ exact: entry.iss }] };
 *   },
 * };
 * const verifier = createVerifier({ audience: 'b', keys: source });
 * ```
 */
export interface KeySource {
  /** The key for this token's header and (not yet verified) claims, with its issuer binding. */
  resolve(request: KeyRequest): ResolvedKey | Promise<ResolvedKey>;
}

/**
 * A custom resolver function: returns a key (JWK, PEM, KeyObject) or a `ResolvedKey`.
 *
 * @example
 * ```ts
 * import { createVerifier, generateKeyPair, type KeyResolver } from 'wimse-ect';
 *
 * const keys = new Map([['agent-a-1', generateKeyPair({ kid: 'agent-a-1' }).publicJwk]]);
 * // The simplest key source: a function from the header (and unverified claims) to a key.
 * const resolver: KeyResolver = (header) => keys.get(String(header['kid'])) ?? '';
 * const verifier = createVerifier({ audience: 'b', keys: resolver });
 * ```
 */
export type KeyResolver = (
  header: Readonly<Record<string, unknown>>,
  claims: Readonly<Record<string, unknown>>,
) => KeyInput | ResolvedKey | Promise<KeyInput | ResolvedKey>;

/** `issuerRank` of an exact binding: more specific than any prefix. */
export const EXACT_ISSUER_RANK = Number.MAX_SAFE_INTEGER;

/**
 * The one issuer matching of the library (VER-8, IDB-1, IDB-3): how specifically `issuers` covers
 * `iss`. An exact binding ranks `EXACT_ISSUER_RANK`, a prefix its length (a longer prefix is more
 * specific), no match -1. Choosing a key set by issuer, a trust domain by workload identity and
 * checking the binding of a verified key all ask this.
 */
export function issuerRank(iss: string, issuers: readonly IssuerBinding[]): number {
  let best = -1;
  for (const binding of issuers) {
    if ('exact' in binding) {
      if (iss === binding.exact) return EXACT_ISSUER_RANK;
    } else if (iss.startsWith(binding.prefix) && binding.prefix.length > best) {
      best = binding.prefix.length;
    }
  }
  return best;
}

/**
 * True when `iss` is allowed by one of `issuers` (VER-8).
 *
 * @example
 * ```ts
 * import { issuerMatches } from 'wimse-ect';
 *
 * // A prefix binding covers a trust domain; it must end with / or : so that look-alikes fail.
 * const domain = [{ prefix: 'spiffe://example.org/' }];
 * console.log(
 *   issuerMatches('spiffe://example.org/agent', domain),
 *   issuerMatches('spiffe://example.org.evil/agent', domain),
 * ); // true false
 * ```
 */
export function issuerMatches(iss: string, issuers: readonly IssuerBinding[]): boolean {
  return issuerRank(iss, issuers) >= 0;
}
