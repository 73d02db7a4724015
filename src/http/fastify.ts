/**
 * The Fastify adapter (`wimse-ect/fastify`): a plugin, registered with `app.register(ectFastify, options)`.
 * Imports only Fastify's types, so loading it never loads Fastify. The verified ECT is at
 * `request.ect` (a request decoration, `null` until set). Routes choose with their config:
 * `{ config: { ect: false } }` skips the check, `{ config: { ect: { required: false } } }` accepts
 * requests without an ECT, `{ config: { ect: { bodyBinding: true } } }` binds the body (HTTP-4).
 * @module wimse-ect/fastify
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { declaredLength, readStreamBody, replayStream } from './body.js';
import {
  ECTRejectionError,
  errorsMode,
  setupProblem,
  type ECTAdapterOptions,
  type ECTContext,
  type ECTHandler,
  type ECTMiddlewareOptions,
  type RouteECTOptions,
} from './handler.js';
import { EXECUTION_CONTEXT_HEADER, WORKLOAD_IDENTITY_HEADER } from './header.js';
import { ECT_MEDIA_TYPE, MULTIPART_MIXED } from './multipart.js';
import { coreHandler, nodeFieldLines } from './node.js';
import { PROBLEM_CONTENT_TYPE } from './problem.js';

export { ECTRejectionError } from './handler.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's ECT, set by the `wimse-ect/fastify` plugin (`null` on routes that skip it). */
    ect: ECTContext | null;
  }
  interface FastifyContextConfig {
    /** Per-route ECT settings; `false` skips the check. */
    ect?: RouteECTOptions | false;
  }
}

/**
 * Options of the plugin: the middleware options (or an existing core handler) and `errors`
 * (`'framework'`: a rejection is an `ECTRejectionError` for Fastify's error handler).
 *
 * @example
 * ```ts
 * import Fastify from 'fastify';
 * import { createVerifier } from 'wimse-ect';
 * import { ectFastify, type FastifyECTOptions } from 'wimse-ect/fastify';
 *
 * const options: FastifyECTOptions = {
 *   verifier: createVerifier({ audience: 'spiffe://example.org/b', minLevel: 1 }),
 * };
 * const app = Fastify();
 * await app.register(ectFastify, options);
 * ```
 */
export type FastifyECTOptions = (ECTMiddlewareOptions | { readonly handler: ECTHandler }) &
  ECTAdapterOptions;

type Done = (error: Error | null, payload?: Readable) => void;

/**
 * The plugin. It is not encapsulated (like `fastify-plugin`): its hook applies to every route of
 * the instance it is registered on. The check runs in `preParsing`, the only hook that sees the
 * raw body and may hand the parsers a new stream, so body binding leaves body parsing intact.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify';
 * import { createVerifier, generateKeyPair } from 'wimse-ect';
 * import { ectFastify } from 'wimse-ect/fastify';
 *
 * const caller = generateKeyPair();
 * const app = Fastify();
 * await app.register(ectFastify, {
 *   verifier: createVerifier({
 *     audience: 'spiffe://example.org/b',
 *     keys: { keys: [caller.publicJwk] },
 *   }),
 * });
 * app.post('/tasks', async (request) => ({ task: request.ect?.verified?.claims.jti }));
 * // Per route: skip the check, or change its settings.
 * app.get('/health', { config: { ect: false } }, async () => 'ok');
 * app.post('/upload', { config: { ect: { bodyBinding: true } } }, async () => 'stored');
 * await app.listen({ port: 8080 });
 * ```
 */
export function ectFastify(
  instance: FastifyInstance,
  options: FastifyECTOptions,
  done: (error?: Error) => void,
): void {
  const core = coreHandler(options);
  const framework = errorsMode(options) === 'framework';
  // Route settings are checked once per route config, not per request.
  const routes = new WeakMap<object, ECTHandler>();
  const forRoute = (route: RouteECTOptions): ECTHandler => {
    let handler = routes.get(route);
    if (handler === undefined) {
      handler = core.forRoute(route);
      routes.set(route, handler);
    }
    return handler;
  };
  instance.decorateRequest('ect', null);
  // HTTP-6: fallback bodies reach the route as a Buffer (the whole body; the content part is in
  // `request.ect.content`), unless the application parses these media types itself.
  for (const type of [ECT_MEDIA_TYPE, MULTIPART_MIXED]) {
    if (!instance.hasContentTypeParser(type))
      instance.addContentTypeParser(type, { parseAs: 'buffer' }, (_request, body, parsed) => {
        parsed(null, body);
      });
  }
  // Callback style on purpose: a rejected request is answered here and `next` is never called
  // (with `errors: 'framework'` it gets the ECTRejectionError, for Fastify's error handler).
  instance.addHook(
    'preParsing',
    (request: FastifyRequest, reply: FastifyReply, payload: Readable, next: Done): void => {
      const route = (request.routeOptions.config as { ect?: RouteECTOptions | false } | undefined)
        ?.ect;
      if (route === false) return next(null, payload);
      const handler = route === undefined ? core : forRoute(route);
      let body: Buffer | undefined;
      handler
        .handle({
          ect: nodeFieldLines(request.raw, EXECUTION_CONTEXT_HEADER),
          contentType: request.raw.headers['content-type'],
          wit: nodeFieldLines(request.raw, WORKLOAD_IDENTITY_HEADER),
          readBody: async (limits) =>
            (body = await readStreamBody(payload, {
              ...limits,
              declaredLength: declaredLength(request.raw),
            })),
          setHeader: (name, value) => {
            void reply.header(name, value);
          },
        })
        .then(
          (outcome) => {
            if (outcome.ok) {
              request.ect = outcome.context;
              return next(null, body === undefined ? payload : replayStream(body));
            }
            const { problem, cause } = outcome;
            // The unread rest of an oversized body is not drained: the connection is closed.
            if (problem.status === 413) void reply.header('connection', 'close');
            if (framework) return next(new ECTRejectionError(problem, { cause }));
            void reply
              .code(problem.status)
              .header('content-type', PROBLEM_CONTENT_TYPE)
              .header('cache-control', 'no-store')
              .send(Buffer.from(JSON.stringify(problem)));
          },
          (error: unknown) => {
            const setup = framework ? undefined : setupProblem(error);
            if (setup === undefined)
              return next(error instanceof Error ? error : new Error(String(error)));
            void reply
              .code(setup.status)
              .header('content-type', PROBLEM_CONTENT_TYPE)
              .header('cache-control', 'no-store')
              .send(Buffer.from(JSON.stringify(setup)));
          },
        );
    },
  );
  done();
}

// fastify-plugin's convention, without depending on it: do not encapsulate, name the plugin.
Object.assign(ectFastify, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: 'ect',
});
