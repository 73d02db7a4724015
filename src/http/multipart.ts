/**
 * HTTP-6 body fallback: a token too large for the `Execution-Context` header travels in the body,
 * either alone (`application/wimse-exec+jwt`) or as the first part of a `multipart/mixed` body
 * whose second part is the content (bound by HTTP-4). This module writes and reads both forms.
 *
 * The reader is strict and bounded. Every failure of a body that declares itself a token carrier
 * (a request without the header whose Content-Type is one of the two media types) is
 * `ECT_MALFORMED`, answered 403 with a problem body: HTTP-2 asks that every rejection of a
 * presented token be a 403 problem, and such a body presents one. Only a body over the size limits
 * is refused without a token code (413 `BODY_TOO_LARGE`, a limit of the server).
 * @module
 */
import { randomBytes } from 'node:crypto';
import { ECTError } from '../errors.js';

/**
 * HTTP-6: the media type of a token carried in the body (alone, or as a `multipart/mixed` part).
 *
 * @example
 * ```ts
 * import { ECT_MEDIA_TYPE } from 'wimse-ect/http';
 *
 * // A token too large for the header, sent as the whole body (no other content).
 * const headers = new Headers({ 'Content-Type': ECT_MEDIA_TYPE });
 * ```
 */
export const ECT_MEDIA_TYPE = 'application/wimse-exec+jwt';
/** HTTP-6: the media type of a body carrying a token and content. */
export const MULTIPART_MIXED = 'multipart/mixed';
/** Most bytes of one part's header section. */
const MAX_PART_HEADER_BYTES = 1024;

const CRLF = '\r\n';
// RFC 2046 §5.1.1: bchars, 1 to 70 of them, the last not a space.
const BOUNDARY = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/;
const TOKEN_CHARS = /^[A-Za-z0-9_\-.]+$/;

/** A body carrying a token: its bytes and its Content-Type. */
export interface EncodedBody {
  readonly contentType: string;
  readonly body: Uint8Array;
}

/** What a fallback body holds: the token and, for `multipart/mixed`, the content part. */
export interface DecodedBody {
  readonly token: string;
  /** The content part (its own Content-Type and bytes), `undefined` for a token-only body. */
  readonly content: { readonly contentType: string; readonly bytes: Uint8Array } | undefined;
}

/** Options of `decodeECTBody`. */
export interface DecodeBodyOptions {
  /** FMT-5: most bytes of the token, checked before the token is looked at. */
  readonly maxTokenSize: number;
}

function malformed(reason: string): ECTError {
  return new ECTError('ECT_MALFORMED', `the body fallback is malformed: ${reason} (HTTP-6)`);
}

/** The media type of a Content-Type value, lower case, without parameters. */
export function mediaType(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  const type = contentType.split(';', 1)[0]!.trim().toLowerCase();
  return type.length === 0 ? undefined : type;
}

/** True when a request without the header carries its token in the body (HTTP-6). */
export function isECTBody(contentType: string | undefined): boolean {
  const type = mediaType(contentType);
  return type === ECT_MEDIA_TYPE || type === MULTIPART_MIXED;
}

/** The `boundary` parameter of a `multipart/mixed` Content-Type (RFC 2046 §5.1.1). */
function boundaryOf(contentType: string): string {
  let found: string | undefined;
  for (const parameter of contentType.split(';').slice(1)) {
    const eq = parameter.indexOf('=');
    if (eq < 0) throw malformed('a Content-Type parameter has no value');
    if (parameter.slice(0, eq).trim().toLowerCase() !== 'boundary') continue;
    if (found !== undefined) throw malformed('the boundary parameter is repeated');
    let value = parameter.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"'))
      value = value.slice(1, -1);
    found = value;
  }
  if (found === undefined) throw malformed('multipart/mixed without a boundary parameter');
  if (!BOUNDARY.test(found)) throw malformed('the boundary is not 1 to 70 RFC 2046 characters');
  return found;
}

interface Part {
  readonly contentType: string;
  readonly bytes: Buffer;
}

function parsePart(raw: Buffer): Part {
  const end = raw.indexOf(CRLF + CRLF);
  const headerEnd = raw.subarray(0, 2).toString('latin1') === CRLF ? 0 : end;
  if (headerEnd < 0 || headerEnd > MAX_PART_HEADER_BYTES)
    throw malformed('a part has no header section of at most 1 KiB');
  if (headerEnd === 0) throw malformed('a part has no Content-Type');
  let contentType: string | undefined;
  for (const line of raw.subarray(0, headerEnd).toString('latin1').split(CRLF)) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw malformed('a part header line has no name');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'content-type') {
      if (contentType !== undefined) throw malformed('a part has two Content-Type fields');
      contentType = value;
    } else if (name === 'content-transfer-encoding' && !/^(binary|8bit|7bit)$/i.test(value)) {
      throw malformed('a part uses a content transfer encoding');
    }
  }
  if (contentType === undefined || contentType.length === 0)
    throw malformed('a part has no Content-Type');
  return { contentType, bytes: raw.subarray(headerEnd + 4) };
}

function checkToken(bytes: Uint8Array, options: DecodeBodyOptions): string {
  // FMT-5 before anything else: a larger token is not decoded at all.
  if (bytes.length > options.maxTokenSize)
    throw new ECTError(
      'ECT_TOO_LARGE',
      `the ECT in the body is larger than ${options.maxTokenSize} bytes (FMT-5)`,
    );
  const token = Buffer.from(bytes).toString('latin1');
  if (!TOKEN_CHARS.test(token)) throw malformed('the token is not base64url segments');
  return token;
}

/**
 * Reads a fallback body: a token alone, or `multipart/mixed` with exactly two parts, the token
 * (`application/wimse-exec+jwt`) and the content (with its own Content-Type). Throws
 * `ECT_TOO_LARGE` for a token over `maxTokenSize` and `ECT_MALFORMED` for anything else that is
 * not this form (no preamble or epilogue, no transfer encodings: our senders never write them).
 */
export function decodeECTBody(
  contentType: string,
  body: Uint8Array,
  options: DecodeBodyOptions,
): DecodedBody {
  const type = mediaType(contentType);
  if (type === ECT_MEDIA_TYPE) return { token: checkToken(body, options), content: undefined };
  if (type !== MULTIPART_MIXED) throw malformed(`${String(type)} does not carry an ECT`);
  const delimiter = `--${boundaryOf(contentType)}`;
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (!bytes.subarray(0, delimiter.length + 2).equals(Buffer.from(delimiter + CRLF, 'latin1')))
    throw malformed('the body does not start with the boundary delimiter');
  const separator = Buffer.from(CRLF + delimiter, 'latin1');
  const parts: Buffer[] = [];
  let start = delimiter.length + 2;
  for (;;) {
    const at = bytes.indexOf(separator, start);
    if (at < 0) throw malformed('the close delimiter is missing');
    parts.push(bytes.subarray(start, at));
    if (parts.length > 2) throw malformed('the body has more than two parts');
    const after = at + separator.length;
    const next = bytes.subarray(after, after + 2).toString('latin1');
    if (next === '--') {
      const rest = bytes.subarray(after + 2).toString('latin1');
      if (rest !== '' && rest !== CRLF) throw malformed('data after the close delimiter');
      break;
    }
    if (next !== CRLF) throw malformed('a boundary delimiter is not followed by CRLF');
    start = after + 2;
  }
  if (parts.length !== 2) throw malformed('the body must have exactly two parts');
  const [first, second] = parts.map(parsePart) as [Part, Part];
  if (mediaType(first.contentType) !== ECT_MEDIA_TYPE)
    throw malformed(`the first part is not ${ECT_MEDIA_TYPE}`);
  return {
    token: checkToken(first.bytes, options),
    content: { contentType: second.contentType, bytes: second.bytes },
  };
}

/**
 * The sending side: the body for a token and (optionally) its content. Without content the body
 * is the token itself; with content it is `multipart/mixed` with a random boundary that occurs
 * in neither part.
 */
export function encodeECTBody(
  token: string,
  content: { readonly contentType: string; readonly bytes: Uint8Array } | undefined,
): EncodedBody {
  if (content === undefined)
    return { contentType: ECT_MEDIA_TYPE, body: Buffer.from(token, 'latin1') };
  if (/[\r\n]/.test(content.contentType)) throw malformed('the content type has a line break');
  let boundary: string;
  do boundary = `ect-${randomBytes(16).toString('hex')}`;
  while (Buffer.from(content.bytes).includes(boundary));
  const head = (type: string): string => `--${boundary}${CRLF}Content-Type: ${type}${CRLF}${CRLF}`;
  const body = Buffer.concat([
    Buffer.from(head(ECT_MEDIA_TYPE) + token + CRLF + head(content.contentType), 'latin1'),
    content.bytes,
    Buffer.from(`${CRLF}--${boundary}--${CRLF}`, 'latin1'),
  ]);
  return { contentType: `${MULTIPART_MIXED}; boundary=${boundary}`, body };
}
