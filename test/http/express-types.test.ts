/**
 * The Express and Hono typing of routes behind the ECT middleware. Most of this file is checked by
 * `npm run typecheck` (tsconfig.json covers test/): the sound uses compile, and every unsound one
 * is marked `@ts-expect-error`, which fails the typecheck if it ever compiles. The tests then run
 * the same routes to show the types tell the truth.
 */
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import express, { type Request, type Response } from 'express';
import { Hono } from 'hono';
import { hashBytes } from '../../src/format/hash.js';
import {
  ectExpress,
  type ECTRequest,
  type ECTRequestHandler,
  type ExpressECTMiddleware,
  type OptionalECTRequest,
} from '../../src/http/express.js';
import { ectHono, type ECTEnv, type HonoECTMiddleware } from '../../src/http/hono.js';
import { createECTHandler } from '../../src/http/index.js';
import { callerToken, listen, send, serverVerifier } from './support.js';

/** Builds (never runs) every typed form; returns the apps for the runtime checks. */
function typedRoutes(): { app: express.Express; hono: Hono } {
  const app = express();
  const ect = ectExpress({ verifier: serverVerifier(), bodyBinding: true });
  const required: ExpressECTMiddleware<true> = ect;
  const optional: ExpressECTMiddleware<false> = ect.forRoute({ required: false });
  // A core handler passed in: whether it requires a token is unknown to the types.
  const shared = ectExpress({ handler: createECTHandler({ verifier: serverVerifier() }) });

  // Required route: no `!`, no `?.`.
  app.post(
    '/x',
    required.with((req, res) => {
      res.send(req.ect.verified.claims.jti);
    }),
  );
  // A handler written apart, with the route's own Request typing, and a body parser in between.
  function review(req: ECTRequest<Request<{ id: string }>>, res: Response): void {
    res.json({ id: req.params.id, jti: req.ect.verified.claims.jti, body: req.body as unknown });
  }
  app.post('/reviews/:id', ect.with(express.json(), review));
  const handler: ECTRequestHandler = (req, res) => res.send(req.ect.token.length > 0);
  app.post('/token', ect.with(handler));
  // The plain middleware still works as before, with req.ect optional.
  app.post('/plain', ect, (req, res) => res.send(req.ect?.verified?.claims.jti));

  // Unsound: nothing proves the middleware ran before a handler typed with ECTRequest.
  // @ts-expect-error -- Express's handlers take Request, where req.ect is optional
  app.post('/unsound', ect, (req: ECTRequest, res: Response) => res.send(req.ect.verified.claims));
  // Unsound: an optional route may have no verified token.
  optional.with((req, res) => {
    // @ts-expect-error -- req.ect.verified is possibly undefined
    res.send(req.ect.verified.claims.jti);
  });
  app.get(
    '/status',
    optional.with((req: OptionalECTRequest, res) => {
      res.send(req.ect.verified?.claims.iss ?? 'anonymous');
    }),
  );
  shared.with((req, res) => {
    // @ts-expect-error -- a core handler may be optional
    res.send(req.ect.verified.claims.jti);
  });
  // @ts-expect-error -- required: false is not a required middleware
  const wrong: ExpressECTMiddleware<true> = ect.forRoute({ required: false });
  void wrong;

  // Hono: the middleware's variables reach the handlers of its route.
  const hono = new Hono();
  const honoECT = ectHono({ verifier: serverVerifier() });
  hono.post('/x', honoECT, (c) => c.text(c.get('ect').verified.claims.jti));
  const honoOptional: HonoECTMiddleware<false> = honoECT.forRoute({ required: false });
  hono.post('/open', honoOptional, (c) => {
    // @ts-expect-error -- an optional route may have no verified token
    return c.text(c.get('ect').verified.claims.jti);
  });
  // @ts-expect-error -- a route without the middleware has no ect variable
  hono.post('/none', (c) => c.text(String(c.get('ect'))));
  // @ts-expect-error -- required: false is not a required middleware
  const wrongHono: HonoECTMiddleware<true> = honoECT.forRoute({ required: false });
  void wrongHono;
  const typed = new Hono<ECTEnv>();
  typed.post('/y', (c) => c.text(c.get('ect').verified.claims.jti));
  return { app, hono };
}

describe('typed routes (Express ECTRequest, Hono ECTEnv)', () => {
  test('express: ect.with() runs the middleware first: req.ect.verified is there, the body parsed', async () => {
    const { app } = typedRoutes();
    const running = await listen(app.listen(0, '127.0.0.1'));
    try {
      const body = '{"a":1}';
      const token = callerToken({ out_hash: hashBytes(body) });
      const ok = await send(`${running.url}/reviews/7`, {
        body,
        headers: { 'execution-context': token },
      });
      assert.equal(ok.status, 200, ok.text);
      const answer = JSON.parse(ok.text) as { id: string; jti: string; body: unknown };
      assert.equal(answer.id, '7');
      assert.deepEqual(answer.body, { a: 1 });
      assert.match(answer.jti, /^[0-9a-f-]{36}$/);
      // Without a token the handler typed ECTRequest is never reached.
      const refused = await send(`${running.url}/reviews/7`, { body });
      assert.equal(refused.status, 403);
      assert.equal(
        (JSON.parse(refused.text) as { code: string }).code,
        'EXECUTION_CONTEXT_MISSING',
      );
      const status = await send(`${running.url}/status`, { method: 'GET' });
      assert.equal(status.text, 'anonymous');
    } finally {
      await running.close();
    }
  });

  test('hono: the route behind the middleware sees the verified ECT', async () => {
    const { hono } = typedRoutes();
    const token = callerToken();
    const response = await hono.request('/x', {
      method: 'POST',
      headers: { 'execution-context': token },
    });
    assert.equal(response.status, 200);
    assert.match(await response.text(), /^[0-9a-f-]{36}$/);
  });
});
