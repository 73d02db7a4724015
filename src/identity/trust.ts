/**
 * IDB-1 with VER-8: which JWK Set may speak for which issuer. Each entry binds an exact `iss` or
 * an `iss` prefix (a SPIFFE trust domain such as `spiffe://example.org/`) to one key set. The key
 * is chosen by `kid` (HDR-3) from the sets bound to the token's `iss`; the returned key carries
 * its entry's binding, so the verifier's VER-8 step rejects any other issuer.
 * @module
 */
import type { KeyObject } from 'node:crypto';
import { ECTConfigError, ECTError } from '../errors.js';
import { requireKid } from './jwks.js';
import {
  issuerRank,
  type IssuerBinding,
  type KeyRequest,
  type KeySource,
  type ResolvedKey,
} from './key-source.js';
import type { KeySet } from './key-set.js';

/**
 * One trust entry: the issuers a key set may sign for.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { issuerKeySets, staticKeySet, type IssuerTrust } from 'wimse-ect/identity';
 *
 * const ci: IssuerTrust = {
 *   issuers: [{ exact: 'https://ci.example.org' }],
 *   keys: staticKeySet(JSON.parse(readFileSync('ci.jwks.json', 'utf8'))),
 * };
 * const keys = issuerKeySets([ci]);
 * ```
 */
export interface IssuerTrust {
  /** Exact `iss` values and/or `iss` prefixes (at least one). */
  readonly issuers: readonly IssuerBinding[];
  readonly keys: KeySet;
}

/**
 * Options of `issuerKeySets`.
 *
 * @example
 * ```ts
 * import { issuerKeySets, type IssuerKeySetsOptions, type IssuerTrust } from 'wimse-ect/identity';
 *
 * const entries: IssuerTrust[] = [];
 * // The setting named in configuration errors.
 * const options: IssuerKeySetsOptions = { setting: 'trust.issuers' };
 * const keys = issuerKeySets(entries, options);
 * ```
 */
export interface IssuerKeySetsOptions {
  /** The setting named in configuration errors (default `issuers`). */
  readonly setting?: string;
}

/** Checks a list of bindings; throws `ECTConfigError` naming the bad one. */
export function checkBindings(issuers: readonly IssuerBinding[], setting: string): void {
  const given: unknown = issuers; // Array.isArray would narrow the bindings themselves to any
  if (!Array.isArray(given) || issuers.length === 0)
    throw new ECTConfigError(setting, 'at least one issuer (exact or prefix) is needed');
  issuers.forEach((binding, index) => {
    const value = 'exact' in binding ? binding.exact : (binding as { prefix?: unknown }).prefix;
    if (typeof value !== 'string' || value.length === 0)
      throw new ECTConfigError(
        `${setting}[${index}]`,
        'an issuer or issuer prefix is a non-empty string',
      );
  });
}

/**
 * A key source over issuer-bound JWK Sets (IDB-1). For a token with `iss` X and `kid` K:
 * 1. the sets bound to X are asked for K, most specific binding first (a remote set may fetch);
 * 2. when none has K, but a set bound to other issuers holds K (without fetching), that key is
 *    returned with its own binding: the signature is checked (VER-6) and VER-8 then answers
 *    `ECT_ISSUER_MISMATCH` — a key trusted for one issuer never verifies a token naming another;
 * 3. otherwise `ECT_KEY_UNRESOLVED`.
 *
 * @example
 * ```ts
 * import { createVerifier, generateKeyPair } from 'wimse-ect';
 * import { issuerKeySets, remoteKeySet, staticKeySet } from 'wimse-ect/identity';
 *
 * const ours = generateKeyPair({ kid: 'agents-1' });
 * // Each set speaks only for its issuers: a partner key never verifies a token naming our agents.
 * const keys = issuerKeySets([
 *   {
 *     issuers: [{ prefix: 'spiffe://example.org/' }],
 *     keys: staticKeySet({ keys: [ours.publicJwk] }),
 *   },
 *   {
 *     issuers: [{ prefix: 'spiffe://partner.example/' }],
 *     keys: remoteKeySet({ url: 'https://keys.partner.example/jwks.json' }),
 *   },
 * ]);
 * const verifier = createVerifier({ audience: 'spiffe://example.org/b', keys });
 * ```
 */
export function issuerKeySets(
  entries: readonly IssuerTrust[],
  options: IssuerKeySetsOptions = {},
): KeySource {
  const setting = options.setting ?? 'issuers';
  const given: unknown = entries; // Array.isArray would narrow the entries themselves to any
  if (!Array.isArray(given)) throw new ECTConfigError(setting, 'expected a list of issuer entries');
  entries.forEach((entry, index) => checkBindings(entry.issuers, `${setting}[${index}].issuers`));
  const list = [...entries];

  return {
    async resolve(request: KeyRequest): Promise<ResolvedKey> {
      const kid = requireKid(request.header, 'JWK set');
      const iss = request.claims['iss'];
      // Claims are not verified yet: `iss` only chooses where to look; VER-8 checks it afterwards.
      const claimed = typeof iss === 'string' ? iss : '';
      const bound = list
        .map((entry) => ({ entry, rank: issuerRank(claimed, entry.issuers) }))
        .filter((candidate) => candidate.rank >= 0)
        .sort((a, b) => b.rank - a.rank);
      let failure: ECTError | undefined;
      for (const { entry } of bound) {
        let key: KeyObject;
        try {
          key = await entry.keys.select(kid, request.alg);
        } catch (error) {
          failure ??=
            error instanceof ECTError
              ? error
              : new ECTError('ECT_KEY_UNRESOLVED', String((error as Error)?.message ?? error), {
                  cause: error,
                });
          // A set that knows the kid but refuses it (wrong alg, use) is the most useful message.
          if (entry.keys.holds(kid) && error instanceof ECTError) failure = error;
          continue;
        }
        return { key, issuers: entry.issuers };
      }
      for (const entry of list) {
        if (bound.some((candidate) => candidate.entry === entry) || !entry.keys.holds(kid))
          continue;
        // VER-8 will refuse it; the signature is still checked first, in the procedure's order.
        return { key: await entry.keys.select(kid, request.alg), issuers: entry.issuers };
      }
      if (failure !== undefined) throw failure;
      throw new ECTError(
        'ECT_KEY_UNRESOLVED',
        `no JWK set is trusted for issuer ${JSON.stringify(claimed)}`,
        { member: 'iss' },
      );
    },
  };
}

/**
 * The prefix of a SPIFFE trust domain: `example.org` → `spiffe://example.org/`; a URI prefix
 * stays.
 *
 * @example
 * ```ts
 * import { trustDomainPrefix } from 'wimse-ect/identity';
 *
 * console.log(trustDomainPrefix('example.org')); // spiffe://example.org/
 * ```
 */
export function trustDomainPrefix(trustDomain: string): string {
  const base = trustDomain.includes('://') ? trustDomain : `spiffe://${trustDomain}`;
  return base.endsWith('/') ? base : `${base}/`;
}
