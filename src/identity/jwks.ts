/**
 * A local JWK Set as a key source (IDB-1, without fetching: remote sets come with the identity
 * issue). Keys are chosen by `kid` (HDR-3) and imported once.
 * @module
 */
import type { JsonWebKey, KeyObject } from 'node:crypto';
import { algorithmSpec } from '../crypto/algorithms.js';
import { importPublicKey, keyFitsAlgorithm } from '../crypto/keys.js';
import { ECTConfigError, ECTError } from '../errors.js';
import { isJSONObject } from '../format/json.js';
import type { IssuerBinding, KeyRequest, KeySource, ResolvedKey } from './key-source.js';

/** A JWK Set (RFC 7517 §5). */
export interface JWKSet {
  readonly keys: readonly JsonWebKey[];
}

/** Options of `localJWKSet`. */
export interface LocalJWKSetOptions {
  /** Issuers the set's keys may sign for (VER-8). Without it the keys are not bound to an issuer. */
  readonly issuers?: readonly IssuerBinding[];
  /** Where the set came from, for error messages (`jwks.json`, `ECT_JWKS_FILE`). */
  readonly setting?: string;
}

interface Entry {
  readonly jwk: JsonWebKey & { alg?: string; use?: string; key_ops?: string[] };
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
  if (entry.jwk.alg !== undefined && entry.jwk.alg !== alg) return `the key is for ${entry.jwk.alg}, the token uses ${alg}`;
  if (entry.jwk.use !== undefined && entry.jwk.use !== 'sig') return `the key's use is ${entry.jwk.use}, not sig`;
  if (entry.jwk.key_ops !== undefined && !entry.jwk.key_ops.includes('verify')) return 'the key_ops of the key do not include verify';
  if (!keyFitsAlgorithm(entry.key, spec.alg)) return `the key (${entry.jwk.kty}${entry.jwk.crv ? ` ${entry.jwk.crv}` : ''}) does not fit ${alg}`;
  return undefined;
}

/** Builds a key source from a JWK Set. Invalid keys are a configuration error, found at once. */
export function localJWKSet(jwks: JWKSet, options: LocalJWKSetOptions = {}): KeySource {
  const setting = options.setting ?? 'jwks';
  if (!isJSONObject(jwks) || !Array.isArray(jwks.keys)) throw new ECTConfigError(setting, 'a JWK Set is an object with a "keys" array (RFC 7517 §5)');
  const byKid = new Map<string, Entry[]>();
  jwks.keys.forEach((jwk, index) => {
    if (!isJSONObject(jwk)) throw new ECTConfigError(`${setting} keys[${index}]`, 'not a JSON object');
    const kid = (jwk as { kid?: unknown }).kid;
    if (typeof kid !== 'string' || kid.length === 0) throw new ECTConfigError(`${setting} keys[${index}]`, 'every key needs a kid (HDR-3)');
    if ('d' in jwk || ('k' in jwk && (jwk as { kty?: unknown }).kty === 'oct')) {
      throw new ECTConfigError(`${setting} keys[${index}]`, `key ${kid} is private or symmetric; a verifier's set holds public keys only`);
    }
    const key = importPublicKey(jwk, `${setting} keys[${index}] (kid ${kid})`);
    const list = byKid.get(kid) ?? [];
    list.push({ jwk, key });
    byKid.set(kid, list);
  });
  const issuers = options.issuers;

  return {
    resolve(request: KeyRequest): ResolvedKey {
      const kid = request.header['kid'];
      if (typeof kid !== 'string' || kid.length === 0) throw unresolved('the token has no kid; the JWK set profile requires one (HDR-3)');
      const entries = byKid.get(kid);
      if (!entries) throw unresolved(`no key with kid ${JSON.stringify(kid)} is trusted`);
      let reason = '';
      for (const entry of entries) {
        const refusal = entryAllows(entry, request.alg);
        if (refusal === undefined) return issuers === undefined ? { key: entry.key } : { key: entry.key, issuers };
        reason = refusal;
      }
      throw unresolved(`key ${kid} cannot verify this token: ${reason}`, 'alg');
    },
  };
}
