/**
 * Keys: import from JWK, PEM or `KeyObject`, once (imports are cached; re-importing on every call
 * costs more than an ES256 verify), the algorithm-key binding of HDR-2, JWK thumbprints and key
 * generation.
 * @module
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  KeyObject,
} from 'node:crypto';
import { ECTConfigError } from '../errors.js';
import { algorithmSpec, DEFAULT_ALGORITHM, MIN_RSA_BITS, type Algorithm } from './algorithms.js';
import type { JWK } from './jwk.js';

/**
 * A key as users hold it: a `KeyObject`, a JWK object, or PEM text.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { createECT, type KeyInput } from 'wimse-ect';
 *
 * // A key as a JWK object, PEM text or a KeyObject: all three sign the same way.
 * function sign(key: KeyInput): string {
 *   const claims = { iss: 'spiffe://example.org/a', aud: 'spiffe://example.org/b', exec_act: 'x' };
 *   return createECT(claims, { key });
 * }
 * const fromPem = (path: string): string => sign(readFileSync(path, 'utf8'));
 * ```
 */
export type KeyInput = KeyObject | JWK | string;

// One cache per kind: the same private JWK object is imported as a public key (thumbprints,
// verification) and as a private key (signing), and the two must never be confused.
const importedJwks = {
  public: new WeakMap<object, KeyObject>(),
  private: new WeakMap<object, KeyObject>(),
};
const importedPems = new Map<string, KeyObject>();
const PEM_CACHE_LIMIT = 256;

function importKey(input: KeyInput, kind: 'public' | 'private', setting: string): KeyObject {
  if (input instanceof KeyObject) return input;
  if (typeof input === 'string') {
    const cacheKey = `${kind}\u0000${input}`;
    const hit = importedPems.get(cacheKey);
    if (hit) return hit;
    let key: KeyObject;
    try {
      key = kind === 'private' ? createPrivateKey(input) : createPublicKey(input);
    } catch (error) {
      throw new ECTConfigError(
        setting,
        `not a usable ${kind} key in PEM form (${(error as Error).message})`,
        { cause: error },
      );
    }
    if (importedPems.size >= PEM_CACHE_LIMIT)
      importedPems.delete(importedPems.keys().next().value!);
    importedPems.set(cacheKey, key);
    return key;
  }
  if (typeof input !== 'object' || input === null)
    throw new ECTConfigError(setting, 'expected a KeyObject, a JWK object or PEM text');
  const hit = importedJwks[kind].get(input);
  if (hit) return hit;
  let key: KeyObject;
  try {
    key =
      kind === 'private'
        ? createPrivateKey({ key: input, format: 'jwk' })
        : createPublicKey({ key: input, format: 'jwk' });
  } catch (error) {
    throw new ECTConfigError(setting, `not a usable ${kind} JWK (${(error as Error).message})`, {
      cause: error,
    });
  }
  importedJwks[kind].set(input, key);
  return key;
}

/**
 * Imports a private key (for signing). Throws `ECTConfigError` naming `setting`.
 *
 * @example
 * ```ts
 * import { generateKeyPair, importPrivateKey } from 'wimse-ect';
 *
 * const key = importPrivateKey(generateKeyPair().privateJwk);
 * console.log(key.type, key.asymmetricKeyType); // private ec
 * ```
 */
export function importPrivateKey(input: KeyInput, setting = 'key'): KeyObject {
  const key = importKey(input, 'private', setting);
  if (key.type !== 'private')
    throw new ECTConfigError(setting, `a private key is needed, got a ${key.type} key`);
  return key;
}

/**
 * Imports a public key (for verification); a private key yields its public half.
 *
 * @example
 * ```ts
 * import { generateKeyPair, importPublicKey } from 'wimse-ect';
 *
 * // A private key gives its public half.
 * const key = importPublicKey(generateKeyPair().privateJwk);
 * console.log(key.type); // public
 * ```
 */
export function importPublicKey(input: KeyInput, setting = 'key'): KeyObject {
  const key = importKey(input, 'public', setting);
  return key.type === 'private' ? createPublicKey(key) : key;
}

// Which algorithms a key may serve is fixed per key: compute it once.
const keyFamilies = new WeakMap<KeyObject, string>();

function keyFamily(key: KeyObject): string {
  let family = keyFamilies.get(key);
  if (family !== undefined) return family;
  const type = key.asymmetricKeyType ?? 'none';
  const details = key.asymmetricKeyDetails ?? {};
  if (type === 'ec') family = `ec:${details.namedCurve ?? '?'}`;
  else if (type === 'rsa' || type === 'rsa-pss')
    family = (details.modulusLength ?? 0) >= MIN_RSA_BITS ? 'rsa' : 'rsa-short';
  else family = type;
  keyFamilies.set(key, family);
  return family;
}

/**
 * HDR-2: the algorithm is bound to the key. An ES256 header is only ever verified with a P-256
 * key, EdDSA with Ed25519, PS* with RSA of at least 2048 bits. A key never chooses the algorithm.
 *
 * @example
 * ```ts
 * import { generateKeyPair, importPublicKey, keyFitsAlgorithm } from 'wimse-ect';
 *
 * const p256 = importPublicKey(generateKeyPair({ alg: 'ES256' }).publicJwk);
 * console.log(keyFitsAlgorithm(p256, 'ES256'), keyFitsAlgorithm(p256, 'ES384')); // true false
 * ```
 */
export function keyFitsAlgorithm(key: KeyObject, alg: Algorithm): boolean {
  const spec = algorithmSpec(alg);
  if (!spec) return false;
  const family = keyFamily(key);
  if (spec.kty === 'EC') return family === `ec:${spec.namedCurve}`;
  if (spec.kty === 'RSA') return family === 'rsa';
  return family === 'ed25519';
}

/** The algorithm a key serves by default: its curve's ECDSA, EdDSA, or PS256 for RSA. */
export function defaultAlgorithmFor(key: KeyObject): Algorithm | undefined {
  switch (keyFamily(key)) {
    case 'ec:prime256v1':
      return 'ES256';
    case 'ec:secp384r1':
      return 'ES384';
    case 'ec:secp521r1':
      return 'ES512';
    case 'ed25519':
      return 'EdDSA';
    case 'rsa':
      return 'PS256';
    default:
      return undefined;
  }
}

// RFC 7638 §3.2: the required members of each key type, in lexicographic order.
const THUMBPRINT_MEMBERS: Readonly<Record<string, readonly string[]>> = Object.assign(
  Object.create(null) as Record<string, readonly string[]>,
  {
    EC: ['crv', 'kty', 'x', 'y'],
    OKP: ['crv', 'kty', 'x'],
    RSA: ['e', 'kty', 'n'],
  },
);

/**
 * RFC 7638 JWK thumbprint (SHA-256, base64url) of a public key.
 *
 * @example
 * ```ts
 * import { generateKeyPair, jwkThumbprint } from 'wimse-ect';
 *
 * const pair = generateKeyPair(); // without a kid, the kid is the thumbprint
 * console.log(jwkThumbprint(pair.publicJwk) === pair.publicJwk.kid); // true
 * ```
 */
export function jwkThumbprint(key: KeyInput): string {
  const jwk = importPublicKey(key).export({ format: 'jwk' }) as Record<string, unknown>;
  const members = THUMBPRINT_MEMBERS[String(jwk['kty'])];
  if (!members) throw new ECTConfigError('key', `no thumbprint for key type ${String(jwk['kty'])}`);
  const canonical = `{${members.map((m) => `${JSON.stringify(m)}:${JSON.stringify(jwk[m])}`).join(',')}}`;
  return createHash('sha256').update(canonical).digest('base64url');
}

/**
 * A generated key pair as JWKs, both carrying `kid`, `alg` and `use`.
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * import { generateKeyPair, type GeneratedKeyPair } from 'wimse-ect';
 *
 * const pair: GeneratedKeyPair = generateKeyPair({ kid: 'agent-a-1' });
 * writeFileSync('agent-a.jwks.json', JSON.stringify({ keys: [pair.publicJwk] }));
 * writeFileSync('agent-a.key.json', JSON.stringify(pair.privateJwk), { mode: 0o600 });
 * ```
 */
export interface GeneratedKeyPair {
  readonly privateJwk: JWK & { kid: string; alg: Algorithm; use: 'sig' };
  readonly publicJwk: JWK & { kid: string; alg: Algorithm; use: 'sig' };
}

/**
 * Generates a key pair for `alg` (default ES256); `kid` defaults to the RFC 7638 thumbprint.
 *
 * @example
 * ```ts
 * import { generateKeyPair } from 'wimse-ect';
 *
 * const agent = generateKeyPair({ alg: 'ES256', kid: 'agent-a-1' });
 * const ledgerKey = generateKeyPair({ alg: 'EdDSA' }); // ledgers sign with Ed25519
 * console.log(agent.publicJwk.kid, ledgerKey.publicJwk.crv); // agent-a-1 Ed25519
 * ```
 */
export function generateKeyPair(options: { alg?: Algorithm; kid?: string } = {}): GeneratedKeyPair {
  const alg = options.alg ?? DEFAULT_ALGORITHM;
  const spec = algorithmSpec(alg);
  if (!spec) throw new ECTConfigError('alg', `unsupported algorithm ${String(alg)}`);
  let pair: { privateKey: KeyObject; publicKey: KeyObject };
  if (spec.kty === 'EC') pair = generateKeyPairSync('ec', { namedCurve: spec.namedCurve! });
  else if (spec.kty === 'OKP') pair = generateKeyPairSync('ed25519');
  else pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = options.kid ?? jwkThumbprint(pair.publicKey);
  const meta = { kid, alg, use: 'sig' as const };
  return {
    privateJwk: { ...pair.privateKey.export({ format: 'jwk' }), ...meta },
    publicJwk: { ...pair.publicKey.export({ format: 'jwk' }), ...meta },
  };
}
