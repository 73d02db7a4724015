/**
 * Wire-form parsing: level detection (FMT-3) and decoding of L1 and L2 tokens (FMT-1, FMT-2),
 * with strict base64url and strict JSON (CLM-12). Everything here fails with `ECT_MALFORMED`.
 * @module
 */
import { isUtf8 } from 'node:buffer';
import { ECTError } from '../errors.js';
import { decodeBase64url } from './base64url.js';
import { isJSONObject, parseStrictJSON, type StrictJSONFailure } from './json.js';

/**
 * A decoded L1 token (FMT-2): only claims.
 *
 * @example
 * ```ts
 * import { createECT, parseToken, type ParsedL1 } from 'wimse-ect';
 *
 * const claims = { iss: 'spiffe://example.org/a', aud: 'b', exec_act: 'x' };
 * const parsed = parseToken(createECT(claims, { level: 1 }));
 * if (parsed.level === 1) {
 *   const l1: ParsedL1 = parsed;
 *   console.log(l1.payload['exec_act']); // x
 * }
 * ```
 */
export interface ParsedL1 {
  readonly level: 1;
  readonly payload: Record<string, unknown>;
}

/**
 * A decoded JWS (FMT-1): header, claims, and what the signature covers.
 *
 * @example
 * ```ts
 * import { createECT, generateKeyPair, parseToken, type ParsedJWS } from 'wimse-ect';
 *
 * const key = generateKeyPair({ kid: 'agent-a-1' });
 * const claims = { iss: 'spiffe://example.org/a', aud: 'b', exec_act: 'x' };
 * const parsed = parseToken(createECT(claims, { key: key.privateJwk }));
 * if (parsed.level === 2) {
 *   const jws: ParsedJWS = parsed;
 *   console.log(jws.header['kid'], jws.signature.length); // agent-a-1 64
 * }
 * ```
 */
export interface ParsedJWS {
  readonly level: 2;
  readonly header: Record<string, unknown>;
  readonly payload: Record<string, unknown>;
  /** ASCII `BASE64URL(header) || '.' || BASE64URL(payload)` (RFC 7515 §5.2 step 8). */
  readonly signingInput: string;
  readonly signature: Buffer;
}

/**
 * A decoded token of either level; `level` tells them apart. Nothing is verified.
 *
 * @example
 * ```ts
 * import { parseToken, type ParsedToken } from 'wimse-ect';
 *
 * function issuerOf(parsed: ParsedToken): unknown {
 *   return parsed.payload['iss'];
 * }
 * ```
 */
export type ParsedToken = ParsedL1 | ParsedJWS;

// Header segments repeat (one per issuer key): their parse is cached. Bounded, and cleared when
// full, so a flood of distinct headers costs memory no more than HEADER_CACHE_LIMIT entries. The
// cached objects are frozen because every caller shares them.
const HEADER_CACHE_LIMIT = 512;
const headerCache = new Map<string, Record<string, unknown>>();

/** How each strict JSON failure is reported (VER-2). */
const JSON_FAILURES: Readonly<Record<StrictJSONFailure, string>> = {
  syntax: 'is not valid JSON',
  duplicate: 'has duplicate member names (CLM-12)',
  surrogate: 'has an unpaired surrogate in a string (I-JSON, RFC 7493 §2.1)',
};

function malformed(
  message: string,
  context: { level?: 1 | 2; header?: Record<string, unknown> } = {},
): ECTError {
  return new ECTError('ECT_MALFORMED', message, context);
}

/** Decodes one base64url segment holding a JSON object. */
function decodeJSONSegment(
  segment: string,
  what: string,
  context: { level?: 1 | 2; header?: Record<string, unknown> },
): Record<string, unknown> {
  if (segment.length === 0) throw malformed(`${what} is empty`, context);
  const bytes = decodeBase64url(segment);
  if (bytes === undefined) throw malformed(`${what} is not canonical base64url`, context);
  // Invalid UTF-8 is an error, never U+FFFD (isUtf8 is native; a fatal TextDecoder was 3× slower).
  // toString keeps a byte-order mark, which JSON.parse then rejects.
  if (!isUtf8(bytes)) throw malformed(`${what} is not valid UTF-8`, context);
  const text = bytes.toString('utf8');
  const parsed = parseStrictJSON(text);
  if (!parsed.ok) throw malformed(`${what} ${JSON_FAILURES[parsed.reason]}`, context);
  if (!isJSONObject(parsed.value)) throw malformed(`${what} is not a JSON object`, context);
  return parsed.value;
}

/**
 * Level detection and decoding (FMT-3). Throws `ECTError('ECT_MALFORMED')`.
 *
 * @example
 * ```ts
 * import { createECT, generateKeyPair, parseToken } from 'wimse-ect';
 *
 * const key = generateKeyPair();
 * const claims = { iss: 'spiffe://example.org/a', aud: 'b', exec_act: 'x' };
 * const token = createECT(claims, { key: key.privateJwk });
 * // Decoding only: the signature is not checked (use a verifier for that).
 * const parsed = parseToken(token);
 * console.log(parsed.level, parsed.payload['exec_act']); // 2 x
 * ```
 */
export function parseToken(token: string): ParsedToken {
  const first = token.indexOf('.');
  if (first === -1) {
    // FMT-3: no '.' -> L1, the whole value is one base64url JSON object (FMT-2).
    return { level: 1, payload: decodeJSONSegment(token, 'the L1 token', { level: 1 }) };
  }
  const second = token.indexOf('.', first + 1);
  if (second === -1 || token.indexOf('.', second + 1) !== -1) {
    // One '.' or more than two (a JWE has four): neither form. Never fall back to L1 (FMT-3).
    throw malformed('a token has either no "." (L1) or exactly two (JWS); this one has neither');
  }
  const headerSegment = token.slice(0, first);
  let header = headerCache.get(headerSegment);
  if (header === undefined) {
    header = Object.freeze(decodeJSONSegment(headerSegment, 'the JOSE header', { level: 2 }));
    if (headerCache.size >= HEADER_CACHE_LIMIT) headerCache.clear();
    headerCache.set(headerSegment, header);
  }
  const payload = decodeJSONSegment(token.slice(first + 1, second), 'the JWS payload', {
    level: 2,
    header,
  });
  // An empty signature segment is valid JWS syntax (RFC 7515 §7.1; the unsecured JWS of RFC 7519
  // §6.1 ends that way). It is judged by the header (alg none: ECT_ALG_NOT_ALLOWED, HDR-2) or by the
  // signature check (ECT_SIGNATURE_INVALID, VER-6), which says more than "malformed".
  const signature = decodeBase64url(token.slice(second + 1));
  if (signature === undefined)
    throw malformed('the JWS signature is not canonical base64url', { level: 2, header });
  return { level: 2, header, payload, signingInput: token.slice(0, second), signature };
}
