/**
 * The `Execution-Context` header codec (profile section 10): exactly one ECT per message (HTTP-1)
 * and the header size limit on both sides (HTTP-3).
 * @module
 */
import { ECTError } from '../errors.js';
import { numberSetting } from '../settings.js';

/**
 * HTTP-1: the field that carries an ECT, in requests and (HTTP-5) responses.
 *
 * @example
 * ```ts
 * import { createECT, generateKeyPair } from 'wimse-ect';
 * import { EXECUTION_CONTEXT_HEADER, formatExecutionContext } from 'wimse-ect/http';
 *
 * const key = generateKeyPair();
 * const claims = { iss: 'spiffe://example.org/a', aud: 'spiffe://example.org/b', exec_act: 'x' };
 * const token = createECT(claims, { key: key.privateJwk });
 * await fetch('https://b.example.org/tasks', {
 *   method: 'POST',
 *   headers: { [EXECUTION_CONTEXT_HEADER]: formatExecutionContext(token) },
 * });
 * ```
 */
export const EXECUTION_CONTEXT_HEADER = 'Execution-Context';
/**
 * The response field carrying the ledger's receipt JWS (LED-5) of the request's ECT.
 *
 * @example
 * ```ts
 * import { RECEIPT_HEADER } from 'wimse-ect/http';
 *
 * const response = await fetch('https://b.example.org/tasks', { method: 'POST' });
 * // The ledger's receipt of the request's ECT, when the server records at level 3.
 * const receipt = response.headers.get(RECEIPT_HEADER);
 * ```
 */
export const RECEIPT_HEADER = 'Execution-Context-Receipt';
/**
 * IDB-3: the WIMSE Workload Identity Token sent beside the ECT.
 *
 * @example
 * ```ts
 * import { WORKLOAD_IDENTITY_HEADER } from 'wimse-ect/http';
 *
 * const wit = process.env['WORKLOAD_WIT'] ?? ''; // the caller's WIT, from its trust domain
 * const headers = new Headers({ [WORKLOAD_IDENTITY_HEADER]: wit }); // sent beside the ECT (IDB-3)
 * ```
 */
export const WORKLOAD_IDENTITY_HEADER = 'Workload-Identity-Token';
/**
 * HTTP-3 [P]: most bytes of an `Execution-Context` value, on sending and on receiving.
 *
 * @example
 * ```ts
 * import { createVerifier } from 'wimse-ect';
 * import { DEFAULT_MAX_HEADER_SIZE, ectNodeHandler } from 'wimse-ect/http';
 *
 * // Tokens with X.509 chains need more room in the header.
 * const handler = ectNodeHandler(
 *   (_request, response) => {
 *     response.end('ok');
 *   },
 *   {
 *     verifier: createVerifier({ audience: 'spiffe://example.org/b', minLevel: 1 }),
 *     maxHeaderSize: 2 * DEFAULT_MAX_HEADER_SIZE,
 *   },
 * );
 * ```
 */
export const DEFAULT_MAX_HEADER_SIZE = 8 * 1024;

/**
 * The field lines of one header as a message holds them: none, one joined value, or one per line.
 *
 * @example
 * ```ts
 * import type { IncomingMessage } from 'node:http';
 * import { readExecutionContext, type FieldLines } from 'wimse-ect/http';
 *
 * function tokenOf(request: IncomingMessage): string | undefined {
 *   // One entry per field line: two ECTs in two lines are refused, not joined.
 *   const lines: FieldLines = request.headersDistinct['execution-context'];
 *   return readExecutionContext(lines);
 * }
 * ```
 */
export type FieldLines = string | readonly string[] | null | undefined;

/**
 * Options of the codec.
 *
 * @example
 * ```ts
 * import { readExecutionContext, type HeaderCodecOptions } from 'wimse-ect/http';
 *
 * const options: HeaderCodecOptions = { maxHeaderSize: 16 * 1024 };
 * const token = readExecutionContext(new Headers().get('execution-context'), options);
 * ```
 */
export interface HeaderCodecOptions {
  /** HTTP-3: most bytes of the value (default 8 KiB). */
  readonly maxHeaderSize?: number;
}

// Every wire form (FMT-1, FMT-2) is base64url segments joined by '.': nothing else may appear.
const TOKEN_CHARS = /^[A-Za-z0-9_\-.]+$/;

/** Checks a configured header size limit once, when a middleware or client is built. */
export function headerLimit(options: HeaderCodecOptions, setting = 'maxHeaderSize'): number {
  return numberSetting({
    value: options.maxHeaderSize,
    fallback: DEFAULT_MAX_HEADER_SIZE,
    setting,
    min: 1,
    integer: true,
    unit: 'bytes',
  });
}

/**
 * Reads the ECT of a message. Returns `undefined` when the field is absent; throws
 * `ECT_TOO_LARGE` for a value over the limit (HTTP-3) and `ECT_MALFORMED` for more than one field
 * line, a comma-separated list (HTTP-1) or an empty value. Give every field line separately where
 * the framework allows (Node's `headersDistinct`); a joined value (Fetch `Headers.get`) holds the
 * lines comma-separated, which is rejected just the same.
 *
 * @example
 * ```ts
 * import { readExecutionContext } from 'wimse-ect/http';
 *
 * const request = new Request('https://b.example.org/', {
 *   headers: { 'Execution-Context': 'eyJ.eyJ.sig' },
 * });
 * // The one ECT of the message; two field lines or a list are ECT_MALFORMED (HTTP-1).
 * console.log(readExecutionContext(request.headers.get('execution-context'))); // eyJ.eyJ.sig
 * ```
 */
export function readExecutionContext(
  lines: FieldLines,
  options: HeaderCodecOptions = {},
): string | undefined {
  if (lines === undefined || lines === null) return undefined;
  const list: readonly string[] = typeof lines === 'string' ? [lines] : lines;
  if (list.length === 0) return undefined;
  const limit = options.maxHeaderSize ?? DEFAULT_MAX_HEADER_SIZE;
  // HTTP-3 first, like VER-1: nothing larger than the limit is looked at further.
  for (const line of list) {
    if (line.length > limit || Buffer.byteLength(line, 'utf8') > limit) {
      throw new ECTError(
        'ECT_TOO_LARGE',
        `the ${EXECUTION_CONTEXT_HEADER} value is larger than ${limit} bytes (HTTP-3)`,
      );
    }
  }
  if (list.length > 1)
    throw new ECTError(
      'ECT_MALFORMED',
      `the message has ${list.length} ${EXECUTION_CONTEXT_HEADER} field lines; exactly one is allowed (HTTP-1)`,
    );
  // RFC 9110 §5.5: leading and trailing whitespace is not part of the value.
  const value = list[0]!.trim();
  if (value.includes(','))
    throw new ECTError(
      'ECT_MALFORMED',
      `the ${EXECUTION_CONTEXT_HEADER} value is a list; exactly one ECT is allowed (HTTP-1)`,
    );
  if (value.length === 0)
    throw new ECTError('ECT_MALFORMED', `the ${EXECUTION_CONTEXT_HEADER} value is empty`);
  return value;
}

/**
 * HTTP-1 with several field lines accepted (the receiver option `multipleFieldLines`): every ECT
 * of a message, one per field line. A comma-separated value counts as that many lines (RFC 9110
 * §5.3 makes the two forms equivalent, and the Fetch API's `Headers.get` joins lines that way).
 * Each value is checked as `readExecutionContext` checks one; an empty element is `ECT_MALFORMED`.
 *
 * @example
 * ```ts
 * import { readExecutionContexts } from 'wimse-ect/http';
 *
 * console.log(readExecutionContexts(['a.b.c', 'd.e.f'])); // [ 'a.b.c', 'd.e.f' ]
 * ```
 */
export function readExecutionContexts(
  lines: FieldLines,
  options: HeaderCodecOptions = {},
): string[] {
  if (lines === undefined || lines === null) return [];
  const list: readonly string[] = typeof lines === 'string' ? [lines] : lines;
  return list
    .flatMap((line) => line.split(','))
    .map((value) => {
      const token = readExecutionContext(value, options);
      if (token === undefined) throw new ECTError('ECT_MALFORMED', 'an empty ECT in the list');
      return token;
    });
}

/**
 * The sending side: checks a token before it is put in an `Execution-Context` field. Throws
 * `ECT_TOO_LARGE` naming the size and the limit (HTTP-3), and `ECT_MALFORMED` for characters that
 * no ECT contains (which also keeps CR/LF out of the header).
 *
 * @example
 * ```ts
 * import { createECT } from 'wimse-ect';
 * import { formatExecutionContext } from 'wimse-ect/http';
 *
 * const token = createECT(
 *   { iss: 'spiffe://example.org/a', aud: 'b', exec_act: 'x' },
 *   { level: 1 },
 * );
 * // Checked before it is sent: too large for the header is ECT_TOO_LARGE, here, not at the server.
 * const value = formatExecutionContext(token, { maxHeaderSize: 4096 });
 * ```
 */
export function formatExecutionContext(token: string, options: HeaderCodecOptions = {}): string {
  const limit = options.maxHeaderSize ?? DEFAULT_MAX_HEADER_SIZE;
  if (typeof token !== 'string' || !TOKEN_CHARS.test(token)) {
    throw new ECTError(
      'ECT_MALFORMED',
      `an ECT is base64url segments joined by '.'; this value cannot be sent in ${EXECUTION_CONTEXT_HEADER}`,
    );
  }
  if (token.length > limit) {
    throw new ECTError(
      'ECT_TOO_LARGE',
      `the ECT is ${token.length} bytes, more than the ${limit}-byte limit of the ${EXECUTION_CONTEXT_HEADER} header (HTTP-3); ` +
        'make ect_ext smaller or raise maxHeaderSize if every receiver accepts larger values',
    );
  }
  return token;
}

/** The single value of a companion header (the WIT) or `undefined` when absent or repeated. */
export function singleValue(lines: FieldLines): string | undefined {
  if (lines === undefined || lines === null) return undefined;
  const list: readonly string[] = typeof lines === 'string' ? [lines] : lines;
  // A repeated or listed WIT is not passed on: the key source then finds none and fails closed.
  if (list.length !== 1 || list[0]!.includes(',')) return undefined;
  const value = list[0]!.trim();
  return value.length === 0 ? undefined : value;
}
