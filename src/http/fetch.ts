/**
 * The Fetch API adapter (`wimse-ect/fetch`): `Request` in, `Response` out, for any web-standard server
 * (Hono, Deno, Bun, workers, Node's own fetch handlers). The handler receives the `ECTContext` as
 * its second argument; code further down (a Hono route holding `c.req.raw`) finds it with
 * `ectOf(request)`.
 * @module wimse-ect/fetch
 */
import { readWebBody } from './body.js';
import {
  createECTHandler,
  type ECTContext,
  type ECTHandler,
  type ECTMiddlewareOptions,
} from './handler.js';
import { EXECUTION_CONTEXT_HEADER, WORKLOAD_IDENTITY_HEADER } from './header.js';
import {
  BodyTooLargeError,
  PROBLEM_CONTENT_TYPE,
  problemBody,
  type ProblemDetails,
} from './problem.js';

/**
 * A Fetch API handler that also receives the verified ECT.
 *
 * @example
 * ```ts
 * import { createVerifier } from 'wimse-ect';
 * import { ectFetchHandler, type FetchECTRequestHandler } from 'wimse-ect/fetch';
 *
 * const tasks: FetchECTRequestHandler = (request, ect) =>
 *   Response.json({ task: ect.verified?.claims.jti });
 * export default {
 *   fetch: ectFetchHandler(tasks, {
 *     verifier: createVerifier({ audience: 'spiffe://example.org/b', minLevel: 1 }),
 *   }),
 * };
 * ```
 */
export type FetchECTRequestHandler = (
  request: Request,
  ect: ECTContext,
) => Response | Promise<Response>;

/**
 * Options of the Fetch adapter: the middleware options, or an existing core handler.
 *
 * @example
 * ```ts
 * import { createVerifier } from 'wimse-ect';
 * import { ectFetchHandler, type FetchECTOptions } from 'wimse-ect/fetch';
 *
 * const options: FetchECTOptions = {
 *   verifier: createVerifier({ audience: 'spiffe://example.org/b', minLevel: 1 }),
 *   bodyBinding: true,
 * };
 * const handle = ectFetchHandler(async (request) => new Response(await request.text()), options);
 * ```
 */
export type FetchECTOptions = ECTMiddlewareOptions | { readonly handler: ECTHandler };

/**
 * The outcome of `checkFetchRequest`: the context and the headers to add to the response, or
 * the refusal.
 *
 * @example
 * ```ts
 * import { createECTHandler } from 'wimse-ect/http';
 * import { checkFetchRequest, type FetchECTCheck } from 'wimse-ect/fetch';
 *
 * const handler = createECTHandler({
 *   verifier: { audience: 'spiffe://example.org/b', minLevel: 1 },
 * });
 * async function guard(request: Request): Promise<Response | undefined> {
 *   const check: FetchECTCheck = await checkFetchRequest(request, { handler });
 *   return check.ok ? undefined : check.response; // the 403 problem, ready to send
 * }
 * ```
 */
export type FetchECTCheck =
  | { readonly ok: true; readonly context: ECTContext; readonly headers: Headers }
  | { readonly ok: false; readonly response: Response };

const contexts = new WeakMap<Request, ECTContext>();

/**
 * The ECT context of a request that passed `ectFetchHandler` or `checkFetchRequest`.
 *
 * @example
 * ```ts
 * import { createVerifier } from 'wimse-ect';
 * import { ectFetchHandler, ectOf } from 'wimse-ect/fetch';
 *
 * // Deeper in the application, from the request alone.
 * const whoCalled = (request: Request): string | undefined => ectOf(request)?.verified?.claims.iss;
 * const handle = ectFetchHandler((request) => new Response(`hello ${whoCalled(request)}`), {
 *   verifier: createVerifier({ audience: 'spiffe://example.org/b', minLevel: 1 }),
 * });
 * ```
 */
export function ectOf(request: Request): ECTContext | undefined {
  return contexts.get(request);
}

/**
 * A problem as a Fetch `Response` (HTTP-2).
 *
 * @example
 * ```ts
 * import { problemFor } from 'wimse-ect/http';
 * import { problemResponse } from 'wimse-ect/fetch';
 *
 * const refused: Response = problemResponse(problemFor('ECT_REPLAY'));
 * console.log(refused.status, refused.headers.get('content-type')); // 403 application/problem+json
 * ```
 */
export function problemResponse(problem: ProblemDetails): Response {
  const headers: Record<string, string> = {
    'Content-Type': PROBLEM_CONTENT_TYPE,
    'Cache-Control': 'no-store',
  };
  if (problem.status === 413) headers['Connection'] = 'close';
  return new Response(problemBody(problem), { status: problem.status, headers });
}

function declared(request: Request): number | undefined {
  const value = request.headers.get('content-length');
  return value !== null && /^\d+$/.test(value) ? Number(value) : undefined;
}

/**
 * Checks one request with a core handler. The handler's request stays untouched: body binding
 * reads a clone (bounded), so the original body is still there for the application.
 *
 * @example
 * ```ts
 * import { createECTHandler } from 'wimse-ect/http';
 * import { checkFetchRequest } from 'wimse-ect/fetch';
 *
 * const handler = createECTHandler({
 *   verifier: { audience: 'spiffe://example.org/b', minLevel: 1 },
 * });
 * // A framework's middleware (in Hono: c.req.raw and next()) around a route.
 * async function withECT(
 *   request: Request,
 *   route: (request: Request) => Promise<Response>,
 * ): Promise<Response> {
 *   const check = await checkFetchRequest(request, { handler });
 *   if (!check.ok) return check.response; // 403 problem
 *   const response = await route(request);
 *   check.headers.forEach((value, name) => response.headers.set(name, value)); // receipt, ECT
 *   return response;
 * }
 * ```
 */
export async function checkFetchRequest(
  request: Request,
  options: { readonly handler: ECTHandler },
): Promise<FetchECTCheck> {
  const headers = new Headers();
  const outcome = await options.handler.handle({
    // Headers.get joins several field lines with ", ": the codec rejects that as a list (HTTP-1).
    ect: request.headers.get(EXECUTION_CONTEXT_HEADER),
    wit: request.headers.get(WORKLOAD_IDENTITY_HEADER),
    contentType: request.headers.get('content-type') ?? undefined,
    readBody: async (limits) => {
      const length = declared(request);
      if (length !== undefined && length > limits.maxBytes)
        throw new BodyTooLargeError(limits.maxBytes);
      return readWebBody(request.clone().body, limits);
    },
    setHeader: (name, value) => headers.set(name, value),
  });
  if (!outcome.ok) return { ok: false, response: problemResponse(outcome.problem) };
  contexts.set(request, outcome.context);
  return { ok: true, context: outcome.context, headers };
}

/** Adds headers to a response; responses with immutable headers (from `fetch()`) are copied. */
function withHeaders(response: Response, headers: Headers): Response {
  let target = response;
  headers.forEach((value, name) => {
    try {
      target.headers.set(name, value);
    } catch {
      target = new Response(target.body, target);
      target.headers.set(name, value);
    }
  });
  return target;
}

/**
 * Wraps a Fetch handler: the ECT is checked first; a rejected request gets a problem response and
 * never reaches `handler`. The receipt and a response ECT made with `ect.respond()` are added to
 * the handler's response.
 *
 * @example
 * ```ts
 * import { createVerifier, generateKeyPair } from 'wimse-ect';
 * import { ectFetchHandler } from 'wimse-ect/fetch';
 *
 * const caller = generateKeyPair();
 * // Deno.serve, Bun.serve, Cloudflare Workers, Hono: anything that speaks Request and Response.
 * const handle = ectFetchHandler(
 *   (request, ect) => Response.json({ task: ect.verified?.claims.jti }),
 *   {
 *     verifier: createVerifier({
 *       audience: 'spiffe://example.org/b',
 *       keys: { keys: [caller.publicJwk] },
 *     }),
 *   },
 * );
 * const response = await handle(new Request('https://b.example.org/tasks', { method: 'POST' }));
 * console.log(response.status); // 403: no Execution-Context header
 * ```
 */
export function ectFetchHandler(
  handler: FetchECTRequestHandler,
  options: FetchECTOptions,
): (request: Request) => Promise<Response> {
  const core = 'handler' in options ? options.handler : createECTHandler(options);
  return async (request) => {
    const check = await checkFetchRequest(request, { handler: core });
    if (!check.ok) return check.response;
    const response = await handler(request, check.context);
    return withHeaders(response, check.headers);
  };
}
