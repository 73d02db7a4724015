/**
 * Bounded body reading for body binding (HTTP-4). A body is read only up to the configured limit
 * (never unbounded buffering), and a Node request's bytes are put back into the request after
 * reading, so a body parser that runs later (express.json(), a handler reading the stream) still
 * sees them.
 * @module
 */
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { ECTConfigError } from '../errors.js';
import { numberSetting } from '../settings.js';
import { BodyTooLargeError } from './problem.js';

/**
 * HTTP-4 [P]: most body bytes read for body binding, by default (1 MiB).
 *
 * @example
 * ```ts
 * import { createVerifier } from 'wimse-ect';
 * import { DEFAULT_MAX_BODY_BYTES, ectNodeHandler } from 'wimse-ect/http';
 *
 * // Uploads: bind bodies of up to 16 MiB to the caller's out_hash (HTTP-4).
 * const handler = ectNodeHandler(
 *   (_request, response) => {
 *     response.end('stored');
 *   },
 *   {
 *     verifier: createVerifier({ audience: 'spiffe://example.org/store', minLevel: 1 }),
 *     bodyBinding: { maxBytes: 16 * DEFAULT_MAX_BODY_BYTES },
 *   },
 * );
 * ```
 */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/**
 * Options of the body readers.
 *
 * @example
 * ```ts
 * import { BodyTooLargeError, type BodyReadOptions } from 'wimse-ect/http';
 *
 * // A server of your own: hand the core handler a bounded body reader.
 * async function readAtMost(
 *   stream: AsyncIterable<Uint8Array>,
 *   options: BodyReadOptions,
 * ): Promise<Uint8Array> {
 *   const chunks: Uint8Array[] = [];
 *   let size = 0;
 *   for await (const chunk of stream) {
 *     size += chunk.length;
 *     if (size > options.maxBytes) throw new BodyTooLargeError(options.maxBytes); // answered 413
 *     chunks.push(chunk);
 *   }
 *   return Buffer.concat(chunks);
 * }
 * ```
 */
export interface BodyReadOptions {
  /** Most bytes read; one more is a `BodyTooLargeError`. */
  readonly maxBytes: number;
}

/** Checks a configured body limit once, when a middleware is built. */
export function bodyLimit(maxBytes: number | undefined, setting = 'bodyBinding.maxBytes'): number {
  return numberSetting({
    value: maxBytes,
    fallback: DEFAULT_MAX_BODY_BYTES,
    setting,
    integer: true,
    unit: 'bytes',
  });
}

/**
 * The request body was consumed by another middleware (a body parser) before the ECT middleware
 * could bind it (HTTP-4), and no raw copy was kept. A setup mistake: the adapters answer it with a
 * 500 problem naming the fix (or hand it to the framework with `errors: 'framework'`).
 *
 * @example
 * ```ts
 * import { ECTConfigError } from 'wimse-ect';
 * import { BodyConsumedError } from 'wimse-ect/http';
 *
 * const error = new BodyConsumedError();
 * console.log(error instanceof ECTConfigError, error.setting); // true bodyBinding
 * ```
 */
export class BodyConsumedError extends ECTConfigError {
  constructor() {
    super(
      'bodyBinding',
      'the request body was already read by another middleware, which kept no raw copy; mount ' +
        "the ECT middleware before body parsers, or pass captureRawBody as the parser's verify " +
        'option (express.json({ verify: captureRawBody })) (HTTP-4)',
    );
  }
}

/**
 * The `verify` hook of Express's body parsers (body-parser): keeps the raw bytes a parser read
 * at `request.rawBody`, where the ECT middleware finds them when it runs after the parser and
 * binds the body (HTTP-4). Bodies with a `Content-Encoding` are not kept: the parser hands over the
 * decoded bytes, while the binding is over the bytes as sent; the middleware then reports the
 * setup mistake rather than hash other bytes than a middleware mounted first would.
 *
 * @example
 * ```ts
 * import express from 'express';
 * import { createVerifier } from 'wimse-ect';
 * import { captureRawBody, ectExpress } from 'wimse-ect/express';
 *
 * const app = express();
 * // A JSON parser for the whole app, before the ECT middleware: it keeps the raw bytes.
 * app.use(express.json({ verify: captureRawBody }));
 * app.post(
 *   '/tasks',
 *   ectExpress({
 *     verifier: createVerifier({ audience: 'spiffe://example.org/b', minLevel: 1 }),
 *     bodyBinding: true,
 *   }),
 *   (req, res) => res.json({ received: req.body }),
 * );
 * ```
 */
export function captureRawBody(request: IncomingMessage, _response: unknown, bytes: Buffer): void {
  const encoding = request.headers['content-encoding'];
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') return;
  (request as IncomingMessage & { rawBody?: Buffer }).rawBody = bytes;
}

/** The `Content-Length` of a request, when it is a plain number. */
export function declaredLength(request: IncomingMessage): number | undefined {
  const value = request.headers['content-length'];
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

/**
 * Reads the body of a Node request (at most `maxBytes`) and puts the bytes back in front of the
 * stream, so later readers see the whole body. A declared `Content-Length` over the limit fails
 * before anything is read. When another middleware already consumed the body, its raw bytes are
 * taken from `request.rawBody` if it kept them (`captureRawBody`); otherwise the binding cannot
 * be checked and that is a setup mistake (`BodyConsumedError`), never a silent pass.
 */
export function readNodeBody(request: IncomingMessage, options: BodyReadOptions): Promise<Buffer> {
  const { maxBytes } = options;
  if (request.readableEnded || (request.complete && !request.readable)) {
    const kept = (request as { rawBody?: unknown }).rawBody;
    if (Buffer.isBuffer(kept)) {
      if (kept.length > maxBytes) return Promise.reject(new BodyTooLargeError(maxBytes));
      return Promise.resolve(kept);
    }
    return Promise.reject(new BodyConsumedError());
  }
  const declared = declaredLength(request);
  if (declared !== undefined && declared > maxBytes)
    return Promise.reject(new BodyTooLargeError(maxBytes));
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const cleanup = (): void => {
      request.removeListener('readable', onReadable);
      request.removeListener('error', onError);
      request.removeListener('aborted', onAborted);
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(error);
    };
    const onAborted = (): void =>
      onError(new Error('the request was aborted while its body was read'));
    // Paused mode ('readable' + read()) rather than 'data': the stream's 'end' is only emitted once
    // a read finds it empty, so the bytes can be unshifted back before any later reader sees 'end'.
    function onReadable(): void {
      let chunk: Buffer | string | null;
      while ((chunk = request.read() as Buffer | string | null) !== null) {
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        total += bytes.length;
        if (total > maxBytes) {
          // The rest stays unread: the request is refused and adapters close the connection.
          cleanup();
          reject(new BodyTooLargeError(maxBytes));
          return;
        }
        chunks.push(bytes);
      }
      // `complete` is set right before the parser ends the stream: all bytes are in `chunks`.
      if (request.complete) {
        cleanup();
        const body = Buffer.concat(chunks, total);
        if (body.length > 0) request.unshift(body);
        resolve(body);
      }
    }
    request.on('readable', onReadable);
    request.on('error', onError);
    request.on('aborted', onAborted);
  });
}

/** Reads a web `ReadableStream` body (Fetch API) up to `maxBytes`; `null` is the empty body. */
export async function readWebBody(
  body: ReadableStream<Uint8Array> | null,
  options: BodyReadOptions,
): Promise<Buffer> {
  if (body === null) return Buffer.alloc(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > options.maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw new BodyTooLargeError(options.maxBytes);
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  return Buffer.concat(chunks, total);
}

/**
 * Reads any byte stream (a Fastify payload, a decoded request) up to `maxBytes`. The caller hands
 * the bytes on in a new stream; see `replayStream`.
 */
export async function readStreamBody(
  stream: AsyncIterable<Uint8Array | string>,
  options: BodyReadOptions & { readonly declaredLength?: number | undefined },
): Promise<Buffer> {
  if (options.declaredLength !== undefined && options.declaredLength > options.maxBytes)
    throw new BodyTooLargeError(options.maxBytes);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const bytes =
      typeof chunk === 'string'
        ? Buffer.from(chunk)
        : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    total += bytes.length;
    if (total > options.maxBytes) throw new BodyTooLargeError(options.maxBytes);
    chunks.push(bytes);
  }
  return Buffer.concat(chunks, total);
}

/** A readable stream of bytes already read, marked with their wire length (Fastify's `receivedEncodedLength`). */
export function replayStream(body: Buffer): Readable & { readonly receivedEncodedLength: number } {
  return Object.assign(Readable.from(body.length === 0 ? [] : [body]), {
    receivedEncodedLength: body.length,
  });
}
