/**
 * A local JWK Set as a key source (IDB-1, without fetching: remote sets live in remote-jwks.ts and
 * reuse the index built here). Keys are chosen by `kid` (HDR-3) and imported once.
 * @module
 */
import type { KeyObject } from 'node:crypto';
import type { JWK } from '../crypto/jwk.js';
import { algorithmSpec } from '../crypto/algorithms.js';
import { importPublicKey, keyFitsAlgorithm } from '../crypto/keys.js';
import { ECTConfigError, ECTError } from '../errors.js';
import { isJSONObject } from '../format/json.js';
import type { IssuerBinding, KeyRequest, KeySource, ResolvedKey } from './key-source.js';

/**
 * A JWK Set (RFC 7517 §5).
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { createVerifier, type JWKSet } from 'wimse-ect';
 *
 * // Written by: ect keygen --out agent.key.json --jwks-out agents.jwks.json
 * const jwks: JWKSet = JSON.parse(readFileSync('agents.jwks.json', 'utf8'));
 * const verifier = createVerifier({ audience: 'spiffe://example.org/b', keys: jwks });
 * ```
 */
export interface JWKSet {
  readonly keys: readonly JWK[];
}

/**
 * Options of `localJWKSet`.
 *
 * @example
 * ```ts
 * import { generateKeyPair, localJWKSet, type LocalJWKSetOptions } from 'wimse-ect';
 *
 * const options: LocalJWKSetOptions = {
 *   issuers: [{ prefix: 'spiffe://partner.example/' }],
 *   setting: 'partner.jwks.json',
 * };
 * const partner = localJWKSet({ keys: [generateKeyPair().publicJwk] }, options);
 * ```
 */
export interface LocalJWKSetOptions {
  /** Issuers the set's keys may sign for (VER-8). Without it the keys are not bound to an issuer. */
  readonly issuers?: readonly IssuerBinding[];
  /** Where the set came from, for error messages (`jwks.json`, `ECT_JWKS_FILE`). */
  readonly setting?: string;
}

/**
 * Options of `indexJWKSet`.
 *
 * @example
 * ```ts
 * import { indexJWKSet, type IndexJWKSetOptions } from 'wimse-ect/identity';
 *
 * // A fetched set may also publish encryption keys: skip what cannot verify signatures.
 * const options: IndexJWKSetOptions = {
 *   setting: 'https://keys.example.org/jwks.json',
 *   invalidKeys: 'skip',
 * };
 * const index = indexJWKSet({ keys: [{ kty: 'RSA', use: 'enc', n: 'x', e: 'AQAB' }] }, options);
 * console.log(index.size); // 0
 * ```
 */
export interface IndexJWKSetOptions {
  /** Where the set came from, for error messages. */
  readonly setting?: string;
  /**
   * What to do with a member that cannot serve as a verification key (no `kid`, private, unknown
   * key type): `throw` (a configuration error; the default for sets the operator wrote) or `skip`
   * (for sets fetched from a URL, which may also publish encryption keys, RFC 7517 §5).
   */
  readonly invalidKeys?: 'throw' | 'skip';
}

/**
 * The keys of one JWK Set by `kid`, imported once.
 *
 * @example
 * ```ts
 * import { generateKeyPair } from 'wimse-ect';
 * import { indexJWKSet, type JWKSetIndex } from 'wimse-ect/identity';
 *
 * const index: JWKSetIndex = indexJWKSet({ keys: [generateKeyPair({ kid: 'k1' }).publicJwk] });
 * console.log(index.has('k1'), index.select('k1', 'ES256').asymmetricKeyType); // true ec
 * ```
 */
export interface JWKSetIndex {
  /** True when the set has a key with this `kid`. */
  has(kid: string): boolean;
  /** The key `kid` for `alg`; throws `ECTError('ECT_KEY_UNRESOLVED')` when absent or unfit. */
  select(kid: string, alg: string): KeyObject;
  /** Number of usable keys. */
  readonly size: number;
}

interface Entry {
  readonly jwk: JWK & { alg?: string; use?: string; key_ops?: string[] };
  readonly key: KeyObject;
}

function unresolved(message: string, member = 'kid'): ECTError {
  return new ECTError('ECT_KEY_UNRESOLVED', message, { member });
}

/**
 * RFC 7517 §4: a key's own `kty`/`crv` (checked through the imported key), `alg`, `use` and
 * `key_ops` must all allow the header's algorithm for signature verification.
 */
function entryAllows(entry: Entry, alg: string): string | undefined {
  const spec = algorithmSpec(alg);
  if (!spec) return `algorithm ${alg} is not supported`;
  if (entry.jwk.alg !== undefined && entry.jwk.alg !== alg)
    return `the key is for ${entry.jwk.alg}, the token uses ${alg}`;
  if (entry.jwk.use !== undefined && entry.jwk.use !== 'sig')
    return `the key's use is ${entry.jwk.use}, not sig`;
  if (entry.jwk.key_ops !== undefined && !entry.jwk.key_ops.includes('verify'))
    return 'the key_ops of the key do not include verify';
  if (!keyFitsAlgorithm(entry.key, spec.alg))
    return `the key (${entry.jwk.kty}${entry.jwk.crv ? ` ${entry.jwk.crv}` : ''}) does not fit ${alg}`;
  return undefined;
}

/** Checks and imports one member; throws `ECTConfigError` naming it. */
function importEntry(jwk: unknown, where: string): Entry & { kid: string } {
  if (!isJSONObject(jwk)) throw new ECTConfigError(where, 'not a JSON object');
  const kid = (jwk as { kid?: unknown }).kid;
  if (typeof kid !== 'string' || kid.length === 0)
    throw new ECTConfigError(where, 'every key needs a kid (HDR-3)');
  if ('d' in jwk || ('k' in jwk && (jwk as { kty?: unknown }).kty === 'oct')) {
    throw new ECTConfigError(
      where,
      `key ${kid} is private or symmetric; a verifier's set holds public keys only`,
    );
  }
  const key = importPublicKey(jwk, `${where} (kid ${kid})`);
  return { jwk, key, kid };
}

/**
 * Indexes a JWK Set by `kid`. Invalid members throw `ECTConfigError` (or are skipped, see options).
 *
 * @example
 * ```ts
 * import { generateKeyPair } from 'wimse-ect';
 * import { indexJWKSet } from 'wimse-ect/identity';
 *
 * // Every key imported once, by kid; an unusable member is a configuration error at once.
 * const index = indexJWKSet(
 *   { keys: [generateKeyPair({ kid: 'k1' }).publicJwk] },
 *   { setting: 'agents.jwks.json' },
 * );
 * console.log(index.size); // 1
 * ```
 */
export function indexJWKSet(jwks: JWKSet, options: IndexJWKSetOptions = {}): JWKSetIndex {
  const setting = options.setting ?? 'jwks';
  if (!isJSONObject(jwks) || !Array.isArray(jwks.keys))
    throw new ECTConfigError(setting, 'a JWK Set is an object with a "keys" array (RFC 7517 §5)');
  const byKid = new Map<string, Entry[]>();
  let size = 0;
  jwks.keys.forEach((jwk, index) => {
    let entry: Entry & { kid: string };
    try {
      entry = importEntry(jwk, `${setting} keys[${index}]`);
    } catch (error) {
      if (options.invalidKeys === 'skip' && error instanceof ECTConfigError) return;
      throw error;
    }
    const list = byKid.get(entry.kid) ?? [];
    list.push({ jwk: entry.jwk, key: entry.key });
    byKid.set(entry.kid, list);
    size++;
  });
  return {
    size,
    has: (kid: string): boolean => byKid.has(kid),
    select(kid: string, alg: string): KeyObject {
      const entries = byKid.get(kid);
      if (!entries) throw unresolved(`no key with kid ${JSON.stringify(kid)} is trusted`);
      let reason = '';
      for (const entry of entries) {
        const refusal = entryAllows(entry, alg);
        if (refusal === undefined) return entry.key;
        reason = refusal;
      }
      throw unresolved(`key ${kid} cannot verify this token: ${reason}`, 'alg');
    },
  };
}

/** HDR-3: the `kid` of a header, or `ECT_KEY_UNRESOLVED` when there is none. */
export function requireKid(header: Readonly<Record<string, unknown>>, profile: string): string {
  const kid = header['kid'];
  if (typeof kid !== 'string' || kid.length === 0)
    throw unresolved(`the token has no kid; the ${profile} profile requires one (HDR-3)`);
  return kid;
}

/**
 * Builds a key source from a JWK Set. Invalid keys are a configuration error, found at once.
 *
 * @example
 * ```ts
 * import { createVerifier, generateKeyPair, localJWKSet } from 'wimse-ect';
 *
 * const agentA = generateKeyPair({ kid: 'agent-a-1' });
 * // Agent A's keys may sign only for agent A (VER-8): another issuer is ECT_ISSUER_MISMATCH.
 * const keys = localJWKSet(
 *   { keys: [agentA.publicJwk] },
 *   { issuers: [{ exact: 'spiffe://example.org/agent-a' }] },
 * );
 * const verifier = createVerifier({ audience: 'spiffe://example.org/b', keys });
 * ```
 */
export function localJWKSet(jwks: JWKSet, options: LocalJWKSetOptions = {}): KeySource {
  const index = indexJWKSet(jwks, { setting: options.setting ?? 'jwks' });
  const issuers = options.issuers;
  return {
    resolve(request: KeyRequest): ResolvedKey {
      const key = index.select(requireKid(request.header, 'JWK set'), request.alg);
      return issuers === undefined ? { key } : { key, issuers };
    },
  };
}
