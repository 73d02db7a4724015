/**
 * Serving this workload's public keys as a JWK Set (IDB-1, the other side of `remoteKeySet`), with
 * rotation: the set holds the current signing key, the next one (published before it signs, so
 * verifiers already hold it when the switch comes) and previous ones (until the tokens they
 * signed have expired). Only public members are ever served: each key is rebuilt from its public
 * half, whatever was passed in; `kid` is the RFC 7638 thumbprint. Responses carry
 * `application/jwk-set+json`, `Cache-Control: max-age` and a strong `ETag` (304 on a match).
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KeyObject } from 'node:crypto';
import type { JWK } from '../crypto/jwk.js';
import type { Algorithm } from '../crypto/algorithms.js';
import {
  defaultAlgorithmFor,
  importPublicKey,
  jwkThumbprint,
  keyFitsAlgorithm,
  type KeyInput,
} from '../crypto/keys.js';
import { ECTConfigError } from '../errors.js';
import { hashBytes } from '../format/hash.js';
import type { JWKSet } from '../identity/jwks.js';
import { numberSetting } from '../settings.js';

/**
 * RFC 7517 §8.5.1: the media type of a JWK Set.
 *
 * @example
 * ```ts
 * import { JWK_SET_CONTENT_TYPE } from 'wimse-ect/http';
 *
 * const response = await fetch('https://b.example.org/.well-known/jwks.json');
 * console.log(response.headers.get('content-type') === JWK_SET_CONTENT_TYPE);
 * ```
 */
export const JWK_SET_CONTENT_TYPE = 'application/jwk-set+json';

/**
 * How long verifiers and caches may keep a served set without asking again, by default (300 s).
 * Also the least time between publishing a next key and signing with it (see docs/http.md).
 *
 * @example
 * ```ts
 * import { generateKeyPair } from 'wimse-ect';
 * import { createJWKSHandler, DEFAULT_JWKS_CACHE_SECONDS } from 'wimse-ect/http';
 *
 * const jwks = createJWKSHandler({
 *   keys: { current: generateKeyPair().publicJwk },
 *   maxAgeSeconds: 2 * DEFAULT_JWKS_CACHE_SECONDS,
 * });
 * ```
 */
export const DEFAULT_JWKS_CACHE_SECONDS = 300;

/**
 * The keys of a rotation: `current` signs now; `next` will sign after the switch (published
 * ahead); `previous` signed before the switch and stays until its tokens have expired.
 *
 * @example
 * ```ts
 * import { generateKeyPair } from 'wimse-ect';
 * import type { JWKSKeys } from 'wimse-ect/http';
 *
 * const [a, b] = [generateKeyPair(), generateKeyPair()];
 * const before: JWKSKeys = { current: a.publicJwk, next: b.publicJwk }; // publish b first
 * const after: JWKSKeys = { current: b.publicJwk, previous: a.publicJwk }; // b signs; a lingers
 * const retired: JWKSKeys = { current: b.publicJwk }; // a's tokens have all expired
 * ```
 */
export interface JWKSKeys {
  /** The key that signs now (a private key is fine: only its public half is served). */
  readonly current: KeyInput;
  /** The key that signs after the next switch, published ahead of it. */
  readonly next?: KeyInput | undefined;
  /** Keys that signed before, kept until the tokens they signed have expired. */
  readonly previous?: KeyInput | readonly KeyInput[] | undefined;
}

/**
 * Options of `createJWKSHandler`.
 *
 * @example
 * ```ts
 * import { generateKeyPair } from 'wimse-ect';
 * import { createJWKSHandler, type JWKSHandlerOptions } from 'wimse-ect/http';
 *
 * const options: JWKSHandlerOptions = {
 *   keys: { current: generateKeyPair().publicJwk },
 *   maxAgeSeconds: 60,
 * };
 * const jwks = createJWKSHandler(options);
 * ```
 */
export interface JWKSHandlerOptions {
  readonly keys: JWKSKeys;
  /** `Cache-Control: max-age` of the served set, seconds (default 300). */
  readonly maxAgeSeconds?: number;
}

/**
 * A framework-neutral answer of the JWKS handler.
 *
 * @example
 * ```ts
 * import { generateKeyPair } from 'wimse-ect';
 * import { createJWKSHandler, type JWKSResponse } from 'wimse-ect/http';
 *
 * const jwks = createJWKSHandler({ keys: { current: generateKeyPair().publicJwk } });
 * const answer: JWKSResponse = jwks.respond({ method: 'GET', ifNoneMatch: jwks.etag });
 * console.log(answer.status); // 304
 * ```
 */
export interface JWKSResponse {
  readonly status: 200 | 304 | 405;
  readonly headers: Readonly<Record<string, string>>;
  /**
   * The set's JSON (UTF-8) for a 200 GET; empty otherwise. Bytes, not a string: a framework then
   * keeps the Content-Type as set (Fastify would add `; charset=utf-8` to a string).
   */
  readonly body: Uint8Array;
}

/**
 * The JWKS endpoint: a `node:http` handler (also an Express handler), with `fetch()` for Fetch API
 * servers and Hono, `respond()` for any other framework, and `setKeys()` for the next step of a
 * rotation.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify';
 * import { generateKeyPair } from 'wimse-ect';
 * import { createJWKSHandler, type JWKSHandler } from 'wimse-ect/http';
 *
 * const jwks: JWKSHandler = createJWKSHandler({ keys: { current: generateKeyPair().publicJwk } });
 * const app = Fastify();
 * app.get('/.well-known/jwks.json', (request, reply) => {
 *   const ifNoneMatch = request.headers['if-none-match'];
 *   const answer = jwks.respond({ method: request.method, ifNoneMatch });
 *   return reply.code(answer.status).headers(answer.headers).send(answer.body);
 * });
 * ```
 */
export interface JWKSHandler {
  (request: IncomingMessage, response: ServerResponse): void;
  /** The served set (public keys only), current key first. */
  readonly jwks: JWKSet;
  /** The strong entity tag of the served set. */
  readonly etag: string;
  /** The answer to a request: 200 with the set (GET, HEAD), 304 on a matching ETag, else 405. */
  respond(request: {
    readonly method?: string | undefined;
    readonly ifNoneMatch?: string | null | undefined;
  }): JWKSResponse;
  /** The answer as a Fetch `Response` (Hono: `(c) => jwks.fetch(c.req.raw)`). */
  fetch(request: Request): Response;
  /** Serves another set of keys from now on (the next step of a rotation). */
  setKeys(keys: JWKSKeys): void;
}

/** RFC 7518 §6: the public members of each key type, as node:crypto exports them. */
const PUBLIC_MEMBERS: Readonly<Record<string, readonly string[]>> = Object.assign(
  Object.create(null) as Record<string, readonly string[]>,
  { EC: ['kty', 'crv', 'x', 'y'], OKP: ['kty', 'crv', 'x'], RSA: ['kty', 'n', 'e'] },
);

function isJWK(input: KeyInput): input is JWK {
  return typeof input === 'object' && input !== null && !('asymmetricKeyType' in input);
}

/** One served key: rebuilt from the public half, `kid` the thumbprint, `alg` checked (HDR-2). */
function publicJWK(input: KeyInput, setting: string): JWK & { kid: string } {
  const key: KeyObject = importPublicKey(input, setting);
  const exported = key.export({ format: 'jwk' }) as Record<string, unknown>;
  const members = PUBLIC_MEMBERS[String(exported['kty'])];
  if (members === undefined)
    throw new ECTConfigError(setting, `key type ${String(exported['kty'])} cannot sign ECTs`);
  const kid = jwkThumbprint(key);
  const given = isJWK(input) ? input : undefined;
  if (given?.kid !== undefined && given.kid !== kid)
    throw new ECTConfigError(
      setting,
      `kid ${JSON.stringify(given.kid)} is not the RFC 7638 thumbprint of the key (${kid}); ` +
        'sign with kid = the thumbprint (generateKeyPair() without a kid gives one)',
    );
  const alg = (given?.alg as Algorithm | undefined) ?? defaultAlgorithmFor(key);
  if (alg !== undefined && !keyFitsAlgorithm(key, alg))
    throw new ECTConfigError(setting, `alg ${String(alg)} does not fit the key (HDR-2)`);
  const jwk: JWK & { kid: string } = { kid };
  for (const member of members) jwk[member] = exported[member];
  if (alg !== undefined) jwk.alg = alg;
  jwk.use = 'sig';
  return jwk;
}

/**
 * The public JWK Set of a rotation: current key first, then next, then previous ones; private
 * members are never copied (each key is rebuilt from its public half). For a set served as a
 * static file or from a CDN.
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * import { generateKeyPair } from 'wimse-ect';
 * import { publicJWKSet } from 'wimse-ect/http';
 *
 * const signing = generateKeyPair(); // kid = the RFC 7638 thumbprint
 * const set = publicJWKSet({ current: signing.privateJwk }); // only x, y, crv, kty, kid, alg, use
 * writeFileSync('jwks.json', JSON.stringify(set));
 * ```
 */
export function publicJWKSet(keys: JWKSKeys): JWKSet {
  if (typeof keys !== 'object' || keys === null || keys.current === undefined)
    throw new ECTConfigError('keys.current', 'the key that signs now is required');
  const previous =
    keys.previous === undefined
      ? []
      : Array.isArray(keys.previous)
        ? (keys.previous as readonly KeyInput[])
        : [keys.previous as KeyInput];
  const entries: [KeyInput, string][] = [
    [keys.current, 'keys.current'],
    ...(keys.next === undefined ? [] : [[keys.next, 'keys.next'] as [KeyInput, string]]),
    ...previous.map((key, i): [KeyInput, string] => [key, `keys.previous[${i}]`]),
  ];
  const seen = new Set<string>();
  const out: JWK[] = [];
  for (const [input, setting] of entries) {
    const jwk = publicJWK(input, setting);
    if (seen.has(jwk.kid))
      throw new ECTConfigError(setting, 'the same key is listed twice in the rotation');
    seen.add(jwk.kid);
    out.push(jwk);
  }
  return { keys: out };
}

/** RFC 9110 §13.1.2: does an If-None-Match value match this (strong) tag? Weak comparison. */
function matches(ifNoneMatch: string, etag: string): boolean {
  return ifNoneMatch
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .some((tag) => tag === '*' || tag === etag);
}

interface Served {
  readonly jwks: JWKSet;
  readonly body: Buffer;
  readonly etag: string;
}

const EMPTY = Buffer.alloc(0);

function serve(keys: JWKSKeys): Served {
  const jwks = publicJWKSet(keys);
  const body = Buffer.from(JSON.stringify(jwks));
  return { jwks, body, etag: `"${hashBytes(body)}"` };
}

/**
 * Builds the JWKS endpoint for a rotation (IDB-1). Works as a plain `node:http` handler and as an
 * Express handler; `fetch()` serves Fetch API servers and Hono, `respond()` anything else.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { generateKeyPair } from 'wimse-ect';
 * import { createJWKSHandler } from 'wimse-ect/http';
 *
 * const [a, b] = [generateKeyPair(), generateKeyPair()];
 * const jwks = createJWKSHandler({ keys: { current: a.publicJwk }, maxAgeSeconds: 300 });
 * createServer(jwks).listen(8080);
 * // Rotation, step 1: publish b; after max-age sign with b, a kept as previous; later retire a.
 * jwks.setKeys({ current: a.publicJwk, next: b.publicJwk });
 * ```
 */
export function createJWKSHandler(options: JWKSHandlerOptions): JWKSHandler {
  if (typeof options !== 'object' || options === null)
    throw new ECTConfigError('keys', 'createJWKSHandler needs { keys: { current } }');
  const maxAge = numberSetting({
    value: options.maxAgeSeconds,
    fallback: DEFAULT_JWKS_CACHE_SECONDS,
    setting: 'maxAgeSeconds',
    integer: true,
    unit: 'seconds',
  });
  let served = serve(options.keys);

  function respond(request: {
    readonly method?: string | undefined;
    readonly ifNoneMatch?: string | null | undefined;
  }): JWKSResponse {
    const method = (request.method ?? 'GET').toUpperCase();
    if (method !== 'GET' && method !== 'HEAD')
      return { status: 405, headers: { Allow: 'GET, HEAD' }, body: EMPTY };
    const cache = { 'Cache-Control': `public, max-age=${maxAge}`, ETag: served.etag };
    const { ifNoneMatch } = request;
    if (typeof ifNoneMatch === 'string' && matches(ifNoneMatch, served.etag))
      return { status: 304, headers: cache, body: EMPTY };
    const headers = {
      ...cache,
      'Content-Type': JWK_SET_CONTENT_TYPE,
      'Content-Length': String(served.body.length),
    };
    return { status: 200, headers, body: method === 'HEAD' ? EMPTY : served.body };
  }

  const handler = (request: IncomingMessage, response: ServerResponse): void => {
    const answer = respond({
      method: request.method,
      ifNoneMatch: request.headers['if-none-match'],
    });
    response.writeHead(answer.status, answer.headers).end(answer.body);
  };
  return Object.defineProperties(handler, {
    jwks: { get: () => served.jwks, enumerable: true },
    etag: { get: () => served.etag, enumerable: true },
    respond: { value: respond },
    fetch: {
      value: (request: Request): Response => {
        const answer = respond({
          method: request.method,
          ifNoneMatch: request.headers.get('if-none-match'),
        });
        // A 304 or HEAD answer has no body; Response refuses one for 304.
        const body = answer.body.length === 0 ? null : answer.body;
        return new Response(body, { status: answer.status, headers: answer.headers });
      },
    },
    setKeys: {
      value: (keys: JWKSKeys): void => {
        served = serve(keys);
      },
    },
  }) as JWKSHandler;
}
