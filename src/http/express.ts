/**
 * The Express adapter (`wimse-ect/express`). Imports only Express's types, so loading it never loads
 * Express. The verified ECT is at `req.ect` (an `ECTContext`), like `req.user` of auth middleware.
 * @module wimse-ect/express
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { ECTContext, ECTHandler, ECTMiddlewareOptions, RouteECTOptions } from './handler.js';
import { coreHandler, nodeRequestInput, sendNodeProblem } from './node.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The request's ECT, set by the `wimse-ect/express` middleware. */
      ect?: ECTContext;
    }
  }
}

/**
 * The Express middleware, with per-route variants that share its verifier.
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
 * app.post('/tasks', ect, (req, res) => res.send(`task ${req.ect?.verified?.claims.jti}`));
 * app.get('/status', ect.forRoute({ required: false }), (req, res) =>
 *   res.send(req.ect?.token ? 'with ECT' : 'anonymous'),
 * );
 * ```
 */
export interface ExpressECTMiddleware extends RequestHandler {
  readonly handler: ECTHandler;
  /** The same middleware (same verifier and replay cache) with other route settings. */
  forRoute(route: RouteECTOptions): ExpressECTMiddleware;
}

function middleware(core: ECTHandler): ExpressECTMiddleware {
  const run = (req: Request, res: Response, next: NextFunction): void => {
    core.handle(nodeRequestInput(req, res)).then(
      (outcome) => {
        if (!outcome.ok) return sendNodeProblem(res, outcome.problem);
        req.ect = outcome.context;
        next();
      },
      // Failures that are not rejections (a setup mistake) go to Express's error handling.
      (error: unknown) => next(error),
    );
  };
  return Object.assign(run, {
    handler: core,
    forRoute: (route: RouteECTOptions) => middleware(core.forRoute(route)),
  });
}

/**
 * Express middleware checking the request's ECT (profile section 10). Mount it before body parsers
 * when body binding is on: it reads the body (bounded) and puts the bytes back for them.
 *
 * @example
 * ```ts
 * import express from 'express';
 * import { createVerifier, generateKeyPair } from 'wimse-ect';
 * import { ectExpress } from 'wimse-ect/express';
 *
 * const caller = generateKeyPair();
 * const app = express();
 * app.post(
 *   '/review',
 *   // Before the body parsers: with body binding it reads the body and puts it back for them.
 *   ectExpress({
 *     verifier: createVerifier({
 *       audience: 'spiffe://example.org/reviewer',
 *       keys: { keys: [caller.publicJwk] },
 *     }),
 *     bodyBinding: true,
 *   }),
 *   express.json(),
 *   (req, res) => res.json({ reviewed: req.body, task: req.ect?.verified?.claims.jti }),
 * );
 * app.listen(8080);
 * ```
 */
export function ectExpress(
  options: ECTMiddlewareOptions | { readonly handler: ECTHandler },
): ExpressECTMiddleware {
  return middleware(coreHandler(options));
}
