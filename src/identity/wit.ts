/**
 * IDB-3, the WIMSE profile: the ECT travels with a Workload Identity Token (WIT, header field
 * `Workload-Identity-Token`, `typ` `wit+jwt`) signed by the issuer of the workload's trust domain.
 * The WIT is verified against that issuer's JWK Set, its `exp` is checked, the workload's key is
 * taken from its `cnf.jwk` (RFC 7800 §3.2), and the ECT is verified with that key; the returned
 * binding makes VER-8 require ECT `iss` = WIT `sub`. Every failure of the WIT itself is
 * `ECT_KEY_UNRESOLVED`: it is the key resolution step (VER-5) that failed, not the ECT.
 * @module
 */
import type { JsonWebKey, KeyObject } from 'node:crypto';
import { ALGORITHMS, isAlgorithm, type Algorithm } from '../crypto/algorithms.js';
import { verifySignature } from '../crypto/jws.js';
import { importPublicKey, keyFitsAlgorithm } from '../crypto/keys.js';
import { ECTConfigError, ECTError } from '../errors.js';
import { isNumericDate } from '../format/claims.js';
import { isJSONObject } from '../format/json.js';
import { parseToken } from '../format/parse.js';
import { hasSpiffeScheme, spiffeIdProblem } from '../format/spiffe-id.js';
import { requireKid } from './jwks.js';
import type { KeyRequest, KeySource, ResolvedKey } from './key-source.js';
import type { KeySet } from './key-set.js';
import { trustDomainPrefix } from './trust.js';

/** The `typ` of a WIT (draft-ietf-wimse-s2s-protocol). */
export const WIT_TYP = 'wit+jwt';
/** The HTTP header field that carries the WIT. */
export const WIT_HEADER = 'Workload-Identity-Token';
/** IDB-3 [P] defaults. */
export const DEFAULT_WIT_MAX_SIZE = 16 * 1024;
export const DEFAULT_WIT_CACHE_SECONDS = 60;
const DEFAULT_WIT_CLOCK_TOLERANCE = 30;
const WIT_CACHE_SIZE = 1000;

/** One trust domain: the prefix of its workload identities and its issuer's key set. */
export interface TrustDomainTrust {
  /** `example.org` (a SPIFFE trust domain, → `spiffe://example.org/`) or a URI prefix. */
  readonly trustDomain: string;
  /** The JWK Set of the trust domain's WIT issuer. */
  readonly keys: KeySet;
  /** When set, a WIT's `iss` must equal it. */
  readonly witIssuer?: string;
}

/** Options of `wimseTrust` and `verifyWIT`. */
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

/** A verified WIT. */
export interface VerifiedWIT {
  /** The workload's identity: the only `iss` its ECTs may carry. */
  readonly sub: string;
  readonly iss: string | undefined;
  readonly exp: number;
  /** The workload's public key from `cnf.jwk`. */
  readonly key: KeyObject;
  readonly jwk: Readonly<JsonWebKey & { kid?: string; alg?: string }>;
  /** The trust domain prefix it was verified under. */
  readonly trustDomain: string;
}

function unresolved(message: string, member = 'kid'): ECTError {
  return new ECTError('ECT_KEY_UNRESOLVED', message, { member });
}

/** `wit+jwt`, case-insensitive, with or without `application/` (RFC 7515 §4.1.9), ASCII only. */
function isWitTyp(typ: unknown): boolean {
  if (typeof typ !== 'string' || !/^[\x20-\x7e]+$/.test(typ)) return false;
  const value = typ.toLowerCase();
  return value === WIT_TYP || value === `application/${WIT_TYP}`;
}

interface Domain {
  readonly prefix: string;
  readonly keys: KeySet;
  readonly witIssuer: string | undefined;
}

interface Checked {
  readonly domains: readonly Domain[];
  readonly tolerance: number;
  readonly algorithms: ReadonlySet<string>;
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
  if (!Array.isArray(options.trustDomains) || options.trustDomains.length === 0) throw new ECTConfigError(`${setting}.trust_domains`, 'at least one trust domain is needed');
  const domains = options.trustDomains.map((domain, index): Domain => {
    if (typeof domain.trustDomain !== 'string' || domain.trustDomain.length === 0) throw new ECTConfigError(`${setting}[${index}].trust_domain`, 'must be a non-empty string');
    if (domain.keys === undefined || typeof domain.keys.select !== 'function') throw new ECTConfigError(`${setting}[${index}]`, 'the trust domain needs the JWK set of its WIT issuer');
    const prefix = trustDomainPrefix(domain.trustDomain);
    checkTrustDomainPrefix(prefix, `${setting}[${index}].trust_domain`);
    return { prefix, keys: domain.keys, witIssuer: domain.witIssuer };
  });
  const tolerance = options.clockTolerance ?? DEFAULT_WIT_CLOCK_TOLERANCE;
  if (typeof tolerance !== 'number' || !Number.isFinite(tolerance) || tolerance < 0) throw new ECTConfigError(`${setting}.clock_tolerance`, 'must be a non-negative number of seconds');
  const algorithms = options.algorithms ?? ALGORITHMS;
  for (const alg of algorithms) if (!isAlgorithm(alg)) throw new ECTConfigError(`${setting}.algorithms`, `${JSON.stringify(alg)} cannot be allowed (HDR-2)`);
  const cacheSeconds = options.cacheSeconds ?? DEFAULT_WIT_CACHE_SECONDS;
  if (typeof cacheSeconds !== 'number' || !Number.isFinite(cacheSeconds) || cacheSeconds < 0) throw new ECTConfigError(`${setting}.cache_seconds`, 'must be a non-negative number');
  return { domains, tolerance, algorithms: new Set(algorithms), cacheSeconds };
}

/** The workload key of `cnf.jwk` (RFC 7800 §3.2): a public key, imported once per WIT. */
function confirmationKey(claims: Record<string, unknown>): { key: KeyObject; jwk: VerifiedWIT['jwk'] } {
  const cnf = claims['cnf'];
  const jwk = isJSONObject(cnf) ? cnf['jwk'] : undefined;
  if (!isJSONObject(jwk)) throw unresolved('the WIT has no cnf.jwk with the workload key', 'cnf');
  if ('d' in jwk || jwk['kty'] === 'oct') throw unresolved('the cnf.jwk of the WIT is not a public key', 'cnf');
  try {
    return { key: importPublicKey(jwk as JsonWebKey, 'cnf.jwk'), jwk: jwk as VerifiedWIT['jwk'] };
  } catch (error) {
    throw unresolved(`the cnf.jwk of the WIT is not a usable key (${(error as Error).message})`, 'cnf');
  }
}

async function verifyWITWith(wit: string, checked: Checked, now: number): Promise<VerifiedWIT> {
  if (typeof wit !== 'string' || wit.length === 0) throw unresolved('the WIMSE profile needs the Workload-Identity-Token sent with the ECT', 'wit');
  if (wit.length > DEFAULT_WIT_MAX_SIZE) throw unresolved(`the WIT is larger than ${DEFAULT_WIT_MAX_SIZE} bytes`, 'wit');
  let parsed;
  try {
    parsed = parseToken(wit);
  } catch (error) {
    throw unresolved(`the WIT is malformed: ${(error as Error).message}`, 'wit');
  }
  if (parsed.level !== 2) throw unresolved('the WIT is not a JWS', 'wit');
  const { header, payload: claims } = parsed;
  if (!isWitTyp(header['typ'])) throw unresolved(`the WIT's typ must be ${WIT_TYP}, got ${JSON.stringify(header['typ'] ?? null)}`, 'typ');
  const alg = header['alg'];
  if (typeof alg !== 'string' || !checked.algorithms.has(alg)) throw unresolved(`the WIT's algorithm ${JSON.stringify(alg)} is not allowed (HDR-2)`, 'alg');
  if (header['crit'] !== undefined || (header['b64'] !== undefined && header['b64'] !== true)) throw unresolved('the WIT uses critical header parameters (HDR-4)', 'crit');
  const kid = requireKid(header, 'WIMSE');
  const sub = claims['sub'];
  if (typeof sub !== 'string' || sub.length === 0) throw unresolved('the WIT has no sub (the workload identity)', 'sub');
  // CLM-1: a SPIFFE subject is a valid SPIFFE ID before it chooses a trust domain by prefix.
  const subProblem = hasSpiffeScheme(sub) ? spiffeIdProblem(sub) : undefined;
  if (subProblem !== undefined) {
    throw unresolved(`the WIT's subject is not a valid SPIFFE ID: ${subProblem}`, 'sub');
  }
  // The trust domain is chosen by the workload's identity, so an issuer trusted for one domain
  // never vouches for a workload of another.
  const domain = checked.domains.filter((d) => sub.startsWith(d.prefix)).sort((a, b) => b.prefix.length - a.prefix.length)[0];
  if (domain === undefined) throw unresolved(`the WIT's subject ${JSON.stringify(sub)} is in no trusted trust domain`, 'sub');
  const iss = typeof claims['iss'] === 'string' ? claims['iss'] : undefined;
  if (domain.witIssuer !== undefined && iss !== domain.witIssuer) throw unresolved(`the WIT's issuer ${JSON.stringify(iss ?? null)} is not the issuer of trust domain ${domain.prefix}`, 'iss');
  let issuerKey: KeyObject;
  try {
    issuerKey = await domain.keys.select(kid, alg);
  } catch (error) {
    throw unresolved(`the WIT's signing key is not trusted for ${domain.prefix}: ${(error as Error).message}`);
  }
  if (!verifySignature(alg as Algorithm, issuerKey, parsed.signingInput, parsed.signature)) {
    throw unresolved(`the WIT's signature does not verify with the key of trust domain ${domain.prefix}`, 'wit');
  }
  const exp = claims['exp'];
  if (!isNumericDate(exp)) throw unresolved('the WIT has no exp in the NumericDate range', 'exp');
  const iat = claims['iat'];
  if (iat !== undefined && (typeof iat !== 'number' || iat > now + checked.tolerance)) throw unresolved('the WIT is issued in the future', 'iat');
  const { key, jwk } = confirmationKey(claims);
  const result: VerifiedWIT = { sub, iss, exp, key, jwk, trustDomain: domain.prefix };
  checkExpiry(result, checked, now);
  return result;
}

function checkExpiry(wit: VerifiedWIT, checked: Checked, now: number): void {
  if (now > wit.exp + checked.tolerance) throw unresolved(`the WIT expired at ${wit.exp}`, 'exp');
}

/** Verifies a WIT on its own (for HTTP layers that want the workload identity). Throws `ECT_KEY_UNRESOLVED`. */
export async function verifyWIT(wit: string, options: WimseTrustOptions & { readonly now?: number }): Promise<VerifiedWIT> {
  return verifyWITWith(wit, checkOptions(options), options.now ?? Date.now() / 1000);
}

/** The WIMSE profile (IDB-3) as a key source. The WIT comes in `request.context.workloadIdentityToken`. */
export function wimseTrust(options: WimseTrustOptions): KeySource {
  const checked = checkOptions(options);
  const cache = new Map<string, { wit: VerifiedWIT; until: number }>();

  async function verified(wit: string, now: number): Promise<VerifiedWIT> {
    const hit = cache.get(wit);
    if (hit !== undefined && Date.now() < hit.until) {
      checkExpiry(hit.wit, checked, now);
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
      if (token === undefined) throw unresolved(`the WIMSE profile needs the ${WIT_HEADER} sent with the ECT`, 'wit');
      // HDR-3: the ECT names its key; when the WIT's key has a kid, they must agree.
      const kid = requireKid(request.header, 'WIMSE');
      const wit = await verified(token, request.now);
      if (wit.jwk.kid !== undefined && wit.jwk.kid !== kid) throw unresolved(`the ECT's kid ${JSON.stringify(kid)} is not the kid of the WIT's cnf.jwk (${JSON.stringify(wit.jwk.kid)})`);
      // RFC 7517 §4.4 / HDR-2: the key's own alg and type must agree with the ECT's alg.
      const use = (wit.jwk as { use?: unknown }).use;
      if (use !== undefined && use !== 'sig') throw unresolved(`the WIT's key is for use ${JSON.stringify(use)}, not sig`, 'cnf');
      if (wit.jwk.alg !== undefined && wit.jwk.alg !== request.alg) throw unresolved(`the WIT's key is for ${wit.jwk.alg}, the ECT uses ${request.alg}`, 'alg');
      if (!isAlgorithm(request.alg) || !keyFitsAlgorithm(wit.key, request.alg)) throw unresolved(`the WIT's key does not fit ${request.alg} (HDR-2)`, 'alg');
      // VER-8: the ECT's iss must be the WIT's sub.
      return { key: wit.key, issuers: [{ exact: wit.sub }] };
    },
  };
}
