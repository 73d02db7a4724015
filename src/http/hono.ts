/**
 * The Hono middleware (`wimse-ect/hono`). Imports only Hono's types, so loading it never loads
 * Hono. The verified ECT is `c.get('ect')`; the middleware's type carries the `ect` variable into
 * the handlers of its route (`app.post('/x', ect, (c) => c.get('ect').verified.claims.jti)`), and
 * `ECTVariables` is the type for `new Hono<{ Variables: ECTVariables }>()`. Body binding (HTTP-4)
 * and the HTTP-6 fallback read a clone of the request, bounded, so `c.req.json()` and the other
 * body readers of the route still work.
 * @module wimse-ect/hono
 */
import type { Context, MiddlewareHandler, Next } from 'hono';
import { BodyConsumedError, readWebBody } from './body.js';
import { problemResponse } from './fetch.js';
import {
  ECTRejectionError,
  errorsMode,
  setupProblem,
  type ECTAdapterOptions,
  type ECTContext,
  type ECTHandler,
  type ECTMiddlewareOptions,
  type ECTRequestInput,
  type RouteECTOptions,
  type VerifiedECTContext,
} from './handler.js';
import { EXECUTION_CONTEXT_HEADER, WORKLOAD_IDENTITY_HEADER } from './header.js';
import { coreHandler } from './node.js';
import { BodyTooLargeError, PROBLEM_CONTENT_TYPE } from './problem.js';

export { ECTRejectionError } from './handler.js';

/**
 * The Hono variables of a route whose ECT middleware requires a token: `c.get('ect')` is a
 * `VerifiedECTContext`, so `c.get('ect').verified.claims` needs no `?.`.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono';
 * import { createVerifier } from 'wimse-ect';
 * import { ectHono, type ECTVariables } from 'wimse-ect/hono';
 *
 * const app = new Hono<{ Variables: ECTVariables }>();
 * const verifier = createVerifier({ audience: 'spiffe://example.org/b', minLevel: 1 });
 * app.use(ectHono({ verifier }));
 * app.post('/tasks', (c) => c.json({ task: c.get('ect').verified.claims.jti }));
 * ```
 */
export type ECTVariables = { ect: VerifiedECTContext };

/**
 * The Hono variables of a route whose ECT middleware accepts requests without a token
 * (`required: false`): `c.get('ect').verified` may be `undefined`.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono';
 * import { createVerifier } from 'wimse-ect';
 * import { ectHono, type OptionalECTVariables } from 'wimse-ect/hono';
 *
 * const app = new Hono<{ Variables: OptionalECTVariables }>();
 * const verifier = createVerifier({ audience: 'spiffe://example.org/b', minLevel: 1 });
 * const ect = ectHono({ verifier });
 * app.use(ect.forRoute({ required: false }));
 * app.get('/status', (c) => c.text(c.get('ect').verified?.claims.iss ?? 'anonymous'));
 * ```
 */
export type OptionalECTVariables = { ect: ECTContext };

/**
 * The Hono environment a middleware adds: `ECTVariables` when it requires a token (the
 * default), `OptionalECTVariables` otherwise.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono';
 * import type { ECTEnv } from 'wimse-ect/hono';
 *
 * const required = new Hono<ECTEnv>(); // c.get('ect').verified is always there
 * const optional = new Hono<ECTEnv<false>>(); // c.get('ect').verified may be undefined
 * ```
 */
export type ECTEnv<Required extends boolean = true> = {
  Variables: Required extends true ? ECTVariables : OptionalECTVariables;
};

/**
 * Options of `ectHono`: the middleware options (or an existing core handler) and `errors`
 * (`'framework'`: a rejection is thrown as an `ECTRejectionError`, for `app.onError`).
 *
 * @example
 * ```ts
 * import { createVerifier } from 'wimse-ect';
 * import { ectHono, type HonoECTOptions } from 'wimse-ect/hono';
 *
 * const options: HonoECTOptions = {
 *   verifier: createVerifier({ audience: 'spiffe://example.org/b', minLevel: 1 }),
 *   bodyBinding: true,
 *   errors: 'framework',
 * };
 * const ect = ectHono(options);
 * ```
 */
export type HonoECTOptions = (ECTMiddlewareOptions | { readonly handler: ECTHandler }) &
  ECTAdapterOptions;

/**
 * The Hono middleware, with per-route variants that share its verifier. `Required` is `true`
 * when it refuses requests without an ECT (the default), `false` for `required: false`,
 * `boolean` when the type cannot tell (a core handler passed in).
 *
 * @example
 * ```ts
 * import { Hono } from 'hono';
 * import { createVerifier } from 'wimse-ect';
 * import { ectHono, type HonoECTMiddleware } from 'wimse-ect/hono';
 *
 * const ect: HonoECTMiddleware = ectHono({
 *   verifier: createVerifier({ audience: 'spiffe://example.org/b', minLevel: 1 }),
 * });
 * const app = new Hono();
 * app.post('/tasks', ect, (c) => c.text(`task ${c.get('ect').verified.claims.jti}`));
 * app.put('/files/:name', ect.forRoute({ bodyBinding: { maxBytes: 16 << 20 } }), (c) =>
 *   c.text(`stored ${c.req.param('name')}`),
 * );
 * ```
 */
export interface HonoECTMiddleware<Required extends boolean = true> extends MiddlewareHandler<
  ECTEnv<Required>
> {
  readonly handler: ECTHandler;
  /** The same middleware (same verifier and replay cache), accepting requests without an ECT. */
  forRoute(route: RouteECTOptions & { readonly required: false }): HonoECTMiddleware<false>;
  /** The same middleware (same verifier and replay cache) with other route settings. */
  forRoute(route: RouteECTOptions & { readonly required?: true }): HonoECTMiddleware<true>;
  /** The same middleware with route settings whose `required` is only known at run time. */
  forRoute(route: RouteECTOptions): HonoECTMiddleware<boolean>;
}

/** Hono's body caches a route may have filled before the middleware ran (`c.req.bodyCache`). */
const EXACT_CACHES = ['arrayBuffer', 'blob', 'text'] as const;

/**
 * The body of a Hono request, at most `maxBytes`. Normally a clone of the raw request is read, so
 * the route still reads the body. When a middleware before this one already read it, Hono's cache
 * holds it: kept bytes or text (UTF-8 again, the bytes as sent unless they carried a BOM) serve;
 * parsed form data cannot give the bytes back, and that is a setup mistake (HTTP-4).
 */
async function readHonoBody(c: Context, maxBytes: number): Promise<Uint8Array> {
  const request = c.req.raw;
  if (request.bodyUsed) {
    const cache = c.req.bodyCache as Readonly<Record<string, unknown>>;
    if (!EXACT_CACHES.some((key) => cache[key] !== undefined)) throw new BodyConsumedError();
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    if (bytes.byteLength > maxBytes) throw new BodyTooLargeError(maxBytes);
    return bytes;
  }
  const declared = request.headers.get('content-length');
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) > maxBytes)
    throw new BodyTooLargeError(maxBytes);
  return readWebBody(request.clone().body, { maxBytes });
}

/** A 500 problem answer for a setup mistake the middleware can explain. */
function setupResponse(error: unknown): Response | undefined {
  const setup = setupProblem(error);
  if (setup === undefined) return undefined;
  return new Response(JSON.stringify(setup), {
    status: setup.status,
    headers: { 'Content-Type': PROBLEM_CONTENT_TYPE, 'Cache-Control': 'no-store' },
  });
}

function middleware<Required extends boolean>(
  core: ECTHandler,
  options: ECTAdapterOptions,
): HonoECTMiddleware<Required> {
  const framework = errorsMode(options) === 'framework';
  const run = async (c: Context<ECTEnv<Required>>, next: Next): Promise<Response | void> => {
    const sent: [name: string, value: string][] = [];
    const input: ECTRequestInput = {
      // Headers.get joins several field lines with ", ": the codec reads that as a list (HTTP-1).
      ect: c.req.raw.headers.get(EXECUTION_CONTEXT_HEADER),
      wit: c.req.raw.headers.get(WORKLOAD_IDENTITY_HEADER),
      contentType: c.req.raw.headers.get('content-type') ?? undefined,
      readBody: (limits) => readHonoBody(c, limits.maxBytes),
      setHeader: (name, value) => {
        sent.push([name, value]);
        c.header(name, value);
      },
    };
    let outcome;
    try {
      outcome = await core.handle(input);
    } catch (error) {
      const answer = framework ? undefined : setupResponse(error);
      if (answer === undefined) throw error;
      return answer;
    }
    if (!outcome.ok) {
      if (framework) throw new ECTRejectionError(outcome.problem, { cause: outcome.cause });
      return problemResponse(outcome.problem);
    }
    c.set('ect', outcome.context as ECTEnv<Required>['Variables']['ect']);
    await next();
    // A route that returns a Response of its own drops headers set before it: set them again
    // (the receipt, and a response ECT of HTTP-5).
    for (const [name, value] of sent) if (c.res.headers.get(name) !== value) c.header(name, value);
  };
  return Object.assign(run, {
    handler: core,
    forRoute: (route: RouteECTOptions) => middleware(core.forRoute(route), options),
  }) as HonoECTMiddleware<Required>;
}

/**
 * Hono middleware checking the request's ECT (profile section 10): a rejected request is answered
 * with a problem (HTTP-2) and never reaches the route; an accepted one finds its ECT at
 * `c.get('ect')`. The receipt and a response ECT made with `c.get('ect').respond()` are added to
 * the route's response.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono';
 * import { createVerifier, generateKeyPair } from 'wimse-ect';
 * import { ectHono } from 'wimse-ect/hono';
 *
 * const caller = generateKeyPair();
 * const ect = ectHono({
 *   verifier: createVerifier({
 *     audience: 'spiffe://example.org/b',
 *     keys: { keys: [caller.publicJwk] },
 *   }),
 *   bodyBinding: true, // HTTP-4: out_hash must be the SHA-256 of the body
 * });
 * const app = new Hono();
 * app.post('/tasks', ect, async (c) => {
 *   const body: unknown = await c.req.json(); // still readable after body binding
 *   return c.json({ task: c.get('ect').verified.claims.jti, body });
 * });
 * const response = await app.request('/tasks', { method: 'POST', body: '{}' });
 * console.log(response.status); // 403: no Execution-Context header
 * ```
 */
export function ectHono(
  options: HonoECTOptions & { readonly required: false },
): HonoECTMiddleware<false>;
export function ectHono(
  options: ECTMiddlewareOptions & { readonly required?: true } & ECTAdapterOptions,
): HonoECTMiddleware<true>;
export function ectHono(options: HonoECTOptions): HonoECTMiddleware<boolean>;
export function ectHono(options: HonoECTOptions): HonoECTMiddleware<boolean> {
  return middleware(coreHandler(options), options);
}
