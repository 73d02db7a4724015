/**
 * The JOSE header of an ECT (verification step VER-4): `typ` (HDR-1), `alg` (HDR-2), `crit` and
 * `b64` (HDR-4), checked by the shared JWS verification (src/crypto/verify-jws.ts) with the rules
 * built here, and its failures as the codes of section 11. `jku`, `x5u` and `jwk` are never read
 * here or anywhere else (HDR-5).
 * @module
 */
import type { JWSCheck, JWSHeaderRules } from '../crypto/verify-jws.js';
import { isMediaType } from '../crypto/verify-jws.js';
import type { ECTErrorCode } from '../errors.js';

/**
 * `typ` values created and accepted (HDR-1): -01 and the legacy -00 value.
 *
 * @example
 * ```ts
 * import { createECT, ECT_TYP, generateKeyPair, parseToken } from 'wimse-ect';
 *
 * const claims = { iss: 'spiffe://example.org/a', aud: 'b', exec_act: 'x' };
 * const parsed = parseToken(createECT(claims, { key: generateKeyPair().privateJwk }));
 * console.log(parsed.level === 2 && parsed.header['typ'] === ECT_TYP); // true
 * ```
 */
export const ECT_TYP = 'exec+jwt';
/**
 * The `typ` of draft -00 (HDR-1), still accepted on verification; never created.
 *
 * @example
 * ```ts
 * import { isECTTyp, LEGACY_ECT_TYP } from 'wimse-ect';
 *
 * console.log(isECTTyp(LEGACY_ECT_TYP)); // true
 * ```
 */
export const LEGACY_ECT_TYP = 'wimse-exec+jwt';

const ECT_TYPS = [ECT_TYP, LEGACY_ECT_TYP] as const;

/**
 * HDR-1: `exec+jwt` or `wimse-exec+jwt`, compared case-insensitively, with or without the
 * `application/` prefix (RFC 7515 §4.1.9), ASCII case folding only.
 *
 * @example
 * ```ts
 * import { isECTTyp } from 'wimse-ect';
 *
 * // true true false
 * console.log(isECTTyp('exec+jwt'), isECTTyp('application/EXEC+JWT'), isECTTyp('JWT'));
 * ```
 */
export function isECTTyp(typ: unknown): boolean {
  return isMediaType(typ, ECT_TYPS);
}

/** The header rules of an ECT for a verifier's allow-list of algorithms (HDR-2). */
export function ectHeaderRules(algorithms: ReadonlySet<string>): JWSHeaderRules {
  return { typName: ECT_TYP, typ: isECTTyp, algorithms };
}

/** VER-4 to VER-6: the section 11 code of each JWS check. */
export const JWS_CHECK_CODES: Readonly<Record<JWSCheck, ECTErrorCode>> = {
  typ: 'ECT_TYP_INVALID',
  alg: 'ECT_ALG_NOT_ALLOWED',
  crit: 'ECT_CRIT_UNSUPPORTED',
  key: 'ECT_KEY_UNRESOLVED',
  signature: 'ECT_SIGNATURE_INVALID',
};
