/**
 * The project's own JSON Web Key type (RFC 7517, RFC 7518 section 6). The declarations used
 * `JsonWebKey` from `node:crypto`, which @types/node 25 and later no longer export: in a consumer's
 * project that is a compile error, or, with `skipLibCheck`, an `any` that turns every key
 * parameter into `any`. One type of our own keeps the published API the same whatever
 * @types/node a project uses.
 * @module
 */

/**
 * A JSON Web Key as a plain object: the members of EC, OKP and RSA keys (public and private),
 * the common parameters, and any other member (JWKs are extensible, RFC 7517 section 4).
 *
 * @example
 * ```ts
 * import { generateKeyPair, type JWK } from 'wimse-ect';
 *
 * const publicKey: JWK = generateKeyPair({ alg: 'EdDSA' }).publicJwk;
 * console.log(publicKey.kty, publicKey.crv); // OKP Ed25519
 * ```
 */
export interface JWK {
  /** Key type: `EC`, `OKP`, `RSA`, … */
  kty?: string;
  /** Key id. */
  kid?: string;
  /** The algorithm the key is meant for, e.g. `ES256`. */
  alg?: string;
  /** Public key use: `sig` or `enc`. */
  use?: string;
  key_ops?: string[];
  /** EC and OKP: curve, public coordinates, private value. */
  crv?: string;
  x?: string;
  y?: string;
  d?: string;
  /** RSA: modulus, exponent and private members. */
  n?: string;
  e?: string;
  p?: string;
  q?: string;
  dp?: string;
  dq?: string;
  qi?: string;
  /** Symmetric key value (never accepted for signatures here; listed for completeness). */
  k?: string;
  /** X.509 certificate chain (base64 DER, leaf first). */
  x5c?: string[];
  [member: string]: unknown;
}
