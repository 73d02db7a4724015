/**
 * A JWK Set as the trust configuration holds it (IDB-1): local (inline or a file) or remote (an
 * HTTPS URL, see remote-jwks.ts). The issuer mapping (trust.ts) and the WIT check (wit.ts) both
 * select keys through this interface, so both get the same `kid`/`alg` rules (HDR-2, HDR-3).
 * @module
 */
import type { KeyObject } from 'node:crypto';
import { indexJWKSet, type JWKSet } from './jwks.js';

/**
 * One JWK Set, local or remote.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { remoteKeySet, staticKeySet, type KeySet } from 'wimse-ect/identity';
 *
 * const partner: KeySet = remoteKeySet({
 *   url: 'https://keys.partner.example/.well-known/jwks.json',
 * });
 * const ours: KeySet = staticKeySet(JSON.parse(readFileSync('agents.jwks.json', 'utf8')));
 * const key = await ours.select('agent-a-1', 'ES256'); // ECT_KEY_UNRESOLVED when absent
 * ```
 */
export interface KeySet {
  /** For messages: `inline JWK set`, `jwks_file keys.json`, `jwks_uri https://…`. */
  readonly description: string;
  /** True when the set holds `kid` now, without fetching anything. */
  holds(kid: string): boolean;
  /**
   * The key `kid` for `alg` (RFC 7517 §4 `alg`/`kty`/`crv`/`use` must agree). A remote set may
   * fetch. Throws `ECTError('ECT_KEY_UNRESOLVED')` when there is no such key or it is unfit.
   */
  select(kid: string, alg: string): KeyObject | Promise<KeyObject>;
}

/**
 * Options of `staticKeySet`.
 *
 * @example
 * ```ts
 * import { generateKeyPair } from 'wimse-ect';
 * import { staticKeySet, type StaticKeySetOptions } from 'wimse-ect/identity';
 *
 * const options: StaticKeySetOptions = { description: 'agents.jwks.json' };
 * const keys = staticKeySet({ keys: [generateKeyPair().publicJwk] }, options);
 * ```
 */
export interface StaticKeySetOptions {
  /** For messages and configuration errors. */
  readonly description?: string;
}

/**
 * A JWK Set held in memory (inline in the configuration, or read from a file once).
 *
 * @example
 * ```ts
 * import { createVerifier, generateKeyPair } from 'wimse-ect';
 * import { issuerKeySets, staticKeySet } from 'wimse-ect/identity';
 *
 * const agents = generateKeyPair({ kid: 'agents-2025' });
 * const keys = staticKeySet({ keys: [agents.publicJwk] }, { description: 'agents.jwks.json' });
 * const verifier = createVerifier({
 *   audience: 'spiffe://example.org/b',
 *   keys: issuerKeySets([{ issuers: [{ prefix: 'spiffe://example.org/agents/' }], keys }]),
 * });
 * ```
 */
export function staticKeySet(jwks: JWKSet, options: StaticKeySetOptions = {}): KeySet {
  const description = options.description ?? 'JWK set';
  const index = indexJWKSet(jwks, { setting: description });
  return {
    description,
    holds: (kid: string): boolean => index.has(kid),
    select: (kid: string, alg: string): KeyObject => index.select(kid, alg),
  };
}
