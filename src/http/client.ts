/**
 * The client side: a `fetch` wrapper that creates the caller's ECT for a request (`out_hash` =
 * the SHA-256 of the body it sends, CLM-9, HTTP-4), sends it in `Execution-Context` (checked
 * against the header limit, HTTP-3), and verifies the ECT the callee answers with (HTTP-5).
 * @module
 */
import { createECT, type ECTInput } from '../create/create.js';
import { ECTConfigError, ECTError } from '../errors.js';
import { hashBytes } from '../format/hash.js';
import type { ECTClaims } from '../format/types.js';
import { parseToken } from '../format/parse.js';
import { sameId } from '../format/task-key.js';
import type { VerifyOptions } from '../verify/options.js';
import { createVerifier, type VerifiedECT, type Verifier } from '../verify/verify.js';
import { bodyLimit, readWebBody } from './body.js';
import {
  EXECUTION_CONTEXT_HEADER,
  formatExecutionContext,
  headerLimit,
  readExecutionContext,
  WORKLOAD_IDENTITY_HEADER,
} from './header.js';
import { encodeECTBody } from './multipart.js';
import type { SignerIdentity } from './respond.js';

/**
 * Options of `createECTFetch`.
 *
 * @example
 * ```ts
 * import { createVerifier, generateKeyPair } from 'wimse-ect';
 * import { createECTFetch, type ECTFetchOptions } from 'wimse-ect/http';
 *
 * const me = generateKeyPair();
 * const service = generateKeyPair();
 * const options: ECTFetchOptions = {
 *   identity: { iss: 'spiffe://example.org/shop', key: me.privateJwk },
 *   verifier: createVerifier({
 *     audience: 'spiffe://example.org/shop',
 *     keys: { keys: [service.publicJwk] },
 *   }),
 *   responseBinding: true, // the response ECT's out_hash must be the response body's hash
 * };
 * const ectFetch = createECTFetch(options);
 * ```
 */
export interface ECTFetchOptions {
  /** The caller's identity and key: `iss` and signer of its ECTs. */
  readonly identity: SignerIdentity;
  /** Verifies response ECTs (HTTP-5); without it they are returned unverified as `responseToken` only. */
  readonly verifier?: Verifier | VerifyOptions;
  /** HTTP-3: most bytes of an `Execution-Context` value sent or received (default 8 KiB). */
  readonly maxHeaderSize?: number;
  /** IDB-3: a Workload Identity Token sent with every request (WIMSE profile). */
  readonly workloadIdentityToken?: string;
  /** Also check a response ECT's `out_hash` against the response body, read up to `maxBytes`. */
  readonly responseBinding?: boolean | { readonly maxBytes?: number };
  /**
   * HTTP-6: a token larger than `maxHeaderSize` is sent in the body (alone, or `multipart/mixed`
   * before the content) instead of the header. Default `true`; `false` throws `ECT_TOO_LARGE`.
   */
  readonly bodyFallback?: boolean;
  /** The underlying fetch (default: the global one). */
  readonly fetch?: typeof fetch;
}

/**
 * The task the request carries: the claims of the caller's ECT besides `iss` and `out_hash`.
 *
 * @example
 * ```ts
 * import { randomUUID } from 'node:crypto';
 * import type { RequestTask } from 'wimse-ect/http';
 *
 * const task: RequestTask = {
 *   aud: 'spiffe://example.org/orders',
 *   exec_act: 'place_order',
 *   wid: randomUUID(),
 *   pred: ['6f1c0e0a-1b2c-4d3e-8f40-5a6b7c8d9e01'],
 * };
 * ```
 */
export interface RequestTask {
  readonly aud: ECTInput['aud'];
  readonly exec_act: string;
  readonly pred?: readonly string[];
  readonly jti?: string;
  readonly wid?: string;
  readonly inp_hash?: string;
  readonly ect_ext?: Readonly<Record<string, unknown>>;
  /** Other claims are sent as given (CLM-11). */
  readonly [claim: string]: unknown;
}

/**
 * A request: `RequestInit` with a body the wrapper can hash, and the task to send.
 *
 * @example
 * ```ts
 * import { generateKeyPair } from 'wimse-ect';
 * import { createECTFetch, type ECTRequestInit } from 'wimse-ect/http';
 *
 * const ectFetch = createECTFetch({
 *   identity: { iss: 'spiffe://example.org/shop', key: generateKeyPair().privateJwk },
 * });
 * const init: ECTRequestInit = {
 *   method: 'POST',
 *   headers: { 'content-type': 'application/json' },
 *   body: '{"order":42}', // hashed into out_hash, sent as it is
 *   ect: { aud: 'spiffe://example.org/orders', exec_act: 'place_order' },
 * };
 * const { response } = await ectFetch('https://orders.example.org/orders', init);
 * ```
 */
export interface ECTRequestInit extends Omit<RequestInit, 'body'> {
  readonly body?: string | Uint8Array | ArrayBuffer | null;
  readonly ect: RequestTask;
}

/**
 * What `ECTFetch` returns.
 *
 * @example
 * ```ts
 * import type { ECTFetchResult } from 'wimse-ect/http';
 *
 * function summary(result: ECTFetchResult): string {
 *   const answer = result.responseECT?.claims;
 *   const by = answer?.iss ?? 'nobody';
 *   return `${result.response.status}: sent task ${result.claims.jti}, answered by ${by}`;
 * }
 * ```
 */
export interface ECTFetchResult {
  readonly response: Response;
  /** The caller's ECT as sent, and its claims. */
  readonly token: string;
  /** Where the ECT travelled: the header, or the body (HTTP-6) when too large for the header. */
  readonly carrier: 'header' | 'body';
  readonly claims: ECTClaims;
  /** The callee's ECT, as received (`undefined` when it sent none). */
  readonly responseToken: string | undefined;
  /** The callee's ECT, verified, when a verifier is configured. */
  readonly responseECT: VerifiedECT | undefined;
}

/**
 * A fetch that sends ECTs.
 *
 * @example
 * ```ts
 * import { generateKeyPair } from 'wimse-ect';
 * import { createECTFetch, type ECTFetch } from 'wimse-ect/http';
 *
 * const ectFetch: ECTFetch = createECTFetch({
 *   identity: { iss: 'spiffe://example.org/shop', key: generateKeyPair().privateJwk },
 * });
 * const { response, token } = await ectFetch('https://orders.example.org/orders', {
 *   ect: { aud: 'spiffe://example.org/orders', exec_act: 'list_orders' },
 * });
 * ```
 */
export type ECTFetch = (input: string | URL, init: ECTRequestInit) => Promise<ECTFetchResult>;

function bodyBytes(body: ECTRequestInit['body']): Uint8Array | string {
  if (body === undefined || body === null) return '';
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  throw new ECTConfigError(
    'body',
    'the ECT fetch wrapper hashes the body it sends: give a string, Uint8Array or ArrayBuffer',
  );
}

/**
 * Builds the wrapper; keys, limits and the response verifier are prepared once.
 *
 * @example
 * ```ts
 * import { createVerifier, generateKeyPair } from 'wimse-ect';
 * import { createECTFetch } from 'wimse-ect/http';
 *
 * const shop = generateKeyPair();
 * const orders = generateKeyPair(); // the service's public key, for its response ECTs
 * const ectFetch = createECTFetch({
 *   identity: { iss: 'spiffe://example.org/shop', key: shop.privateJwk },
 *   verifier: createVerifier({
 *     audience: 'spiffe://example.org/shop',
 *     keys: { keys: [orders.publicJwk] },
 *   }),
 * });
 * // Signs an ECT for the request (out_hash: the body's hash), verifies the one that comes back.
 * const { response, claims, responseECT } = await ectFetch('https://orders.example.org/orders', {
 *   method: 'POST',
 *   body: '{"order":42}',
 *   ect: { aud: 'spiffe://example.org/orders', exec_act: 'place_order' },
 * });
 * console.log(response.status, responseECT?.claims.pred.includes(claims.jti));
 * ```
 */
export function createECTFetch(options: ECTFetchOptions): ECTFetch {
  const { identity } = options;
  if (typeof identity !== 'object' || identity === null || typeof identity.iss !== 'string')
    throw new ECTConfigError('identity', 'the caller needs an identity (iss) and a key');
  const maxHeaderSize = headerLimit(options);
  const verifier =
    options.verifier === undefined
      ? undefined
      : typeof (options.verifier as Verifier).verify === 'function'
        ? (options.verifier as Verifier)
        : createVerifier(options.verifier as VerifyOptions);
  const binding = options.responseBinding;
  const responseMaxBytes =
    binding === undefined || binding === false
      ? undefined
      : bodyLimit(binding === true ? undefined : binding.maxBytes, 'responseBinding.maxBytes');
  const doFetch = options.fetch ?? globalThis.fetch;
  const fallback = options.bodyFallback ?? true;

  return async (input, init) => {
    const { ect: task, body, ...rest } = init;
    const bytes = bodyBytes(body);
    const created = createECT(
      { ...task, iss: identity.iss, out_hash: hashBytes(bytes) },
      {
        key: identity.key,
        ...(identity.kid === undefined ? {} : { kid: identity.kid }),
        ...(identity.alg === undefined ? {} : { alg: identity.alg }),
        ...(identity.ttl === undefined ? {} : { ttl: identity.ttl }),
      },
    );
    // HTTP-6: the sender itself switches to the body when the header limit would be exceeded.
    const carrier = fallback && created.length > maxHeaderSize ? 'body' : 'header';
    const token = formatExecutionContext(created, {
      maxHeaderSize: carrier === 'body' ? created.length : maxHeaderSize,
    });
    const headers = new Headers(rest.headers);
    let sent: Uint8Array | string | undefined =
      body === undefined || body === null ? undefined : bytes;
    if (carrier === 'header') headers.set(EXECUTION_CONTEXT_HEADER, token);
    else {
      headers.delete(EXECUTION_CONTEXT_HEADER);
      const content =
        sent === undefined
          ? undefined
          : {
              contentType:
                headers.get('content-type') ??
                (typeof sent === 'string'
                  ? 'text/plain;charset=UTF-8'
                  : 'application/octet-stream'),
              bytes: typeof sent === 'string' ? Buffer.from(sent) : sent,
            };
      const encoded = encodeECTBody(token, content);
      headers.set('content-type', encoded.contentType);
      sent = encoded.body;
    }
    if (options.workloadIdentityToken !== undefined)
      headers.set(WORKLOAD_IDENTITY_HEADER, options.workloadIdentityToken);
    const response = await doFetch(input, {
      ...rest,
      headers,
      ...(sent === undefined ? {} : { body: sent }),
    });
    const claims = parseToken(token).payload as unknown as ECTClaims;
    const responseToken = readExecutionContext(response.headers.get(EXECUTION_CONTEXT_HEADER), {
      maxHeaderSize,
    });
    if (responseToken === undefined || verifier === undefined)
      return { response, token, carrier, claims, responseToken, responseECT: undefined };
    // IDB-3: the responder's WIT travels beside its response ECT.
    const responseWit = response.headers.get(WORKLOAD_IDENTITY_HEADER) ?? undefined;
    // HTTP-4 on the response: the verifier expects the response body's hash as out_hash.
    const received =
      responseMaxBytes === undefined
        ? undefined
        : hashBytes(await readWebBody(response.clone().body, { maxBytes: responseMaxBytes }));
    const responseECT = await verifier.verify(responseToken, {
      ...(responseWit === undefined ? {} : { workloadIdentityToken: responseWit }),
      ...(received === undefined ? {} : { expect: { out_hash: received } }),
    });
    // HTTP-5: the callee's task follows the caller's (CLM-5: UUIDs compare lowercase).
    if (!responseECT.claims.pred.some((p) => sameId(p, claims.jti))) {
      throw new ECTError(
        'ECT_CLAIM_INVALID',
        `the response ECT does not list the request's task ${claims.jti} in pred (HTTP-5)`,
        { member: 'pred', claims: responseECT.claims },
      );
    }
    // A custom Verifier may not know `expect`: the binding must hold whatever verified it.
    if (received !== undefined && responseECT.claims.out_hash !== received) {
      const message = "the response ECT's out_hash is not the SHA-256 of the response body";
      throw new ECTError('ECT_CLAIM_INVALID', message, { member: 'out_hash' });
    }
    return { response, token, carrier, claims, responseToken, responseECT };
  };
}
