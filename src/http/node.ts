/**
 * The `node:http` adapter, and the Node request/response plumbing the Express adapter reuses.
 * The handler receives the request's `ECTContext` as its third argument.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readNodeBody } from './body.js';
import {
  createECTHandler,
  setupProblem,
  type ECTContext,
  type ECTHandler,
  type ECTMiddlewareOptions,
  type ECTRequestInput,
  type SetupProblemDetails,
} from './handler.js';
import { EXECUTION_CONTEXT_HEADER, WORKLOAD_IDENTITY_HEADER, type FieldLines } from './header.js';
import { PROBLEM_CONTENT_TYPE, type ProblemDetails } from './problem.js';

/**
 * A `node:http` request handler that also receives the verified ECT.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { createVerifier } from 'wimse-ect';
 * import { ectNodeHandler, type NodeECTRequestHandler } from 'wimse-ect/http';
 *
 * const tasks: NodeECTRequestHandler = (request, response, ect) => {
 *   response.end(`task ${ect.verified?.claims.jti} accepted`);
 * };
 * const verifier = createVerifier({ audience: 'spiffe://example.org/b', minLevel: 1 });
 * createServer(ectNodeHandler(tasks, { verifier })).listen(8080);
 * ```
 */
export type NodeECTRequestHandler = (
  request: IncomingMessage,
  response: ServerResponse,
  ect: ECTContext,
) => void | Promise<void>;

/**
 * Options of `ectNodeHandler`: the middleware options, or an existing core handler.
 *
 * @example
 * ```ts
 * import { createVerifier } from 'wimse-ect';
 * import { ectNodeHandler, type NodeECTOptions } from 'wimse-ect/http';
 *
 * const options: NodeECTOptions = {
 *   verifier: createVerifier({ audience: 'spiffe://example.org/b', minLevel: 1 }),
 *   onError: (error) => console.error('handler failed:', error), // the client gets a bare 500
 * };
 * const handler = ectNodeHandler((_request, response) => {
 *   response.end('ok');
 * }, options);
 * ```
 */
export type NodeECTOptions = (ECTMiddlewareOptions | { readonly handler: ECTHandler }) & {
  /** Called with failures other than rejections (a throwing handler); the client gets a bare 500. */
  readonly onError?: (error: unknown) => void;
};

/**
 * The field lines of a header. `headersDistinct` keeps each line apart (HTTP-1); `headers` joins
 * them with ", ", which the codec reads as a list. Requests made without a socket (Fastify's
 * `inject`, light-my-request) have no `headersDistinct`: their joined value is used.
 */
export function nodeFieldLines(request: IncomingMessage, name: string): FieldLines {
  const key = name.toLowerCase();
  return (
    (request.headersDistinct as IncomingMessage['headersDistinct'] | undefined)?.[key] ??
    request.headers[key]
  );
}

/**
 * The framework-neutral view of a Node request (every field line kept apart, HTTP-1).
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { createECTHandler, nodeRequestInput, sendNodeProblem } from 'wimse-ect/http';
 *
 * // The core handler by hand (what ectNodeHandler does), e.g. for a custom router.
 * const core = createECTHandler({ verifier: { audience: 'spiffe://example.org/b', minLevel: 1 } });
 * createServer(async (request, response) => {
 *   const outcome = await core.handle(nodeRequestInput(request, response));
 *   if (!outcome.ok) return sendNodeProblem(response, outcome.problem);
 *   response.end(`hello ${outcome.context.verified?.claims.iss}`);
 * }).listen(8080);
 * ```
 */
export function nodeRequestInput(
  request: IncomingMessage,
  response: ServerResponse,
): ECTRequestInput {
  return {
    ect: nodeFieldLines(request, EXECUTION_CONTEXT_HEADER),
    contentType: request.headers['content-type'],
    wit: nodeFieldLines(request, WORKLOAD_IDENTITY_HEADER),
    readBody: (options) => readNodeBody(request, options),
    setHeader: (name, value) => {
      response.setHeader(name, value);
    },
  };
}

/**
 * Answers a rejection (HTTP-2): status 403 (413 for an oversized body) and a problem body; or a
 * setup mistake the adapters can explain (500, `SetupProblemDetails`).
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { problemFor, sendNodeProblem } from 'wimse-ect/http';
 *
 * createServer((request, response) => {
 *   // A route that takes no anonymous calls: the same 403 problem the middleware sends.
 *   if (request.headers['execution-context'] === undefined)
 *     return sendNodeProblem(response, problemFor('EXECUTION_CONTEXT_MISSING'));
 *   response.end('ok');
 * }).listen(8080);
 * ```
 */
export function sendNodeProblem(
  response: ServerResponse,
  problem: ProblemDetails | SetupProblemDetails,
): void {
  const body = JSON.stringify(problem);
  response.statusCode = problem.status;
  response.setHeader('Content-Type', PROBLEM_CONTENT_TYPE);
  response.setHeader('Content-Length', Buffer.byteLength(body));
  response.setHeader('Cache-Control', 'no-store');
  // The unread rest of an oversized body is not drained: the connection is closed instead.
  if (problem.status === 413) response.setHeader('Connection', 'close');
  response.end(body);
}

/** The core handler of a middleware's options (built once). */
export function coreHandler(
  options: ECTMiddlewareOptions | { readonly handler: ECTHandler },
): ECTHandler {
  return 'handler' in options ? options.handler : createECTHandler(options);
}

/**
 * Wraps a `node:http` handler: the request's ECT is checked first; a rejected request is answered
 * with a problem and never reaches `handler`. Unexpected failures answer 500 without detail.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { createVerifier, generateKeyPair } from 'wimse-ect';
 * import { ectNodeHandler } from 'wimse-ect/http';
 *
 * const caller = generateKeyPair(); // the callers' public keys are what the verifier trusts
 * const server = createServer(
 *   ectNodeHandler(
 *     (request, response, ect) => {
 *       response.end(`${ect.verified?.claims.exec_act} accepted`);
 *     },
 *     {
 *       verifier: createVerifier({
 *         audience: 'spiffe://example.org/b',
 *         keys: { keys: [caller.publicJwk] },
 *       }),
 *     },
 *   ),
 * );
 * server.listen(8080);
 * ```
 */
export function ectNodeHandler(
  handler: NodeECTRequestHandler,
  options: NodeECTOptions,
): (request: IncomingMessage, response: ServerResponse) => void {
  const core = coreHandler(options);
  return (request, response) => {
    void (async (): Promise<void> => {
      const outcome = await core.handle(nodeRequestInput(request, response));
      if (!outcome.ok) return sendNodeProblem(response, outcome.problem);
      await handler(request, response, outcome.context);
    })().catch((error: unknown) => {
      options.onError?.(error);
      if (response.headersSent) {
        response.destroy();
        return;
      }
      const setup = setupProblem(error);
      if (setup !== undefined) return sendNodeProblem(response, setup);
      const body = JSON.stringify({
        type: 'about:blank',
        title: 'Internal Server Error',
        status: 500,
      });
      response
        .writeHead(500, {
          'Content-Type': PROBLEM_CONTENT_TYPE,
          'Content-Length': Buffer.byteLength(body),
        })
        .end(body);
    });
  };
}
