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
import type { VerifyOptions } from '../verify/options.js';
import { createVerifier, type VerifiedECT, type Verifier } from '../verify/verify.js';
import { bodyLimit, readWebBody } from './body.js';
import { EXECUTION_CONTEXT_HEADER, formatExecutionContext, headerLimit, readExecutionContext, WORKLOAD_IDENTITY_HEADER } from './header.js';
import type { SignerIdentity } from './respond.js';

/** Options of `createECTFetch`. */
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
  /** The underlying fetch (default: the global one). */
  readonly fetch?: typeof fetch;
}

/** The task the request carries: the claims of the caller's ECT besides `iss` and `out_hash`. */
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

/** A request: `RequestInit` with a body the wrapper can hash, and the task to send. */
export interface ECTRequestInit extends Omit<RequestInit, 'body'> {
  readonly body?: string | Uint8Array | ArrayBuffer | null;
  readonly ect: RequestTask;
}

/** What `ECTFetch` returns. */
export interface ECTFetchResult {
  readonly response: Response;
  /** The caller's ECT as sent, and its claims. */
  readonly token: string;
  readonly claims: ECTClaims;
  /** The callee's ECT, as received (`undefined` when it sent none). */
  readonly responseToken: string | undefined;
  /** The callee's ECT, verified, when a verifier is configured. */
  readonly responseECT: VerifiedECT | undefined;
}

/** A fetch that sends ECTs. */
export type ECTFetch = (input: string | URL, init: ECTRequestInit) => Promise<ECTFetchResult>;

function bodyBytes(body: ECTRequestInit['body']): Uint8Array | string {
  if (body === undefined || body === null) return '';
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  throw new ECTConfigError('body', 'the ECT fetch wrapper hashes the body it sends: give a string, Uint8Array or ArrayBuffer');
}

/** Builds the wrapper; keys, limits and the response verifier are prepared once. */
export function createECTFetch(options: ECTFetchOptions): ECTFetch {
  const { identity } = options;
  if (typeof identity !== 'object' || identity === null || typeof identity.iss !== 'string') throw new ECTConfigError('identity', 'the caller needs an identity (iss) and a key');
  const maxHeaderSize = headerLimit(options);
  const verifier = options.verifier === undefined ? undefined : typeof (options.verifier as Verifier).verify === 'function' ? (options.verifier as Verifier) : createVerifier(options.verifier as VerifyOptions);
  const binding = options.responseBinding;
  const responseMaxBytes = binding === undefined || binding === false ? undefined : bodyLimit(binding === true ? undefined : binding.maxBytes, 'responseBinding.maxBytes');
  const doFetch = options.fetch ?? globalThis.fetch;

  return async (input, init) => {
    const { ect: task, body, ...rest } = init;
    const bytes = bodyBytes(body);
    const token = formatExecutionContext(
      createECT(
        { ...task, iss: identity.iss, out_hash: hashBytes(bytes) },
        {
          key: identity.key,
          ...(identity.kid === undefined ? {} : { kid: identity.kid }),
          ...(identity.alg === undefined ? {} : { alg: identity.alg }),
          ...(identity.ttl === undefined ? {} : { ttl: identity.ttl }),
        },
      ),
      { maxHeaderSize },
    );
    const headers = new Headers(rest.headers);
    headers.set(EXECUTION_CONTEXT_HEADER, token);
    if (options.workloadIdentityToken !== undefined) headers.set(WORKLOAD_IDENTITY_HEADER, options.workloadIdentityToken);
    const response = await doFetch(input, { ...rest, headers, ...(body === undefined || body === null ? {} : { body: bytes }) });
    const claims = parseToken(token).payload as unknown as ECTClaims;
    const responseToken = readExecutionContext(response.headers.get(EXECUTION_CONTEXT_HEADER), { maxHeaderSize });
    if (responseToken === undefined || verifier === undefined) return { response, token, claims, responseToken, responseECT: undefined };
    // IDB-3: the responder's WIT travels beside its response ECT.
    const responseWit = response.headers.get(WORKLOAD_IDENTITY_HEADER) ?? undefined;
    // HTTP-4 on the response: the verifier expects the response body's hash as out_hash.
    const received = responseMaxBytes === undefined
      ? undefined
      : hashBytes(await readWebBody(response.clone().body, { maxBytes: responseMaxBytes }));
    const responseECT = await verifier.verify(responseToken, {
      ...(responseWit === undefined ? {} : { workloadIdentityToken: responseWit }),
      ...(received === undefined ? {} : { expect: { out_hash: received } }),
    });
    // HTTP-5: the callee's task follows the caller's.
    if (!responseECT.claims.pred.includes(claims.jti)) {
      throw new ECTError('ECT_CLAIM_INVALID', `the response ECT does not list the request's task ${claims.jti} in pred (HTTP-5)`, { member: 'pred', claims: responseECT.claims });
    }
    // A custom Verifier may not know `expect`: the binding must hold whatever verified it.
    if (received !== undefined && responseECT.claims.out_hash !== received) {
      const message = "the response ECT's out_hash is not the SHA-256 of the response body";
      throw new ECTError('ECT_CLAIM_INVALID', message, { member: 'out_hash' });
    }
    return { response, token, claims, responseToken, responseECT };
  };
}
