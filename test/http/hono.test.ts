/**
 * The Hono middleware (`wimse-ect/hono`) with real Hono: the adapter suite on a loopback server
 * (@hono/node-server), and `app.request()` for body caching, headers, typing and error handling.
 */
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { Hono } from 'hono';
import { hashBytes } from '../../src/format/hash.js';
import { ectHono, ECTRejectionError, type ECTVariables } from '../../src/http/hono.js';
import { createECTHandler, type ProblemDetails } from '../../src/http/index.js';
import {
  adapterSuite,
  answerTask,
  callerToken,
  listen,
  serveHono,
  serverKeys,
  SERVER,
  serverVerifier,
} from './support.js';

const json = '{"spec":"v1"}';

/** A POST through `app.request()` with an ECT bound to `body`. */
function post(
  app: Hono<never> | { request: Hono['request'] },
  init: { body?: string; token?: string | undefined; headers?: Record<string, string> } = {},
): Promise<Response> | Response {
  const body = init.body ?? json;
  const token = 'token' in init ? init.token : callerToken({ out_hash: hashBytes(body) });
  return app.request('/task', {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/json',
      ...(token === undefined ? {} : { 'execution-context': token }),
      ...init.headers,
    },
  });
}

async function problemOf(response: Response, code: string, status = 403): Promise<void> {
  assert.equal(response.status, status);
  assert.equal(response.headers.get('content-type'), 'application/problem+json');
  const problem = (await response.json()) as ProblemDetails;
  assert.equal(problem.code, code);
  assert.equal(problem.type, `urn:ect:error:${code}`);
}

describe('Hono middleware', () => {
  adapterSuite('hono', async ({ task, optional }) => {
    const app = new Hono();
    const ect = ectHono(task);
    // Body binding read a clone: c.req.json() still parses the body.
    app.post('/task', ect, async (c) => c.body(answerTask(c.get('ect'), await c.req.json())));
    app.post('/optional', ect.forRoute({ required: false }), (c) =>
      c.json({ verified: c.get('ect').verified !== undefined }),
    );
    void optional;
    // A real loopback server: Hono's own Node adapter.
    return listen(serveHono(app.fetch));
  });

  test('hono HTTP-4: after body binding c.req.json() and c.req.text() (cached), or c.req.raw, read the body', async () => {
    const app = new Hono();
    const ect = ectHono({ verifier: serverVerifier(), bodyBinding: true });
    app.post('/task', ect, async (c) => {
      const parsed: unknown = await c.req.json();
      const text = await c.req.text(); // Hono's body cache
      return c.json({ parsed, text, bodyHash: c.get('ect').bodyHash });
    });
    app.post('/raw', ect, async (c) => c.text(await c.req.raw.text()));
    const response = await post(app);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), {
      parsed: { spec: 'v1' },
      text: json,
      bodyHash: hashBytes(json),
    });
    const raw = await app.request('/raw', {
      method: 'POST',
      body: json,
      headers: { 'execution-context': callerToken({ out_hash: hashBytes(json) }) },
    });
    assert.equal(await raw.text(), json);
    await problemOf(
      await post(app, { body: json, token: callerToken({ out_hash: hashBytes('{}') }) }),
      'ECT_CLAIM_INVALID',
    );
  });

  test('hono HTTP-4: a body read before the middleware comes from Hono’s cache (bytes or text)', async () => {
    const app = new Hono();
    const ect = ectHono({ verifier: serverVerifier(), bodyBinding: true });
    app.use('/task', async (c, next) => {
      await c.req.json(); // caches the text and consumes the raw request
      await next();
    });
    app.post('/task', ect, async (c) => c.json({ task: c.get('ect').verified.claims.jti }));
    assert.equal((await post(app)).status, 200);
    await problemOf(
      await post(app, { token: callerToken({ out_hash: hashBytes('{}') }) }),
      'ECT_CLAIM_INVALID',
    );
    // Still bounded: the cached body is over the limit.
    const small = new Hono();
    small.use('/task', async (c, next) => {
      await c.req.arrayBuffer();
      await next();
    });
    small.post(
      '/task',
      ectHono({ verifier: serverVerifier(), bodyBinding: { maxBytes: 4 } }),
      (c) => c.text('never'),
    );
    await problemOf(await post(small), 'BODY_TOO_LARGE', 413);
  });

  test('hono HTTP-4: a body consumed without a cache of its bytes is a 500 problem naming the fix', async () => {
    const app = new Hono();
    app.use('/task', async (c, next) => {
      await c.req.raw.arrayBuffer(); // read past Hono: nothing cached
      await next();
    });
    app.post('/task', ectHono({ verifier: serverVerifier(), bodyBinding: true }), (c) =>
      c.text('never'),
    );
    const response = await post(app);
    assert.equal(response.status, 500);
    const problem = (await response.json()) as { code: string; detail: string };
    assert.equal(problem.code, 'ECT_CONFIG_INVALID');
    assert.match(problem.detail, /before body parsers/);
  });

  test('hono HTTP-5: the receipt and the response ECT reach a route that returns its own Response', async () => {
    const app = new Hono();
    const ect = ectHono({
      verifier: serverVerifier(),
      responder: { iss: SERVER, key: serverKeys.privateJwk },
    });
    app.post('/task', ect, (c) => {
      c.get('ect').respond({ exec_act: 'handle_task', body: 'done' });
      return new Response('done'); // not built with c: Hono would drop prepared headers
    });
    const response = await post(app);
    assert.equal(response.status, 200);
    assert.ok(response.headers.get('execution-context-receipt'));
    assert.match(response.headers.get('execution-context') ?? '', /^ey/);
  });

  test('hono HTTP-2: required routes refuse requests without an ECT; optional ones pass them', async () => {
    const app = new Hono();
    const ect = ectHono({ verifier: serverVerifier() });
    app.post('/task', ect, (c) => c.text('never'));
    app.post('/open', ect.forRoute({ required: false }), (c) =>
      c.text(c.get('ect').verified === undefined ? 'anonymous' : 'verified'),
    );
    await problemOf(await post(app, { token: undefined }), 'EXECUTION_CONTEXT_MISSING');
    await problemOf(await post(app, { token: 'abc.def' }), 'ECT_MALFORMED');
    const open = await app.request('/open', { method: 'POST', body: '' });
    assert.equal(await open.text(), 'anonymous');
  });

  test('hono: a typed app (Hono<{ Variables: ECTVariables }>) with app.use and a shared core handler', async () => {
    const core = createECTHandler({ verifier: serverVerifier() });
    const app = new Hono<{ Variables: ECTVariables }>();
    app.use('/task', ectHono({ handler: core }));
    app.post('/task', (c) => c.text(c.get('ect').verified.claims.exec_act));
    assert.equal(await (await post(app)).text(), 'send_task');
  });

  test("hono: errors: 'framework' throws an ECTRejectionError to app.onError with the exact code", async () => {
    const app = new Hono();
    const seen: { code: string; status: number; cause: string | undefined }[] = [];
    app.onError((error, c) => {
      if (!(error instanceof ECTRejectionError)) return c.text('other', 500);
      seen.push({
        code: error.code,
        status: error.status,
        cause: (error.cause as { code?: string } | undefined)?.code,
      });
      return c.json({ mine: error.code }, 418);
    });
    app.post(
      '/task',
      ectHono({ verifier: serverVerifier(), bodyBinding: true, errors: 'framework' }),
      (c) => c.text('never'),
    );
    const expired = callerToken({ out_hash: hashBytes(json), iat: 1_000, exp: 1_100 });
    const response = await post(app, { token: expired });
    assert.equal(response.status, 418);
    assert.deepEqual(await response.json(), { mine: 'ECT_EXPIRED' });
    await post(app, { token: undefined });
    assert.deepEqual(seen, [
      { code: 'ECT_EXPIRED', status: 403, cause: 'ECT_EXPIRED' },
      { code: 'EXECUTION_CONTEXT_MISSING', status: 403, cause: undefined },
    ]);
  });

  test("hono: errors: 'framework' without app.onError still answers the problem (HTTPException's getResponse)", async () => {
    const app = new Hono();
    app.post('/task', ectHono({ verifier: serverVerifier(), errors: 'framework' }), (c) =>
      c.text('never'),
    );
    await problemOf(await post(app, { token: 'abc.def' }), 'ECT_MALFORMED');
  });

  test('hono: loading the module does not load Hono (type imports only)', async () => {
    const { readFileSync } = await import('node:fs');
    const source = readFileSync(new URL('../../src/http/hono.ts', import.meta.url), 'utf8');
    const imports = [...source.matchAll(/^import (type )?.* from '([^']+)';$/gm)];
    const hono = imports.filter((match) => match[2]!.startsWith('hono'));
    assert.ok(hono.length > 0);
    assert.ok(hono.every((match) => match[1] === 'type '));
  });
});
