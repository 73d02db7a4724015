/**
 * How a verifier finds the key for a token (profile section 7, step VER-5) and which issuer that key
 * may speak for (VER-8). Every identity profile (JWK set, X.509, WIMSE) is a `KeySource`.
 * @module
 */
import type { KeyObject } from 'node:crypto';
import type { KeyInput } from '../crypto/keys.js';

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

/** True when `iss` is allowed by one of `issuers`. */
export function issuerMatches(iss: string, issuers: readonly IssuerBinding[]): boolean {
  for (const binding of issuers) {
    if ('exact' in binding ? iss === binding.exact : iss.startsWith(binding.prefix)) return true;
  }
  return false;
}
