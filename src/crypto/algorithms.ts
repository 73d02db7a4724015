/**
 * The JWS algorithms an ECT may use (HDR-2) and the key each is bound to. `none` and every
 * symmetric algorithm are absent on purpose: they can never be allowed (RFC 8725 §3.1, §3.2).
 * @module
 */
import { constants } from 'node:crypto';

/**
 * Algorithms of the profile's default allow-list (HDR-2).
 *
 * @example
 * ```ts
 * import { ALGORITHMS, createVerifier } from 'wimse-ect';
 *
 * // Allow every algorithm but RSA-PSS.
 * const algorithms = ALGORITHMS.filter((alg) => !alg.startsWith('PS'));
 * const verifier = createVerifier({ audience: 'spiffe://example.org/b', minLevel: 1, algorithms });
 * ```
 */
export const ALGORITHMS = ['ES256', 'ES384', 'ES512', 'EdDSA', 'PS256', 'PS384', 'PS512'] as const;
/**
 * A JWS algorithm an ECT may be signed with (HDR-2): `ES256` (the default), `ES384`,
 * `ES512`, `EdDSA` (Ed25519), `PS256`, `PS384` or `PS512`.
 *
 * @example
 * ```ts
 * import { generateKeyPair, type Algorithm } from 'wimse-ect';
 *
 * const alg: Algorithm = 'EdDSA';
 * const key = generateKeyPair({ alg });
 * ```
 */
export type Algorithm = (typeof ALGORITHMS)[number];

/**
 * Default algorithm for creation (HDR-2).
 *
 * @example
 * ```ts
 * import { DEFAULT_ALGORITHM, generateKeyPair } from 'wimse-ect';
 *
 * console.log(generateKeyPair().publicJwk.alg === DEFAULT_ALGORITHM); // true (ES256)
 * ```
 */
export const DEFAULT_ALGORITHM: Algorithm = 'ES256';

/** How one algorithm signs and which key it takes. */
export interface AlgorithmSpec {
  readonly alg: Algorithm;
  /** Digest for `crypto.sign`/`verify`; `null` for EdDSA, which hashes internally. */
  readonly hash: 'sha256' | 'sha384' | 'sha512' | null;
  /** Node's `asymmetricKeyType` values the algorithm accepts. */
  readonly keyTypes: readonly string[];
  /** Node's `namedCurve` for ECDSA (RFC 7518 §3.4). */
  readonly namedCurve?: string;
  /** JWK `kty` / `crv` (RFC 7518 §6, RFC 8037 §2). */
  readonly kty: 'EC' | 'OKP' | 'RSA';
  readonly crv?: string;
  /** ECDSA signatures are R || S, each the curve's size (RFC 7518 §3.4). */
  readonly signatureLength?: number;
  /** RSASSA-PSS with MGF1 and a salt as long as the hash (RFC 7518 §3.5). */
  readonly pssSaltLength?: number;
}

const table: Record<Algorithm, AlgorithmSpec> = {
  ES256: {
    alg: 'ES256',
    hash: 'sha256',
    keyTypes: ['ec'],
    namedCurve: 'prime256v1',
    kty: 'EC',
    crv: 'P-256',
    signatureLength: 64,
  },
  ES384: {
    alg: 'ES384',
    hash: 'sha384',
    keyTypes: ['ec'],
    namedCurve: 'secp384r1',
    kty: 'EC',
    crv: 'P-384',
    signatureLength: 96,
  },
  ES512: {
    alg: 'ES512',
    hash: 'sha512',
    keyTypes: ['ec'],
    namedCurve: 'secp521r1',
    kty: 'EC',
    crv: 'P-521',
    signatureLength: 132,
  },
  EdDSA: {
    alg: 'EdDSA',
    hash: null,
    keyTypes: ['ed25519'],
    kty: 'OKP',
    crv: 'Ed25519',
    signatureLength: 64,
  },
  PS256: {
    alg: 'PS256',
    hash: 'sha256',
    keyTypes: ['rsa', 'rsa-pss'],
    kty: 'RSA',
    pssSaltLength: 32,
  },
  PS384: {
    alg: 'PS384',
    hash: 'sha384',
    keyTypes: ['rsa', 'rsa-pss'],
    kty: 'RSA',
    pssSaltLength: 48,
  },
  PS512: {
    alg: 'PS512',
    hash: 'sha512',
    keyTypes: ['rsa', 'rsa-pss'],
    kty: 'RSA',
    pssSaltLength: 64,
  },
};

// Null prototype: a header `alg` of "__proto__" or "constructor" must find nothing.
const SPECS: Readonly<Record<string, AlgorithmSpec>> = Object.assign(
  Object.create(null) as Record<string, AlgorithmSpec>,
  table,
);

/** The spec of a supported algorithm, or `undefined`. */
export function algorithmSpec(alg: unknown): AlgorithmSpec | undefined {
  return typeof alg === 'string' ? SPECS[alg] : undefined;
}

/**
 * True for an algorithm this library can use.
 *
 * @example
 * ```ts
 * import { isAlgorithm } from 'wimse-ect';
 *
 * console.log(isAlgorithm('ES256'), isAlgorithm('HS256'), isAlgorithm('none')); // true false false
 * ```
 */
export function isAlgorithm(alg: unknown): alg is Algorithm {
  return algorithmSpec(alg) !== undefined;
}

/** RSA keys shorter than this are refused (RFC 7518 §3.5 / §3.3: 2048 bits or larger). */
export const MIN_RSA_BITS = 2048;

/** Options for `crypto.sign`/`crypto.verify` beyond the key (padding and encoding). */
export function signatureOptions(spec: AlgorithmSpec): {
  dsaEncoding?: 'ieee-p1363';
  padding?: number;
  saltLength?: number;
} {
  if (spec.kty === 'EC') return { dsaEncoding: 'ieee-p1363' };
  if (spec.kty === 'RSA')
    return { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: spec.pssSaltLength! };
  return {};
}
