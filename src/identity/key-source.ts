/**
 * How a verifier finds the key for a token (profile section 7, step VER-5) and which issuer that key
 * may speak for (VER-8). Every identity profile (JWK set, X.509, WIMSE) is a `KeySource`.
 * @module
 */
import type { KeyObject } from 'node:crypto';
import type { KeyInput } from '../crypto/keys.js';
import type { ClaimExpectations } from '../format/claims.js';

/** Which `iss` values a key may sign for (VER-8): an exact identity or an identity prefix. */
export type IssuerBinding = { readonly exact: string } | { readonly prefix: string };

/** A key found for a token, and the issuers it is bound to (none = not bound, VER-8 skipped). */
export interface ResolvedKey {
  readonly key: KeyObject;
  readonly issuers?: readonly IssuerBinding[];
}

/** Per-request material that travels beside the token (the HTTP layer fills it). */
export interface VerifyContext {
  /** IDB-3: the `Workload-Identity-Token` sent with the ECT (WIMSE profile). */
  readonly workloadIdentityToken?: string;
  /**
   * Claim values this verification requires, checked after VER-10 and before anything is recorded
   * (`ECT_CLAIM_MISSING`, `ECT_CLAIM_INVALID`). HTTP-4: `{ out_hash: hashBytes(body) }`.
   */
  readonly expect?: ClaimExpectations;
}

/** What a key source sees: the verified-to-be-allowed header, and the not-yet-verified claims. */
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
 */
export interface KeySource {
  resolve(request: KeyRequest): ResolvedKey | Promise<ResolvedKey>;
}

/** A custom resolver function: returns a key (JWK, PEM, KeyObject) or a `ResolvedKey`. */
export type KeyResolver = (header: Readonly<Record<string, unknown>>, claims: Readonly<Record<string, unknown>>) =>
  | KeyInput
  | ResolvedKey
  | Promise<KeyInput | ResolvedKey>;

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

/** True when `iss` is allowed by one of `issuers` (VER-8). */
export function issuerMatches(iss: string, issuers: readonly IssuerBinding[]): boolean {
  return issuerRank(iss, issuers) >= 0;
}
