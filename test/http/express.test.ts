import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import express from 'express';
import { ectExpress } from '../../src/http/express.js';
import { adapterSuite, answerTask, callerToken, listen, send, serverVerifier } from './support.js';

describe('Express adapter', () => {
  adapterSuite('express', async ({ task, optional }) => {
    const app = express();
    const ect = ectExpress(task);
    // The ECT middleware comes first and binds the body; express.json() after it still parses it.
    app.post('/task', ect, express.json(), (req, res) => {
      res.type('application/json').send(answerTask(req.ect!, req.body));
    });
    app.post('/optional', ect.forRoute({ required: false }), (req, res) => {
      res.json({ verified: req.ect?.verified !== undefined });
    });
    void optional;
    return listen(app.listen(0, '127.0.0.1'));
  });

  test('express HTTP-4: a body parser mounted before the middleware keeps rawBody, which body binding uses', async () => {
    const json = '{"a":1}';
    const app = express();
    app.use(express.json({ verify: (req, _res, buf) => Object.assign(req, { rawBody: buf }) }));
    app.post('/', ectExpress({ verifier: serverVerifier(), bodyBinding: true }), (req, res) => {
      res.json({ body: req.body as unknown, jti: req.ect?.verified?.claims.jti });
    });
    const running = await listen(app.listen(0, '127.0.0.1'));
    try {
      const { hashBytes } = await import('../../src/format/hash.js');
      const ok = await send(running.url, {
        body: json,
        headers: { 'execution-context': callerToken({ out_hash: hashBytes(json) }) },
      });
      assert.equal(ok.status, 200);
      assert.deepEqual((JSON.parse(ok.text) as { body: unknown }).body, { a: 1 });
      const bad = await send(running.url, {
        body: json,
        headers: { 'execution-context': callerToken({ out_hash: hashBytes('{}') }) },
      });
      assert.equal((JSON.parse(bad.text) as { code: string }).code, 'ECT_CLAIM_INVALID');
    } finally {
      await running.close();
    }
  });

  test('express HTTP-4: a body consumed without rawBody is a 500 problem naming the fix, never a pass', async () => {
    const app = express();
    app.use(express.json());
    app.post('/', ectExpress({ verifier: serverVerifier(), bodyBinding: true }), (_req, res) => {
      res.json({ reached: true });
    });
    const running = await listen(app.listen(0, '127.0.0.1'));
    try {
      const response = await send(running.url, {
        body: '{"a":1}',
        headers: { 'execution-context': callerToken() },
      });
      assert.equal(response.status, 500);
      assert.equal(response.headers['content-type'], 'application/problem+json');
      const problem = JSON.parse(response.text) as { code: string; detail: string };
      assert.equal(problem.code, 'ECT_CONFIG_INVALID');
      assert.match(problem.detail, /before body parsers/);
      assert.match(problem.detail, /captureRawBody/);
    } finally {
      await running.close();
    }
  });

  test("express HTTP-4: with errors: 'framework' the consumed body is an ECTConfigError for Express error handling", async () => {
    const app = express();
    app.use(express.json());
    const ect = ectExpress({ verifier: serverVerifier(), bodyBinding: true, errors: 'framework' });
    app.post('/', ect, (_req, res) => {
      res.json({});
    });
    app.use(
      (error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
        res
          .status(500)
          .json({ name: error.name, setting: (error as { setting?: string }).setting });
      },
    );
    const running = await listen(app.listen(0, '127.0.0.1'));
    try {
      const response = await send(running.url, {
        body: '{"a":1}',
        headers: { 'execution-context': callerToken() },
      });
      assert.equal(response.status, 500);
      assert.deepEqual(JSON.parse(response.text), {
        name: 'ECTConfigError',
        setting: 'bodyBinding',
      });
    } finally {
      await running.close();
    }
  });
});
