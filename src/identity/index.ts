/**
 * `ect/identity`: the identity bindings of profile section 7 as key sources for the verifier —
 * JWK sets by issuer, local or fetched (IDB-1), X.509 chains (IDB-2), WIMSE Workload Identity
 * Tokens (IDB-3) — and the trust configuration file that sets them up. A subpath of its own, so
 * the core never loads jose.
 * @module wimse-ect/identity
 */
export {
  issuerMatches,
  type IssuerBinding,
  type KeyRequest,
  type KeySource,
  type ResolvedKey,
  type VerifyContext,
} from './key-source.js';
export {
  indexJWKSet,
  localJWKSet,
  type IndexJWKSetOptions,
  type JWKSet,
  type JWKSetIndex,
  type LocalJWKSetOptions,
} from './jwks.js';
export { staticKeySet, type KeySet, type StaticKeySetOptions } from './key-set.js';
export {
  checkKeySetUrl,
  DEFAULT_JWKS_COOLDOWN_MS,
  DEFAULT_JWKS_FAILURE_BACKOFF_MS,
  DEFAULT_JWKS_MAX_AGE_MS,
  DEFAULT_JWKS_MAX_BYTES,
  DEFAULT_JWKS_TIMEOUT_MS,
  remoteKeySet,
  type KeySetUrlOptions,
  type RemoteKeySetOptions,
} from './remote-jwks.js';
export {
  issuerKeySets,
  trustDomainPrefix,
  type IssuerKeySetsOptions,
  type IssuerTrust,
} from './trust.js';
export {
  DEFAULT_CHAIN_CACHE_SECONDS,
  DEFAULT_CHAIN_CACHE_SIZE,
  DEFAULT_MAX_CHAIN_LENGTH,
  DEFAULT_REVOCATION_TIMEOUT_MS,
  parsePemBundle,
  x509Trust,
  type RevocationCheck,
  type RevocationInput,
  type RevocationStatus,
  type X509TrustOptions,
} from './x509.js';
export {
  DEFAULT_WIT_CACHE_SECONDS,
  DEFAULT_WIT_MAX_SIZE,
  verifyWIT,
  WIT_HEADER,
  WIT_TYP,
  wimseTrust,
  type TrustDomainTrust,
  type VerifiedWIT,
  type WimseTrustOptions,
} from './wit.js';
export {
  createTrustDomainIssuer,
  DEFAULT_WIT_TTL_SECONDS,
  type IssueWitOptions,
  type TrustDomainIssuer,
  type TrustDomainIssuerOptions,
} from './wit-issuer.js';
export {
  createTrustSource,
  loadTrustConfig,
  parseTrustConfig,
  type LoadTrustOptions,
  type TrustConfigDocument,
  type TrustSourceOptions,
} from './trust-config.js';
