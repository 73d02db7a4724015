/**
 * The Express adapter (`wimse-ect/express`). Imports only Express's types, so loading it never loads
 * Express. The verified ECT is at `req.ect` (an `ECTContext`), like `req.user` of auth middleware.
 * Express's types cannot narrow `req` through a middleware, so `req.ect` is optional on every
 * route; `ect.with(handler)` types the handlers of a route that requires an ECT with `ECTRequest`,
 * where `req.ect.verified` needs no `!`.
 * @module wimse-ect/express
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import {
  ECTRejectionError,
  errorsMode,
  setupProblem,
  type ECTAdapterOptions,
  type ECTContext,
  type ECTHandler,
  type ECTMiddlewareOptions,
  type RouteECTOptions,
  type VerifiedECTContext,
} from './handler.js';
import { coreHandler, nodeRequestInput, sendNodeProblem } from './node.js';

export { captureRawBody } from './body.js';
export { ECTRejectionError } from './handler.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The request's ECT, set by the `wimse-ect/express` middleware. */
      ect?: ECTContext;
    }
  }
}

// A type-level brand: without it a middleware with `required: false` would pass for a required one
// (the generic `with` compares loosely).
declare const requiresECT: unique symbol;

/**
 * An Express request on a route whose ECT middleware requires a token: `req.ect` is there and
 * `req.ect.verified` is the verified ECT. `Req` carries the route's own typing (params, body).
 *
 * @example
 * ```ts
 * import express, { type Request, type Response } from 'express';
 * import { createVerifier } from 'wimse-ect';
 * import { ectExpress, type ECTRequest } from 'wimse-ect/express';
 *
 * const ect = ectExpress({
 *   verifier: createVerifier({ audience: 'spiffe://example.org/b', minLevel: 1 }),
 * });
 * function review(req: ECTRequest<Request<{ id: string }>>, res: Response): void {
 *   res.send(`review ${req.params.id} for task ${req.ect.verified.claims.jti}`);
 * }
 * const app = express();
 * app.post('/reviews/:id', ect.with(review));
 * ```
 */
export type ECTRequest<Req extends Request = Request> = Req & { readonly ect: VerifiedECTContext };

/**
 * An Express request on a route whose ECT middleware accepts requests without a token
 * (`required: false`): `req.ect` is there, `req.ect.verified` may be `undefined`.
 *
 * @example
 * ```ts
 * import express from 'express';
 * import { createVerifier } from 'wimse-ect';
 * import { ectExpress, type OptionalECTRequest } from 'wimse-ect/express';
 *
 * const ect = ectExpress({
 *   verifier: createVerifier({ audience: 'spiffe://example.org/b', minLevel: 1 }),
 * });
 * const app = express();
 * app.get(
 *   '/status',
 *   ect.forRoute({ required: false }).with((req: OptionalECTRequest, res) => {
 *     res.send(req.ect.verified === undefined ? 'anonymous' : req.ect.verified.claims.iss);
 *   }),
 * );
 * ```
 */
export type OptionalECTRequest<Req extends Request = Request> = Req & {
  readonly ect: ECTContext;
};

/**
 * A route handler after the ECT middleware: `ECTRequest` when the middleware requires a token,
 * `OptionalECTRequest` otherwise (`Required` is `boolean` when that is not known).
 *
 * @example
 * ```ts
 * import type { ECTRequestHandler } from 'wimse-ect/express';
 *
 * const tasks: ECTRequestHandler = (req, res) => {
 *   res.json({ task: req.ect.verified.claims.jti, by: req.ect.verified.claims.iss });
 * };
 * const status: ECTRequestHandler<false> = (req, res) => {
 *   res.json({ anonymous: req.ect.verified === undefined });
 * };
 * ```
 */
export type ECTRequestHandler<Required extends boolean = true, Req extends Request = Request> = (
  req: Required extends true ? ECTRequest<Req> : OptionalECTRequest<Req>,
  res: Response,
  next: NextFunction,
) => unknown;

/**
 * Options of `ectExpress`: the middleware options (or an existing core handler) and `errors`.
 *
 * @example
 * ```ts
 * import { createVerifier } from 'wimse-ect';
 * import { ectExpress, type ExpressECTOptions } from 'wimse-ect/express';
 *
 * const options: ExpressECTOptions = {
 *   verifier: createVerifier({ audience: 'spiffe://example.org/b', minLevel: 1 }),
 *   errors: 'framework', // rejections reach the app's error handler as ECTRejectionError
 * };
 * const ect = ectExpress(options);
 * ```
 */
export type ExpressECTOptions = (ECTMiddlewareOptions | { readonly handler: ECTHandler }) &
  ECTAdapterOptions;

/**
 * The Express middleware, with per-route variants that share its verifier. `Required` is `true`
 * when the middleware refuses requests without an ECT (the default), `false` for
 * `required: false`, `boolean` when the type cannot tell (a core handler passed in).
 *
 * @example
 * ```ts
 * import express from 'express';
 * import { createVerifier } from 'wimse-ect';
 * import { ectExpress, type ExpressECTMiddleware } from 'wimse-ect/express';
 *
 * const app = express();
 * const ect: ExpressECTMiddleware = ectExpress({
 *   verifier: createVerifier({ audience: 'spiffe://example.org/b', minLevel: 1 }),
 * });
 * // ect.with(...): the middleware, then handlers that see req.ect.verified without `!`.
 * app.post('/tasks', ect.with((req, res) => res.send(`task ${req.ect.verified.claims.jti}`)));
 * // Plain middleware works too, with req.ect optional as Express types it.
 * app.post('/legacy', ect, (req, res) => res.send(`task ${req.ect?.verified?.claims.jti}`));
 * app.get('/status', ect.forRoute({ required: false }), (req, res) =>
 *   res.send(req.ect?.token ? 'with ECT' : 'anonymous'),
 * );
 * ```
 */
export interface ExpressECTMiddleware<Required extends boolean = true> extends RequestHandler {
  readonly handler: ECTHandler;
  /** Type-level only: whether the middleware requires an ECT (never set at run time). */
  readonly [requiresECT]?: Required;
  /** The same middleware (same verifier and replay cache), accepting requests without an ECT. */
  forRoute(route: RouteECTOptions & { readonly required: false }): ExpressECTMiddleware<false>;
  /** The same middleware (same verifier and replay cache) with other route settings. */
  forRoute(route: RouteECTOptions & { readonly required?: true }): ExpressECTMiddleware<true>;
  /** The same middleware with route settings whose `required` is only known at run time. */
  forRoute(route: RouteECTOptions): ExpressECTMiddleware<boolean>;
  /**
   * This middleware followed by `handlers`, typed for what it guarantees: `req.ect` is set, and on
   * a route that requires an ECT `req.ect.verified` too. Body parsers fit in (`express.json()`
   * after the middleware still parses a bound body). Pass the result to a route.
   */
  // A property, not a method: method parameters are bivariant, and a middleware that lets
  // requests without an ECT through must not pass for one that refuses them.
  readonly with: <Req extends Request = Request>(
    ...handlers: readonly ECTRequestHandler<Required, Req>[]
  ) => RequestHandler[];
}

function middleware<Required extends boolean>(
  core: ECTHandler,
  options: ECTAdapterOptions,
): ExpressECTMiddleware<Required> {
  const framework = errorsMode(options) === 'framework';
  const run = (req: Request, res: Response, next: NextFunction): void => {
    core.handle(nodeRequestInput(req, res)).then(
      (outcome) => {
        if (outcome.ok) {
          req.ect = outcome.context;
          return next();
        }
        const { problem, cause } = outcome;
        if (!framework) return sendNodeProblem(res, problem);
        // The unread rest of an oversized body is not drained: ask for the connection to close.
        if (problem.status === 413) res.setHeader('Connection', 'close');
        next(new ECTRejectionError(problem, { cause }));
      },
      (error: unknown) => {
        // HTTP-4: a body consumed by a parser mounted first is explained to the operator.
        const setup = framework ? undefined : setupProblem(error);
        if (setup !== undefined) return sendNodeProblem(res, setup);
        // Other failures (a setup mistake, a bug) go to Express's error handling.
        next(error);
      },
    );
  };
  const self = Object.assign(run, {
    handler: core,
    forRoute: (route: RouteECTOptions) => middleware(core.forRoute(route), options),
    with: (...handlers: readonly ECTRequestHandler<Required>[]): RequestHandler[] => [
      self,
      // Sound by construction: these run only after `self` accepted the request and set req.ect.
      ...(handlers as unknown as readonly RequestHandler[]),
    ],
  });
  return self as ExpressECTMiddleware<Required>;
}

/**
 * Express middleware checking the request's ECT (profile section 10). Mount it before body parsers
 * when body binding is on: it reads the body (bounded) and puts the bytes back for them. After a
 * parser it uses the raw bytes the parser kept with `captureRawBody`; without them the request is
 * answered 500 with a problem naming the fix (`ECT_CONFIG_INVALID`), never passed unbound.
 *
 * @example
 * ```ts
 * import express from 'express';
 * import { createVerifier, generateKeyPair } from 'wimse-ect';
 * import { ectExpress } from 'wimse-ect/express';
 *
 * const caller = generateKeyPair();
 * const app = express();
 * const ect = ectExpress({
 *   verifier: createVerifier({
 *     audience: 'spiffe://example.org/reviewer',
 *     keys: { keys: [caller.publicJwk] },
 *   }),
 *   bodyBinding: true,
 * });
 * app.post(
 *   '/review',
 *   // The ECT middleware first: it reads the body to bind it, and puts it back for the parser.
 *   ect.with(express.json(), (req, res) =>
 *     res.json({ reviewed: req.body, task: req.ect.verified.claims.jti }),
 *   ),
 * );
 * app.listen(8080);
 * ```
 */
export function ectExpress(
  options: ExpressECTOptions & { readonly required: false },
): ExpressECTMiddleware<false>;
export function ectExpress(
  options: ECTMiddlewareOptions & { readonly required?: true } & ECTAdapterOptions,
): ExpressECTMiddleware<true>;
export function ectExpress(options: ExpressECTOptions): ExpressECTMiddleware<boolean>;
export function ectExpress(options: ExpressECTOptions): ExpressECTMiddleware<boolean> {
  return middleware(coreHandler(options), options);
}
