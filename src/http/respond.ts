/**
 * Response ECTs (HTTP-5): a server that performed a task answers with its own ECT, whose `pred`
 * is the caller's `jti`, `inp_hash` the hash of the request body and `out_hash` the hash of the
 * response body (CLM-9: the bytes as sent), in the response's `Execution-Context` field.
 * @module
 */
import type { Algorithm } from '../crypto/algorithms.js';
import type { KeyInput } from '../crypto/keys.js';
import { createECT, createSigner, type ECTSigner } from '../create/create.js';
import { ECTConfigError } from '../errors.js';
import { hashBytes } from '../format/hash.js';
import type { VerifiedECT } from '../verify/verify.js';
import { formatExecutionContext } from './header.js';

/**
 * Who signs ECTs over HTTP (response ECTs, client requests): a workload identity and its key.
 *
 * @example
 * ```ts
 * import { generateKeyPair } from 'wimse-ect';
 * import { createECTFetch, type SignerIdentity } from 'wimse-ect/http';
 *
 * const identity: SignerIdentity = {
 *   iss: 'spiffe://example.org/shop',
 *   key: generateKeyPair({ alg: 'EdDSA' }).privateJwk,
 *   ttl: 60,
 * };
 * const ectFetch = createECTFetch({ identity });
 * ```
 */
export interface SignerIdentity {
  /** The server's identity, `iss` of its ECTs (a SPIFFE ID in WIMSE deployments). */
  readonly iss: string;
  /** Its private key (JWK, PEM or `KeyObject`). */
  readonly key: KeyInput;
  readonly kid?: string;
  readonly alg?: Algorithm;
  /** Lifetime of response ECTs, seconds (default 600, CLM-4). */
  readonly ttl?: number;
  /** IDB-3: its WIT, sent in `Workload-Identity-Token` beside each response ECT (WIMSE profile). */
  readonly workloadIdentityToken?: string;
}

/**
 * A prepared signer for `identity` (key, `kid`, `alg` and lifetime resolved once), for the
 * integrations that sign on every call (MCP, A2A). An identity without `iss` is an
 * `ECTConfigError` (setting `identity`) with the message `missing`.
 */
export function identitySigner(options: {
  readonly identity: SignerIdentity;
  readonly missing: string;
}): ECTSigner {
  const { identity } = options;
  if (typeof identity !== 'object' || identity === null || typeof identity.iss !== 'string') {
    throw new ECTConfigError('identity', options.missing);
  }
  return createSigner({
    key: identity.key,
    ...(identity.kid === undefined ? {} : { kid: identity.kid }),
    ...(identity.alg === undefined ? {} : { alg: identity.alg }),
    ...(identity.ttl === undefined ? {} : { ttl: identity.ttl }),
  });
}

/**
 * What the handler says about the task it performed.
 *
 * @example
 * ```ts
 * import { createVerifier, generateKeyPair } from 'wimse-ect';
 * import { ectNodeHandler, type RespondInit } from 'wimse-ect/http';
 *
 * const server = generateKeyPair();
 * const handler = ectNodeHandler(
 *   (request, response, ect) => {
 *     const body = JSON.stringify({ status: 'shipped' });
 *     const init: RespondInit = { exec_act: 'ship_order', body, ect_ext: { carrier: 'post' } };
 *     ect.respond(init); // the response's Execution-Context: pred = the caller's task
 *     response.end(body);
 *   },
 *   {
 *     verifier: createVerifier({ audience: 'spiffe://example.org/orders', minLevel: 1 }),
 *     responder: { iss: 'spiffe://example.org/orders', key: server.privateJwk },
 *   },
 * );
 * ```
 */
export interface RespondInit {
  /** CLM-6: the action performed. */
  readonly exec_act: string;
  /** The response body exactly as it will be sent: its hash becomes `out_hash`. */
  readonly body: Uint8Array | string;
  /** Who will verify the response ECT (default: the caller, its `iss`). */
  readonly aud?: string | readonly string[];
  readonly ect_ext?: Readonly<Record<string, unknown>>;
  /** The task id (default: a new UUID). */
  readonly jti?: string;
  /** More predecessors, for a task that joins several (CLM-7); the caller's `jti` is always added. */
  readonly pred?: readonly string[];
}

/**
 * Options of `createResponseECT`.
 *
 * @example
 * ```ts
 * import { createECT, createVerifier, generateKeyPair } from 'wimse-ect';
 * import { createResponseECT, type ResponseECTOptions } from 'wimse-ect/http';
 *
 * const server = generateKeyPair();
 * const verifier = createVerifier({ audience: 'spiffe://example.org/b', minLevel: 1 });
 * const caller = await verifier.verify(
 *   createECT(
 *     { iss: 'spiffe://example.org/a', aud: 'spiffe://example.org/b', exec_act: 'ask' },
 *     { level: 1 },
 *   ),
 * );
 * const options: ResponseECTOptions = {
 *   caller,
 *   identity: { iss: 'spiffe://example.org/b', key: server.privateJwk },
 *   exec_act: 'answer',
 *   body: 'forty-two',
 * };
 * const token = createResponseECT(options);
 * ```
 */
export interface ResponseECTOptions extends RespondInit {
  /** The caller's verified ECT: `pred` is its `jti`, `wid` its `wid`. */
  readonly caller: VerifiedECT;
  readonly identity: SignerIdentity;
  /** `inp_hash`: the hash of the request body, when known (body binding computes it). */
  readonly requestBodyHash?: string | undefined;
  /** HTTP-3: the header size limit the token must fit (default 8 KiB). */
  readonly maxHeaderSize?: number;
}

/**
 * Creates the response ECT of HTTP-5 and checks that it fits the header (HTTP-3).
 *
 * @example
 * ```ts
 * import { createECT, createVerifier, generateKeyPair, parseToken } from 'wimse-ect';
 * import { createResponseECT } from 'wimse-ect/http';
 *
 * const server = generateKeyPair();
 * const verifier = createVerifier({ audience: 'spiffe://example.org/b', minLevel: 1 });
 * const input = { iss: 'spiffe://example.org/a', aud: 'spiffe://example.org/b', exec_act: 'ask' };
 * const caller = await verifier.verify(createECT(input, { level: 1 }));
 * // Outside a middleware (a queue consumer answering later): the same ECT ect.respond() makes.
 * const token = createResponseECT({
 *   caller,
 *   identity: { iss: 'spiffe://example.org/b', key: server.privateJwk },
 *   exec_act: 'answer',
 *   body: 'forty-two',
 * });
 * console.log(parseToken(token).payload['pred']); // [ the caller's jti ]
 * ```
 */
export function createResponseECT(options: ResponseECTOptions): string {
  const { caller, identity } = options;
  if (caller === undefined)
    throw new ECTConfigError(
      'caller',
      'a response ECT needs the verified ECT of the request (HTTP-5)',
    );
  const token = createECT(
    {
      iss: identity.iss,
      aud: options.aud ?? caller.claims.iss,
      exec_act: options.exec_act,
      pred: [...new Set([...(options.pred ?? []), caller.claims.jti])],
      ...(options.jti === undefined ? {} : { jti: options.jti }),
      ...(caller.claims.wid === undefined ? {} : { wid: caller.claims.wid }),
      ...(options.requestBodyHash === undefined ? {} : { inp_hash: options.requestBodyHash }),
      out_hash: hashBytes(options.body),
      ...(options.ect_ext === undefined ? {} : { ect_ext: options.ect_ext }),
    },
    {
      key: identity.key,
      ...(identity.kid === undefined ? {} : { kid: identity.kid }),
      ...(identity.alg === undefined ? {} : { alg: identity.alg }),
      ...(identity.ttl === undefined ? {} : { ttl: identity.ttl }),
    },
  );
  return formatExecutionContext(
    token,
    options.maxHeaderSize === undefined ? {} : { maxHeaderSize: options.maxHeaderSize },
  );
}
