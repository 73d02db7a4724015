/**
 * JOSE header checks of verification step VER-4: `typ` (HDR-1), `alg` (HDR-2), `crit` and `b64`
 * (HDR-4). `jku`, `x5u` and `jwk` are never read here or anywhere else (HDR-5).
 * @module
 */
import type { Algorithm } from '../crypto/algorithms.js';
import { ECTError } from '../errors.js';

/** `typ` values created and accepted (HDR-1): -01 and the legacy -00 value. */
export const ECT_TYP = 'exec+jwt';
export const LEGACY_ECT_TYP = 'wimse-exec+jwt';

const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

/**
 * HDR-1: `exec+jwt` or `wimse-exec+jwt`, compared case-insensitively, with or without the
 * `application/` prefix (RFC 7515 §4.1.9). Case folding is ASCII only: `toLowerCase` maps some
 * non-ASCII letters (the Kelvin sign) onto ASCII ones, which would let a look-alike pass.
 */
export function isECTTyp(typ: unknown): boolean {
  if (typeof typ !== 'string' || !PRINTABLE_ASCII.test(typ)) return false;
  let value = typ.toLowerCase();
  if (value.startsWith('application/')) value = value.slice('application/'.length);
  return value === ECT_TYP || value === LEGACY_ECT_TYP;
}

/** VER-4 in its order: `typ`, `alg`, `crit`/`b64`. Returns the (allowed) algorithm. */
export function checkHeader(header: Record<string, unknown>, allowed: ReadonlySet<string>): Algorithm {
  const context = { level: 2 as const, header };
  if (!isECTTyp(header['typ'])) {
    const got = header['typ'] === undefined ? 'no typ' : `typ ${JSON.stringify(header['typ'])}`;
    throw new ECTError('ECT_TYP_INVALID', `expected typ exec+jwt, got ${got}`, { ...context, member: 'typ' });
  }
  const alg = header['alg'];
  // The allow-list never holds `none` or HS* (HDR-2): the option parser refuses them.
  if (typeof alg !== 'string' || !allowed.has(alg)) {
    throw new ECTError('ECT_ALG_NOT_ALLOWED', `algorithm ${JSON.stringify(alg)} is not allowed`, { ...context, member: 'alg' });
  }
  // HDR-4: this verifier understands no critical extension (RFC 7515 §4.1.11), and the payload is
  // always base64url-encoded (RFC 7797 b64: false is refused).
  if (header['crit'] !== undefined) {
    throw new ECTError('ECT_CRIT_UNSUPPORTED', `critical header parameters are not supported: ${JSON.stringify(header['crit'])}`, { ...context, member: 'crit' });
  }
  if (header['b64'] !== undefined && header['b64'] !== true) {
    throw new ECTError('ECT_CRIT_UNSUPPORTED', 'unencoded payloads (b64: false) are not supported', { ...context, member: 'b64' });
  }
  return alg as Algorithm;
}
