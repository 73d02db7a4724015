/**
 * A small trust-domain issuer for tests and demos (IDB-3): it holds one signing key, publishes its
 * JWK Set, and issues Workload Identity Tokens (`typ` `wit+jwt`) that bind a workload identity
 * (`sub`) to the workload's public key (`cnf.jwk`, RFC 7800 §3.2). Not a production issuer: no key
 * rotation, no attestation of the workload.
 * @module
 */
import { createPublicKey, randomUUID, type KeyObject } from 'node:crypto';
import type { JWK } from '../crypto/jwk.js';
import { algorithmSpec, DEFAULT_ALGORITHM, type Algorithm } from '../crypto/algorithms.js';
import { signCompact } from '../crypto/jws.js';
import {
  defaultAlgorithmFor,
  generateKeyPair,
  importPrivateKey,
  importPublicKey,
  jwkThumbprint,
  keyFitsAlgorithm,
  type KeyInput,
} from '../crypto/keys.js';
import { ECTConfigError } from '../errors.js';
import { isJSONObject } from '../format/json.js';
import { hasSpiffeScheme, spiffeIdProblem } from '../format/spiffe-id.js';
import { numberSetting } from '../settings.js';
import type { JWKSet } from './jwks.js';
import { issuerMatches } from './key-source.js';
import { trustDomainPrefix } from './trust.js';
import { WIT_TYP } from './wit.js';

/**
 * Default lifetime of an issued WIT, seconds.
 *
 * @example
 * ```ts
 * import { generateKeyPair } from 'wimse-ect';
 * import { createTrustDomainIssuer, DEFAULT_WIT_TTL_SECONDS } from 'wimse-ect/identity';
 *
 * const domain = createTrustDomainIssuer({ trustDomain: 'example.org' });
 * const publicJwk = generateKeyPair().publicJwk;
 * const wit = domain.issueWit({
 *   sub: 'spiffe://example.org/batch',
 *   publicJwk,
 *   ttl: 8 * DEFAULT_WIT_TTL_SECONDS,
 * });
 * ```
 */
export const DEFAULT_WIT_TTL_SECONDS = 3600;

/**
 * Options of `createTrustDomainIssuer`.
 *
 * @example
 * ```ts
 * import { generateKeyPair } from 'wimse-ect';
 * import { createTrustDomainIssuer, type TrustDomainIssuerOptions } from 'wimse-ect/identity';
 *
 * const options: TrustDomainIssuerOptions = {
 *   trustDomain: 'example.org',
 *   privateKey: generateKeyPair({ alg: 'EdDSA' }).privateJwk,
 *   kid: 'wit-issuer-2025',
 * };
 * const domain = createTrustDomainIssuer(options);
 * ```
 */
export interface TrustDomainIssuerOptions {
  /** `example.org` (SPIFFE) or a URI prefix; every `sub` must lie within it. */
  readonly trustDomain: string;
  /** The WITs' `iss` (default: the trust domain's own ID, `spiffe://example.org`). */
  readonly issuer?: string;
  /** Signing key (default: a new key for `alg`). */
  readonly privateKey?: KeyInput;
  /** Signing algorithm (default ES256, or the given key's). */
  readonly alg?: Algorithm;
  /** Key id (default: the RFC 7638 thumbprint). */
  readonly kid?: string;
}

/**
 * Options of `issueWit`.
 *
 * @example
 * ```ts
 * import { generateKeyPair } from 'wimse-ect';
 * import { createTrustDomainIssuer, type IssueWitOptions } from 'wimse-ect/identity';
 *
 * const domain = createTrustDomainIssuer({ trustDomain: 'example.org' });
 * const request: IssueWitOptions = {
 *   sub: 'spiffe://example.org/agent-a',
 *   publicJwk: generateKeyPair().publicJwk,
 *   ttl: 600,
 * };
 * const wit = domain.issueWit(request);
 * ```
 */
export interface IssueWitOptions {
  /** The workload identity, inside the trust domain (`spiffe://example.org/agent/a`). */
  readonly sub: string;
  /** The workload's public key; it will sign the workload's ECTs. */
  readonly publicJwk: JWK;
  /** Lifetime, seconds (default 3600). */
  readonly ttl?: number;
  /** Issue time, Unix seconds (default: the clock). */
  readonly now?: number;
}

/**
 * A trust-domain issuer.
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * import { createTrustDomainIssuer, type TrustDomainIssuer } from 'wimse-ect/identity';
 *
 * const domain: TrustDomainIssuer = createTrustDomainIssuer({ trustDomain: 'example.org' });
 * // What verifiers configure for the trust domain (trust.json: wimse.trust_domains[].jwks_file).
 * writeFileSync('wit-issuer.jwks.json', JSON.stringify(domain.jwks()));
 * ```
 */
export interface TrustDomainIssuer {
  readonly trustDomain: string;
  /** The `iss` of its WITs. */
  readonly issuer: string;
  readonly kid: string;
  readonly alg: Algorithm;
  /** Issues a WIT for a workload. */
  issueWit(options: IssueWitOptions): string;
  /** The issuer's public JWK Set (what verifiers configure for the trust domain). */
  jwks(): JWKSet;
}

// RFC 7517 / RFC 7518 §6: the public members of each key type, plus the metadata worth keeping.
const PUBLIC_MEMBERS: readonly string[] = [
  'kty',
  'crv',
  'x',
  'y',
  'n',
  'e',
  'kid',
  'alg',
  'use',
  'key_ops',
];

function publicPart(jwk: JWK, setting: string): JWK {
  if (!isJSONObject(jwk)) throw new ECTConfigError(setting, 'expected a JWK object');
  importPublicKey(jwk, setting); // a usable key, or a configuration error
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const member of PUBLIC_MEMBERS)
    if ((jwk as Record<string, unknown>)[member] !== undefined)
      out[member] = (jwk as Record<string, unknown>)[member];
  return { ...out };
}

/**
 * Creates a trust-domain issuer (tests, demos).
 *
 * @example
 * ```ts
 * import { generateKeyPair } from 'wimse-ect';
 * import { createTrustDomainIssuer } from 'wimse-ect/identity';
 *
 * // A trust domain's WIT issuer, for tests and demos.
 * const domain = createTrustDomainIssuer({ trustDomain: 'example.org' });
 * const agent = generateKeyPair();
 * const wit = domain.issueWit({ sub: 'spiffe://example.org/agent-a', publicJwk: agent.publicJwk });
 * console.log(domain.issuer); // spiffe://example.org
 * ```
 */
export function createTrustDomainIssuer(options: TrustDomainIssuerOptions): TrustDomainIssuer {
  if (typeof options?.trustDomain !== 'string' || options.trustDomain.length === 0)
    throw new ECTConfigError('trustDomain', 'must be a non-empty string');
  const prefix = trustDomainPrefix(options.trustDomain);
  const issuer = options.issuer ?? prefix.slice(0, -1);
  let privateKey: KeyObject;
  let alg: Algorithm;
  if (options.privateKey === undefined) {
    alg = options.alg ?? DEFAULT_ALGORITHM;
    privateKey = importPrivateKey(generateKeyPair({ alg }).privateJwk, 'privateKey');
  } else {
    privateKey = importPrivateKey(options.privateKey, 'privateKey');
    const chosen = options.alg ?? defaultAlgorithmFor(privateKey);
    if (chosen === undefined || !algorithmSpec(chosen) || !keyFitsAlgorithm(privateKey, chosen))
      throw new ECTConfigError('alg', 'the key does not fit the algorithm (HDR-2)');
    alg = chosen;
  }
  const publicKey = createPublicKey(privateKey);
  const kid = options.kid ?? jwkThumbprint(publicKey);
  const publicJwk = { ...publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };

  return {
    trustDomain: prefix,
    issuer,
    kid,
    alg,
    issueWit(wit: IssueWitOptions): string {
      if (typeof wit.sub !== 'string' || !issuerMatches(wit.sub, [{ prefix }])) {
        throw new ECTConfigError('sub', `must be a workload identity within ${prefix}`);
      }
      // CLM-1: the verifier (wimseTrust) refuses a SPIFFE subject that is not a valid SPIFFE ID.
      const problem = hasSpiffeScheme(wit.sub) ? spiffeIdProblem(wit.sub) : undefined;
      if (problem !== undefined) {
        throw new ECTConfigError('sub', `not a valid SPIFFE ID: ${problem}`);
      }
      const ttl = numberSetting({
        value: wit.ttl,
        fallback: DEFAULT_WIT_TTL_SECONDS,
        setting: 'ttl',
        exclusive: true,
        unit: 'seconds',
      });
      const now = wit.now ?? Math.floor(Date.now() / 1000);
      const claims = {
        iss: issuer,
        sub: wit.sub,
        iat: now,
        exp: now + ttl,
        jti: randomUUID(),
        cnf: { jwk: publicPart(wit.publicJwk, 'publicJwk') },
      };
      return signCompact({ alg, typ: WIT_TYP, kid }, claims, privateKey, alg);
    },
    jwks: (): JWKSet => ({ keys: [{ ...publicJwk }] }),
  };
}
