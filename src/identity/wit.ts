/**
 * IDB-3, the WIMSE profile: the ECT travels with a Workload Identity Token (WIT, header field
 * `Workload-Identity-Token`, `typ` `wit+jwt`) signed by the issuer of the workload's trust domain.
 * The WIT is verified against that issuer's JWK Set by the library's one JWS verification
 * (src/crypto/verify-jws.ts), its time window by the claims validation of VER-10, the workload's
 * key is taken from its `cnf.jwk` (RFC 7800 §3.2), and the ECT is verified with that key; the
 * returned binding makes VER-8 require ECT `iss` = WIT `sub`. Every failure of the WIT itself is
 * `ECT_KEY_UNRESOLVED`: it is the key resolution step (VER-5) that failed, not the ECT.
 * @module
 */
import type { KeyObject } from 'node:crypto';
import type { JWK } from '../crypto/jwk.js';
import { ALGORITHMS, isAlgorithm, type Algorithm } from '../crypto/algorithms.js';
import { importPublicKey, keyFitsAlgorithm } from '../crypto/keys.js';
import {
  isMediaType,
  verifyJWS,
  type JWSFailure,
  type JWSHeaderRules,
  type JWSKey,
} from '../crypto/verify-jws.js';
import { ECTConfigError, ECTError } from '../errors.js';
import { checkTimes, isNumericDate } from '../format/claims.js';
import { isJSONObject } from '../format/json.js';
import { parseToken } from '../format/parse.js';
import { hasSpiffeScheme, spiffeIdProblem } from '../format/spiffe-id.js';
import { numberSetting } from '../settings.js';
import { requireKid } from './jwks.js';
import {
  issuerRank,
  type IssuerBinding,
  type KeyRequest,
  type KeySource,
  type ResolvedKey,
} from './key-source.js';
import type { KeySet } from './key-set.js';
import { trustDomainPrefix } from './trust.js';

/**
 * The `typ` of a WIT (draft-ietf-wimse-s2s-protocol).
 *
 * @example
 * ```ts
 * import { parseToken } from 'wimse-ect';
 * import { WIT_TYP } from 'wimse-ect/identity';
 *
 * const isWit = (token: string): boolean => {
 *   const parsed = parseToken(token);
 *   return parsed.level === 2 && parsed.header['typ'] === WIT_TYP;
 * };
 * ```
 */
export const WIT_TYP = 'wit+jwt';
/**
 * The HTTP header field that carries the WIT.
 *
 * @example
 * ```ts
 * import type { IncomingMessage } from 'node:http';
 * import { WIT_HEADER } from 'wimse-ect/identity';
 *
 * const witOf = (request: IncomingMessage): string | undefined => {
 *   const value = request.headers[WIT_HEADER.toLowerCase()];
 *   return typeof value === 'string' ? value : undefined;
 * };
 * ```
 */
export const WIT_HEADER = 'Workload-Identity-Token';
/**
 * IDB-3 [P] defaults.
 *
 * @example
 * ```ts
 * import { DEFAULT_WIT_MAX_SIZE } from 'wimse-ect/identity';
 *
 * const tooLarge = (wit: string): boolean => Buffer.byteLength(wit) > DEFAULT_WIT_MAX_SIZE;
 * ```
 */
export const DEFAULT_WIT_MAX_SIZE = 16 * 1024;
/**
 * IDB-3 [P]: how long a verified WIT is remembered, seconds (60); its `exp` is still checked
 * every time.
 *
 * @example
 * ```ts
 * import {
 *   createTrustDomainIssuer,
 *   DEFAULT_WIT_CACHE_SECONDS,
 *   staticKeySet,
 *   wimseTrust,
 * } from 'wimse-ect/identity';
 *
 * const domain = createTrustDomainIssuer({ trustDomain: 'example.org' });
 * const keys = wimseTrust({
 *   trustDomains: [{ trustDomain: 'example.org', keys: staticKeySet(domain.jwks()) }],
 *   cacheSeconds: 5 * DEFAULT_WIT_CACHE_SECONDS,
 * });
 * ```
 */
export const DEFAULT_WIT_CACHE_SECONDS = 60;
const DEFAULT_WIT_CLOCK_TOLERANCE = 30;
const WIT_CACHE_SIZE = 1000;

/**
 * One trust domain: the prefix of its workload identities and its issuer's key set.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { staticKeySet, type TrustDomainTrust } from 'wimse-ect/identity';
 *
 * const domain: TrustDomainTrust = {
 *   trustDomain: 'example.org',
 *   keys: staticKeySet(JSON.parse(readFileSync('wit-issuer.jwks.json', 'utf8'))),
 *   witIssuer: 'spiffe://example.org',
 * };
 * ```
 */
export interface TrustDomainTrust {
  /** `example.org` (a SPIFFE trust domain, → `spiffe://example.org/`) or a URI prefix. */
  readonly trustDomain: string;
  /** The JWK Set of the trust domain's WIT issuer. */
  readonly keys: KeySet;
  /** When set, a WIT's `iss` must equal it. */
  readonly witIssuer?: string;
}

/**
 * Options of `wimseTrust` and `verifyWIT`.
 *
 * @example
 * ```ts
 * import {
 *   createTrustDomainIssuer,
 *   staticKeySet,
 *   wimseTrust,
 *   type WimseTrustOptions,
 * } from 'wimse-ect/identity';
 *
 * const domain = createTrustDomainIssuer({ trustDomain: 'example.org' });
 * const options: WimseTrustOptions = {
 *   trustDomains: [{ trustDomain: 'example.org', keys: staticKeySet(domain.jwks()) }],
 *   clockTolerance: 10,
 *   algorithms: ['ES256'],
 * };
 * const keys = wimseTrust(options);
 * ```
 */
export interface WimseTrustOptions {
  readonly trustDomains: readonly TrustDomainTrust[];
  /** Tolerance for the WIT's `exp` and `iat`, seconds (default 30, as CLM-3/CLM-4). */
  readonly clockTolerance?: number;
  /** Algorithms a WIT may use (default: the profile's list, HDR-2; never `none` or HS*). */
  readonly algorithms?: readonly Algorithm[];
  /** How long a verified WIT is remembered, seconds (default 60; 0 = no cache). Its `exp` is still checked every time. */
  readonly cacheSeconds?: number;
  /** The setting named in configuration errors (default `wimse`). */
  readonly setting?: string;
}

/**
 * A verified WIT.
 *
 * @example
 * ```ts
 * import { generateKeyPair } from 'wimse-ect';
 * import {
 *   createTrustDomainIssuer,
 *   staticKeySet,
 *   verifyWIT,
 *   type VerifiedWIT,
 * } from 'wimse-ect/identity';
 *
 * const domain = createTrustDomainIssuer({ trustDomain: 'example.org' });
 * const workload = generateKeyPair();
 * const wit = domain.issueWit({
 *   sub: 'spiffe://example.org/agent-a',
 *   publicJwk: workload.publicJwk,
 * });
 * const trustDomains = [{ trustDomain: 'example.org', keys: staticKeySet(domain.jwks()) }];
 * const verified: VerifiedWIT = await verifyWIT(wit, { trustDomains });
 * // spiffe://example.org/agent-a spiffe://example.org/
 * console.log(verified.sub, verified.trustDomain);
 * ```
 */
export interface VerifiedWIT {
  /** The workload's identity: the only `iss` its ECTs may carry. */
  readonly sub: string;
  readonly iss: string | undefined;
  readonly exp: number;
  /** The workload's public key from `cnf.jwk`. */
  readonly key: KeyObject;
  readonly jwk: Readonly<JWK & { kid?: string; alg?: string }>;
  /** The trust domain prefix it was verified under. */
  readonly trustDomain: string;
}

function unresolved(message: string, member = 'kid'): ECTError {
  return new ECTError('ECT_KEY_UNRESOLVED', message, { member });
}

interface Domain {
  readonly prefix: string;
  /** The prefix as an issuer binding, for the one issuer matching (`issuerRank`). */
  readonly binding: readonly IssuerBinding[];
  readonly keys: KeySet;
  readonly witIssuer: string | undefined;
}

interface Checked {
  readonly domains: readonly Domain[];
  readonly tolerance: number;
  readonly headerRules: JWSHeaderRules;
  readonly cacheSeconds: number;
}

/**
 * A SPIFFE trust domain (or ID prefix) is itself a valid SPIFFE ID once its trailing `/` is
 * dropped (SPIFFE-ID §2.1): `Example.org` would match no valid workload identity.
 */
function checkTrustDomainPrefix(prefix: string, setting: string): void {
  if (!hasSpiffeScheme(prefix)) return;
  const problem = spiffeIdProblem(prefix.slice(0, -1));
  if (problem !== undefined) {
    throw new ECTConfigError(setting, `not a SPIFFE trust domain: ${problem}`);
  }
}

function checkOptions(options: WimseTrustOptions): Checked {
  const setting = options.setting ?? 'wimse';
  const given: unknown = options.trustDomains; // Array.isArray would narrow the domains to any
  if (!Array.isArray(given) || options.trustDomains.length === 0)
    throw new ECTConfigError(`${setting}.trust_domains`, 'at least one trust domain is needed');
  const domains = options.trustDomains.map((domain, index): Domain => {
    if (typeof domain.trustDomain !== 'string' || domain.trustDomain.length === 0)
      throw new ECTConfigError(`${setting}[${index}].trust_domain`, 'must be a non-empty string');
    if (domain.keys === undefined || typeof domain.keys.select !== 'function')
      throw new ECTConfigError(
        `${setting}[${index}]`,
        'the trust domain needs the JWK set of its WIT issuer',
      );
    const prefix = trustDomainPrefix(domain.trustDomain);
    checkTrustDomainPrefix(prefix, `${setting}[${index}].trust_domain`);
    return { prefix, binding: [{ prefix }], keys: domain.keys, witIssuer: domain.witIssuer };
  });
  const tolerance = numberSetting({
    value: options.clockTolerance,
    fallback: DEFAULT_WIT_CLOCK_TOLERANCE,
    setting: `${setting}.clock_tolerance`,
    unit: 'seconds',
  });
  const algorithms = options.algorithms ?? ALGORITHMS;
  for (const alg of algorithms)
    if (!isAlgorithm(alg))
      throw new ECTConfigError(
        `${setting}.algorithms`,
        `${JSON.stringify(alg)} cannot be allowed (HDR-2)`,
      );
  const cacheSeconds = numberSetting({
    value: options.cacheSeconds,
    fallback: DEFAULT_WIT_CACHE_SECONDS,
    setting: `${setting}.cache_seconds`,
    unit: 'seconds',
  });
  const headerRules = { typName: WIT_TYP, typ: isWitTyp, algorithms: new Set<string>(algorithms) };
  return { domains, tolerance, headerRules, cacheSeconds };
}

/** The workload key of `cnf.jwk` (RFC 7800 §3.2): a public key, imported once per WIT. */
function confirmationKey(claims: Record<string, unknown>): {
  key: KeyObject;
  jwk: VerifiedWIT['jwk'];
} {
  const cnf = claims['cnf'];
  const jwk = isJSONObject(cnf) ? cnf['jwk'] : undefined;
  if (!isJSONObject(jwk)) throw unresolved('the WIT has no cnf.jwk with the workload key', 'cnf');
  if ('d' in jwk || jwk['kty'] === 'oct')
    throw unresolved('the cnf.jwk of the WIT is not a public key', 'cnf');
  try {
    return { key: importPublicKey(jwk, 'cnf.jwk'), jwk };
  } catch (error) {
    throw unresolved(
      `the cnf.jwk of the WIT is not a usable key (${(error as Error).message})`,
      'cnf',
    );
  }
}

/** `wit+jwt`, case-insensitive, with or without `application/` (RFC 7515 §4.1.9), ASCII only. */
function isWitTyp(typ: unknown): boolean {
  return isMediaType(typ, [WIT_TYP]);
}

/** The trust domain of a workload identity: the longest configured prefix it lies in. */
function domainOf(sub: string, domains: readonly Domain[]): Domain | undefined {
  let best: Domain | undefined;
  let bestRank = -1;
  for (const domain of domains) {
    const rank = issuerRank(sub, domain.binding);
    if (rank > bestRank) [best, bestRank] = [domain, rank];
  }
  return best;
}

/** The WIT's claims before its key is chosen: `sub` picks the trust domain. */
function subjectOf(claims: Readonly<Record<string, unknown>>): string {
  const sub = claims['sub'];
  if (typeof sub !== 'string' || sub.length === 0) {
    throw unresolved('the WIT has no sub (the workload identity)', 'sub');
  }
  // CLM-1: a SPIFFE subject is a valid SPIFFE ID before it chooses a trust domain by prefix.
  const subProblem = hasSpiffeScheme(sub) ? spiffeIdProblem(sub) : undefined;
  if (subProblem !== undefined) {
    throw unresolved(`the WIT's subject is not a valid SPIFFE ID: ${subProblem}`, 'sub');
  }
  return sub;
}

async function verifyWITWith(wit: string, checked: Checked, now: number): Promise<VerifiedWIT> {
  if (typeof wit !== 'string' || wit.length === 0)
    throw unresolved(
      'the WIMSE profile needs the Workload-Identity-Token sent with the ECT',
      'wit',
    );
  if (wit.length > DEFAULT_WIT_MAX_SIZE)
    throw unresolved(`the WIT is larger than ${DEFAULT_WIT_MAX_SIZE} bytes`, 'wit');
  let parsed;
  try {
    parsed = parseToken(wit);
  } catch (error) {
    throw unresolved(`the WIT is malformed: ${(error as Error).message}`, 'wit');
  }
  if (parsed.level !== 2) throw unresolved('the WIT is not a JWS', 'wit');
  const { header, payload: claims } = parsed;
  // The shared JWS verification: header rules (HDR-1, HDR-2, HDR-4), the trust domain's key for
  // the WIT's kid (HDR-3), bound to the algorithm, and the signature. Every failure of the WIT is
  // a failure to resolve the ECT's key (VER-5).
  const lookup: WitLookup = { header, claims, domains: checked.domains, domain: undefined };
  const rules = checked.headerRules;
  await verifyJWS({ jws: parsed, rules, context: lookup, key: witKey, fail: witFailure });
  const sub = claims['sub'] as string;
  const trusted = lookup.domain!;
  const exp = claims['exp'];
  if (!isNumericDate(exp)) throw unresolved('the WIT has no exp in the NumericDate range', 'exp');
  const iat = claims['iat'];
  if (iat !== undefined && !isNumericDate(iat)) {
    throw unresolved('the WIT has an iat out of the NumericDate range', 'iat');
  }
  const { key, jwk } = confirmationKey(claims);
  const iss = typeof claims['iss'] === 'string' ? claims['iss'] : undefined;
  const result: VerifiedWIT = { sub, iss, exp, key, jwk, trustDomain: trusted.prefix };
  checkTime(result, iat, checked, now);
  return result;
}

/** The key lookup of one WIT; it notes the trust domain it chose. */
interface WitLookup {
  readonly header: Readonly<Record<string, unknown>>;
  readonly claims: Readonly<Record<string, unknown>>;
  readonly domains: readonly Domain[];
  domain: Domain | undefined;
}

/**
 * The WIT issuer's key for the WIT's kid (HDR-3). The trust domain is chosen by the workload's
 * identity, so an issuer trusted for one domain never vouches for a workload of another.
 */
async function witKey(alg: Algorithm, lookup: WitLookup): Promise<JWSKey> {
  const { header, claims } = lookup;
  const kid = requireKid(header, 'WIMSE');
  const sub = subjectOf(claims);
  const domain = domainOf(sub, lookup.domains);
  if (domain === undefined) {
    const subject = JSON.stringify(sub);
    throw unresolved(`the WIT's subject ${subject} is in no trusted trust domain`, 'sub');
  }
  lookup.domain = domain;
  const iss = claims['iss'];
  if (domain.witIssuer !== undefined && iss !== domain.witIssuer) {
    const named = JSON.stringify(iss ?? null);
    const message = `the WIT's issuer ${named} is not the issuer of trust domain ${domain.prefix}`;
    throw unresolved(message, 'iss');
  }
  try {
    return { key: await domain.keys.select(kid, alg) };
  } catch (error) {
    throw unresolved(
      `the WIT's signing key is not trusted for ${domain.prefix}: ${(error as Error).message}`,
    );
  }
}

/** A JWS failure of the WIT as `ECT_KEY_UNRESOLVED`; the key lookup's own errors pass through. */
function witFailure(failure: JWSFailure, lookup: WitLookup): ECTError {
  const { domain } = lookup;
  if (failure.cause instanceof ECTError) return failure.cause;
  if (failure.check === 'signature') {
    const where = domain === undefined ? '' : ` of trust domain ${domain.prefix}`;
    return unresolved(`the WIT's signature does not verify with the key${where}`, 'wit');
  }
  const message = `the WIT's header: ${failure.message} (HDR-1, HDR-2, HDR-4)`;
  return unresolved(message, failure.member ?? 'wit');
}

/**
 * VER-10's time window, applied to the WIT (IDB-3): expired, or issued in the future, it cannot
 * vouch for a key. Checked on every use, also of a cached WIT.
 */
function checkTime(wit: VerifiedWIT, iat: number | undefined, checked: Checked, now: number): void {
  try {
    checkTimes({ iat, exp: wit.exp }, { now, clockTolerance: checked.tolerance, maxIatAge: 0 });
  } catch (error) {
    const member = error instanceof ECTError ? (error.member ?? 'exp') : 'exp';
    const reason = member === 'iat' ? 'is issued in the future' : `expired at ${wit.exp}`;
    throw unresolved(`the WIT ${reason}`, member);
  }
}

/**
 * Verifies a WIT on its own (for HTTP layers that want the workload identity). Throws
 * `ECT_KEY_UNRESOLVED`.
 *
 * @example
 * ```ts
 * import { generateKeyPair } from 'wimse-ect';
 * import { createTrustDomainIssuer, staticKeySet, verifyWIT } from 'wimse-ect/identity';
 *
 * const domain = createTrustDomainIssuer({ trustDomain: 'example.org' });
 * const wit = domain.issueWit({
 *   sub: 'spiffe://example.org/agent-a',
 *   publicJwk: generateKeyPair().publicJwk,
 * });
 * // The workload's identity, for an HTTP layer that needs it before any ECT.
 * const { sub } = await verifyWIT(wit, {
 *   trustDomains: [{ trustDomain: 'example.org', keys: staticKeySet(domain.jwks()) }],
 * });
 * ```
 */
export async function verifyWIT(
  wit: string,
  options: WimseTrustOptions & { readonly now?: number },
): Promise<VerifiedWIT> {
  return verifyWITWith(wit, checkOptions(options), options.now ?? Date.now() / 1000);
}

/**
 * The WIMSE profile (IDB-3) as a key source. The WIT comes in
 * `request.context.workloadIdentityToken`.
 *
 * @example
 * ```ts
 * import { createECT, createVerifier, generateKeyPair } from 'wimse-ect';
 * import { createTrustDomainIssuer, staticKeySet, wimseTrust } from 'wimse-ect/identity';
 *
 * const domain = createTrustDomainIssuer({ trustDomain: 'example.org' });
 * const agent = generateKeyPair();
 * const wit = domain.issueWit({ sub: 'spiffe://example.org/agent-a', publicJwk: agent.publicJwk });
 * const verifier = createVerifier({
 *   audience: 'spiffe://example.org/b',
 *   keys: wimseTrust({
 *     trustDomains: [{ trustDomain: 'example.org', keys: staticKeySet(domain.jwks()) }],
 *   }),
 * });
 * const token = createECT(
 *   { iss: 'spiffe://example.org/agent-a', aud: 'spiffe://example.org/b', exec_act: 'review' },
 *   { key: agent.privateJwk },
 * );
 * // The key is the WIT's cnf.jwk; iss must be the WIT's sub (IDB-3).
 * const { claims } = await verifier.verify(token, { workloadIdentityToken: wit });
 * ```
 */
export function wimseTrust(options: WimseTrustOptions): KeySource {
  const checked = checkOptions(options);
  const cache = new Map<string, { wit: VerifiedWIT; until: number }>();

  async function verified(wit: string, now: number): Promise<VerifiedWIT> {
    const hit = cache.get(wit);
    if (hit !== undefined && Date.now() < hit.until) {
      checkTime(hit.wit, undefined, checked, now);
      return hit.wit;
    }
    if (hit !== undefined) cache.delete(wit);
    const result = await verifyWITWith(wit, checked, now);
    if (checked.cacheSeconds > 0) {
      if (cache.size >= WIT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      cache.set(wit, { wit: result, until: Date.now() + checked.cacheSeconds * 1000 });
    }
    return result;
  }

  return {
    async resolve(request: KeyRequest): Promise<ResolvedKey> {
      const token = request.context.workloadIdentityToken;
      if (token === undefined)
        throw unresolved(`the WIMSE profile needs the ${WIT_HEADER} sent with the ECT`, 'wit');
      // HDR-3: the ECT names its key; when the WIT's key has a kid, they must agree.
      const kid = requireKid(request.header, 'WIMSE');
      const wit = await verified(token, request.now);
      if (wit.jwk.kid !== undefined && wit.jwk.kid !== kid)
        throw unresolved(
          `the ECT's kid ${JSON.stringify(kid)} is not the kid of the WIT's cnf.jwk (${JSON.stringify(wit.jwk.kid)})`,
        );
      // RFC 7517 §4.4 / HDR-2: the key's own alg and type must agree with the ECT's alg.
      const use = (wit.jwk as { use?: unknown }).use;
      if (use !== undefined && use !== 'sig')
        throw unresolved(`the WIT's key is for use ${JSON.stringify(use)}, not sig`, 'cnf');
      if (wit.jwk.alg !== undefined && wit.jwk.alg !== request.alg)
        throw unresolved(`the WIT's key is for ${wit.jwk.alg}, the ECT uses ${request.alg}`, 'alg');
      if (!isAlgorithm(request.alg) || !keyFitsAlgorithm(wit.key, request.alg))
        throw unresolved(`the WIT's key does not fit ${request.alg} (HDR-2)`, 'alg');
      // VER-8: the ECT's iss must be the WIT's sub.
      return { key: wit.key, issuers: [{ exact: wit.sub }] };
    },
  };
}
