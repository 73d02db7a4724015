/**
 * ECT creation: fills the defaults (`iat`, `exp`, `jti`, `pred`), validates every claim exactly as a
 * verifier will (VER-7), and produces an L2 JWS (`typ` `exec+jwt`, `kid`) or an L1 token.
 * @module
 */
import { KeyObject, randomUUID } from 'node:crypto';
import { algorithmSpec, type Algorithm } from '../crypto/algorithms.js';
import { compactSigner } from '../crypto/jws.js';
import {
  defaultAlgorithmFor,
  importPrivateKey,
  jwkThumbprint,
  keyFitsAlgorithm,
  type KeyInput,
} from '../crypto/keys.js';
import { ECTConfigError, ECTError } from '../errors.js';
import { encodeBase64url } from '../format/base64url.js';
import { DEFAULT_CLAIM_RULES, validateClaims, type ClaimRules } from '../format/claims.js';
import { hasLoneSurrogate } from '../format/json.js';
import type { ECTClaims } from '../format/types.js';
import { numberSetting } from '../settings.js';
import { ECT_TYP } from '../verify/header.js';

/**
 * CLM-4 [P]: default lifetime of a created token, seconds.
 *
 * @example
 * ```ts
 * import { createECT, DEFAULT_TTL_SECONDS, parseToken } from 'wimse-ect';
 *
 * const claims = { iss: 'spiffe://example.org/a', aud: 'b', exec_act: 'x' };
 * const { payload } = parseToken(createECT(claims, { level: 1 }));
 * console.log(Number(payload['exp']) - Number(payload['iat']) === DEFAULT_TTL_SECONDS); // true
 * ```
 */
export const DEFAULT_TTL_SECONDS = 600;

/**
 * Claims given to `createECT`. `iat`, `exp`, `jti` and `pred` are filled when absent.
 *
 * @example
 * ```ts
 * import { createECT, generateKeyPair, type ECTInput } from 'wimse-ect';
 *
 * const input: ECTInput = {
 *   iss: 'spiffe://example.org/agent-b',
 *   aud: ['spiffe://example.org/agent-c', 'spiffe://example.org/auditor'],
 *   exec_act: 'implement_spec',
 *   pred: ['0b6f2a8e-5c3d-4f1a-9e7b-2d4c6a8e0f13'],
 *   ect_ext: { ticket: 'OPS-42' },
 * };
 * const token = createECT(input, { key: generateKeyPair().privateJwk });
 * ```
 */
export interface ECTInput {
  readonly iss: string;
  readonly aud: string | readonly string[];
  readonly exec_act: string;
  readonly pred?: readonly string[];
  readonly jti?: string;
  readonly wid?: string;
  readonly iat?: number;
  readonly exp?: number;
  readonly inp_hash?: string;
  readonly out_hash?: string;
  readonly ect_ext?: Readonly<Record<string, unknown>>;
  readonly [claim: string]: unknown;
}

/**
 * Options of `createECT`.
 *
 * @example
 * ```ts
 * import { createECT, generateKeyPair, type CreateOptions } from 'wimse-ect';
 *
 * const options: CreateOptions = {
 *   key: generateKeyPair({ alg: 'EdDSA' }).privateJwk,
 *   kid: 'agent-a-2',
 *   ttl: 60,
 * };
 * const claims = { iss: 'spiffe://example.org/a', aud: 'spiffe://example.org/b', exec_act: 'x' };
 * const token = createECT(claims, options);
 * ```
 */
export interface CreateOptions {
  /** Level 2 (default) signs; level 1 produces the unsigned form (FMT-2). */
  readonly level?: 1 | 2;
  /** Private key for level 2: a JWK, PEM text or `KeyObject`. */
  readonly key?: KeyInput;
  /** Key id for the header (HDR-3). Default: the JWK's `kid`, else its RFC 7638 thumbprint. */
  readonly kid?: string;
  /** Signature algorithm. Default: the JWK's `alg`, else the key type's (ES256 for P-256). */
  readonly alg?: Algorithm;
  /** Certificate chain for the X.509 profile (IDB-2), leaf first, base64 DER. */
  readonly x5c?: readonly string[];
  /** Lifetime when `exp` is not given, seconds (default 600, CLM-4). */
  readonly ttl?: number;
  /** Creation time, Unix seconds (default: the clock). */
  readonly now?: number;
  /** Claim rules (CLM-5 UUID strictness, CLM-6, CLM-7 limits). */
  readonly rules?: Partial<Omit<ClaimRules, 'acceptLegacy'>>;
}

// kid derivation exports the key: do it once per key.
const thumbprints = new WeakMap<KeyObject, string>();

function resolveKid(input: KeyInput, key: KeyObject, explicit: string | undefined): string {
  if (explicit !== undefined) {
    if (typeof explicit !== 'string' || explicit.length === 0)
      throw new ECTConfigError('kid', 'must be a non-empty string');
    return explicit;
  }
  const own =
    typeof input === 'object' && !(input instanceof KeyObject)
      ? (input as { kid?: unknown }).kid
      : undefined;
  if (typeof own === 'string' && own.length > 0) return own;
  let kid = thumbprints.get(key);
  if (kid === undefined) {
    kid = jwkThumbprint(key);
    thumbprints.set(key, kid);
  }
  return kid;
}

function resolveAlg(input: KeyInput, key: KeyObject, explicit: Algorithm | undefined): Algorithm {
  const own =
    typeof input === 'object' && !(input instanceof KeyObject)
      ? (input as { alg?: unknown }).alg
      : undefined;
  const alg = explicit ?? (typeof own === 'string' ? own : undefined) ?? defaultAlgorithmFor(key);
  const spec = algorithmSpec(alg);
  if (!spec)
    throw new ECTConfigError(
      'alg',
      `${JSON.stringify(alg)} is not one of ES256, ES384, ES512, EdDSA, PS256, PS384, PS512`,
    );
  if (!keyFitsAlgorithm(key, spec.alg))
    throw new ECTConfigError(
      'alg',
      `the key does not fit ${spec.alg} (HDR-2 binds the algorithm to the key type)`,
    );
  return spec.alg;
}

function checkTime(value: number | undefined, setting: string): number | undefined {
  return value === undefined ? undefined : numberSetting({ value, setting, unit: 'seconds' });
}

const CREATE_RULES: ClaimRules = Object.freeze({ ...DEFAULT_CLAIM_RULES, acceptLegacy: false });

function claimRules(rules: CreateOptions['rules']): ClaimRules {
  return rules === undefined
    ? CREATE_RULES
    : { ...DEFAULT_CLAIM_RULES, ...rules, acceptLegacy: false };
}

function lifetime(ttl: number | undefined): number {
  const fallback = DEFAULT_TTL_SECONDS;
  return numberSetting({ value: ttl, fallback, setting: 'ttl', exclusive: true, unit: 'seconds' });
}

/** The input plus defaults, validated. */
function fillClaims(
  input: ECTInput,
  now: number | undefined,
  ttl: number,
  rules: ClaimRules,
): ECTClaims {
  const iat = input.iat ?? checkTime(now, 'now') ?? Math.floor(Date.now() / 1000);
  // Object.assign, then set: an object spread with overriding members costs 2 µs here (V8 takes a
  // slow path), a third of createECT's own work.
  const claims: Record<string, unknown> = Object.assign({}, input);
  claims['iat'] = iat;
  claims['exp'] = input.exp ?? (typeof iat === 'number' ? iat + ttl : undefined);
  claims['jti'] = input.jti ?? randomUUID();
  claims['pred'] = input.pred === undefined ? [] : input.pred;
  const validated = validateClaims(claims, rules).claims;
  // VER-2: JSON.stringify would write an unpaired surrogate as an escape that every verifier
  // refuses (I-JSON, RFC 7493 §2.1), so creation refuses it with the verifier's code.
  if (hasLoneSurrogate(validated)) {
    const rule = 'I-JSON, RFC 7493 §2.1';
    throw new ECTError('ECT_MALFORMED', `a claim holds an unpaired surrogate (${rule})`);
  }
  return validated;
}

/**
 * The claims `createECT` would sign: the input plus defaults, validated (VER-7 codes on failure:
 * `ECT_CLAIM_MISSING`, `ECT_CLAIM_INVALID`, `ECT_EXT_LIMIT`; `ECT_MALFORMED` for a string with an
 * unpaired surrogate, which no verifier would parse). The input is not modified.
 *
 * @example
 * ```ts
 * import { buildClaims } from 'wimse-ect';
 *
 * const input = { iss: 'spiffe://example.org/a', aud: 'spiffe://example.org/b', exec_act: 'x' };
 * const claims = buildClaims(input, { now: 1_700_000_000 });
 * console.log(claims.iat, claims.exp, claims.pred); // 1700000000 1700000600 []
 * ```
 */
export function buildClaims(
  input: ECTInput,
  options: Pick<CreateOptions, 'ttl' | 'now' | 'rules'> = {},
): ECTClaims {
  return fillClaims(input, options.now, lifetime(options.ttl), claimRules(options.rules));
}

/**
 * A signer prepared once for one key (see `createSigner`).
 *
 * @example
 * ```ts
 * import { createSigner, generateKeyPair, type ECTSigner } from 'wimse-ect';
 *
 * const key = generateKeyPair({ kid: 'agent-a-1' });
 * const signer: ECTSigner = createSigner({ key: key.privateJwk });
 * console.log(signer.alg, signer.kid); // ES256 agent-a-1
 * ```
 */
export interface ECTSigner {
  readonly alg: Algorithm;
  readonly kid: string;
  /** Fills the defaults, validates and signs one task's claims; `now` and `ttl` as in `createECT`. */
  sign(input: ECTInput, options?: { readonly now?: number; readonly ttl?: number }): string;
}

/**
 * Prepares signing with one key: the key is imported, the algorithm and `kid` chosen and the header
 * encoded once. Services that create many tokens should hold one signer per key; `createECT` does
 * the same work on every call.
 *
 * @example
 * ```ts
 * import { createSigner, generateKeyPair } from 'wimse-ect';
 *
 * const signer = createSigner({ key: generateKeyPair().privateJwk, ttl: 120 });
 * const tokens = ['fetch', 'parse', 'store'].map((exec_act) =>
 *   signer.sign({ iss: 'spiffe://example.org/etl', aud: 'spiffe://example.org/audit', exec_act }),
 * );
 * ```
 */
export function createSigner(
  options: Omit<CreateOptions, 'level' | 'now'> & { readonly key: KeyInput },
): ECTSigner {
  if (options.key === undefined)
    throw new ECTConfigError('key', 'a private key is needed to sign a level 2 token');
  const key = importPrivateKey(options.key);
  const alg = resolveAlg(options.key, key, options.alg);
  const kid = resolveKid(options.key, key, options.kid);
  const header = encodedHeader(key, alg, kid, options.x5c);
  const rules = claimRules(options.rules);
  const ttl = lifetime(options.ttl);
  const sign = compactSigner(key, alg);
  return {
    alg,
    kid,
    sign: (input, call = {}) =>
      sign(
        header,
        fillClaims(input, call.now, call.ttl === undefined ? ttl : lifetime(call.ttl), rules),
      ),
  };
}

/**
 * Creates an ECT: an L2 compact JWS (default) or an L1 unsigned token.
 *
 * @example
 * ```ts
 * import { createECT, generateKeyPair } from 'wimse-ect';
 *
 * const key = generateKeyPair();
 * // L2: a JWS with typ exec+jwt; iat, exp, jti and pred are filled in.
 * const claims = { iss: 'spiffe://example.org/a', aud: 'spiffe://example.org/b', exec_act: 'run' };
 * const signed = createECT(claims, { key: key.privateJwk });
 * // L1: unsigned, only inside one trust boundary.
 * const unsigned = createECT(claims, { level: 1 });
 * ```
 */
export function createECT(input: ECTInput, options: CreateOptions = {}): string {
  const level = options.level ?? 2;
  if (level !== 1 && level !== 2)
    throw new ECTConfigError('level', 'must be 1 or 2 (level 3 is given by a ledger, FMT-6)');
  if (level === 1) return encodeBase64url(JSON.stringify(buildClaims(input, options)));
  if (options.key === undefined)
    throw new ECTConfigError('key', 'a private key is needed to sign a level 2 token');
  return createSigner(options as CreateOptions & { key: KeyInput }).sign(
    input,
    options.now === undefined ? {} : { now: options.now },
  );
}

// The header of a key's tokens never changes: encode it once per (key, alg, kid).
const headers = new WeakMap<KeyObject, Map<string, string>>();

function encodedHeader(
  key: KeyObject,
  alg: Algorithm,
  kid: string,
  x5c: readonly string[] | undefined,
): string {
  const header: Record<string, unknown> = { alg, typ: ECT_TYP, kid };
  if (x5c !== undefined) {
    header['x5c'] = [...x5c];
    return encodeBase64url(JSON.stringify(header));
  }
  let byKid = headers.get(key);
  if (byKid === undefined) headers.set(key, (byKid = new Map<string, string>()));
  const cacheKey = `${alg}\u0000${kid}`;
  let encoded = byKid.get(cacheKey);
  if (encoded === undefined) {
    encoded = encodeBase64url(JSON.stringify(header));
    byKid.set(cacheKey, encoded);
  }
  return encoded;
}
