/**
 * HTTP-4 body binding when a body parser runs before the ECT middleware. Express: the parser's
 * raw bytes kept by `captureRawBody` are bound; without them the request is a 500 problem naming
 * the fix (never a crash, never a pass). Fastify has no such order: its `preParsing` hook runs
 * before every content-type parser, custom ones included.
 */
import { strict as assert } from 'node:assert';
import { gzipSync } from 'node:zlib';
import { after, describe, test } from 'node:test';
import express from 'express';
import Fastify from 'fastify';
import { hashBytes } from '../../src/format/hash.js';
import { captureRawBody, ectExpress } from '../../src/http/express.js';
import { ectFastify } from '../../src/http/fastify.js';
import { captureRawBody as fromHttp } from '../../src/http/index.js';
import {
  assertProblem,
  callerToken,
  listen,
  send,
  serverVerifier,
  type RawResponse,
  type Running,
} from './support.js';

const json = '{"a":1}';

function configProblem(response: RawResponse): string {
  assert.equal(response.status, 500, response.text);
  assert.equal(response.headers['content-type'], 'application/problem+json');
  const problem = JSON.parse(response.text) as Record<string, unknown>;
  assert.deepEqual(Object.keys(problem).sort(), ['code', 'detail', 'status', 'title', 'type']);
  assert.equal(problem['code'], 'ECT_CONFIG_INVALID');
  assert.equal(problem['type'], 'urn:ect:error:ECT_CONFIG_INVALID');
  assert.equal(problem['status'], 500);
  return problem['detail'] as string;
}

describe('express: body parsers before the ECT middleware (HTTP-4)', () => {
  let running: Running;
  const url = async (): Promise<string> => {
    if (running !== undefined) return running.url;
    const app = express();
    const ect = ectExpress({ verifier: serverVerifier(), bodyBinding: { maxBytes: 64 } });
    const answer = (req: express.Request, res: express.Response): void => {
      res.json({ body: req.body as unknown, jti: req.ect?.verified?.claims.jti });
    };
    app.post('/json', express.json({ verify: captureRawBody }), ect, answer);
    app.post('/text', express.text({ verify: captureRawBody }), ect, answer);
    app.post('/raw', express.raw({ type: '*/*', verify: captureRawBody }), ect, answer);
    app.post('/uncaptured', express.json(), ect, answer);
    running = await listen(app.listen(0, '127.0.0.1'));
    return running.url;
  };
  after(async () => running?.close());

  test('express HTTP-4: express.json({ verify: captureRawBody }) first: the kept bytes are bound', async () => {
    const ok = await send(`${await url()}/json`, {
      body: json,
      headers: { 'execution-context': callerToken({ out_hash: hashBytes(json) }) },
    });
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual((JSON.parse(ok.text) as { body: unknown }).body, { a: 1 });
    // The same bytes, parsed the same, but the token bound other bytes: refused.
    const spaced = '{ "a": 1 }';
    assertProblem(
      await send(`${await url()}/json`, {
        body: spaced,
        headers: { 'execution-context': callerToken({ out_hash: hashBytes(json) }) },
      }),
      'ECT_CLAIM_INVALID',
    );
  });

  test('express HTTP-4: express.text() and express.raw() with captureRawBody bind too', async () => {
    for (const [path, type] of [
      ['text', 'text/plain'],
      ['raw', 'application/octet-stream'],
    ] as const) {
      const body = 'plain bytes';
      const ok = await send(`${await url()}/${path}`, {
        body,
        headers: {
          'content-type': type,
          'execution-context': callerToken({ out_hash: hashBytes(body) }),
        },
      });
      assert.equal(ok.status, 200, `${path}: ${ok.text}`);
    }
  });

  test('express HTTP-4: the binding limit holds for kept bytes (413 BODY_TOO_LARGE)', async () => {
    const big = JSON.stringify({ a: 'x'.repeat(100) });
    assertProblem(
      await send(`${await url()}/json`, {
        body: big,
        headers: { 'execution-context': callerToken({ out_hash: hashBytes(big) }) },
      }),
      'BODY_TOO_LARGE',
      413,
    );
  });

  test('express HTTP-4: express.json() without captureRawBody first is a 500 problem naming the fix', async () => {
    const response = await send(`${await url()}/uncaptured`, {
      body: json,
      headers: { 'execution-context': callerToken({ out_hash: hashBytes(json) }) },
    });
    const detail = configProblem(response);
    assert.match(detail, /Mount the ECT middleware before body parsers/);
    assert.match(detail, /express\.json\(\{ verify: captureRawBody \}\)/);
  });

  test('express HTTP-4: a gzip body is not kept (the parser hands over decoded bytes): 500 problem', async () => {
    const response = await send(`${await url()}/json`, {
      body: gzipSync(json),
      headers: {
        'content-encoding': 'gzip',
        'execution-context': callerToken({ out_hash: hashBytes(json) }),
      },
    });
    configProblem(response);
  });

  test('express HTTP-4: without body binding a parser first is fine (nothing to bind)', async () => {
    const app = express();
    app.use(express.json());
    app.post('/', ectExpress({ verifier: serverVerifier() }), (req, res) => {
      res.json(req.body);
    });
    const server = await listen(app.listen(0, '127.0.0.1'));
    try {
      const response = await send(server.url, {
        body: json,
        headers: { 'execution-context': callerToken() },
      });
      assert.equal(response.status, 200);
      assert.deepEqual(JSON.parse(response.text), { a: 1 });
    } finally {
      await server.close();
    }
  });

  test('captureRawBody is the same function from wimse-ect/http and wimse-ect/express', () => {
    assert.equal(fromHttp, captureRawBody);
  });
});

describe('fastify: content-type parsers always run after the ECT check', () => {
  test('fastify HTTP-4: a custom JSON parser still gets the body, and the binding holds', async () => {
    const app = Fastify();
    // The application's own parser for JSON, as raw bytes: it runs after preParsing.
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => {
      done(null, { bytes: (body as Buffer).length, parsed: JSON.parse(String(body)) as unknown });
    });
    await app.register(ectFastify, { verifier: serverVerifier() });
    app.post('/', { config: { ect: { bodyBinding: true } } }, async (request) => request.body);
    await app.ready();
    const running = await listen(app.server);
    try {
      const ok = await send(running.url, {
        body: json,
        headers: { 'execution-context': callerToken({ out_hash: hashBytes(json) }) },
      });
      assert.equal(ok.status, 200, ok.text);
      assert.deepEqual(JSON.parse(ok.text), { bytes: json.length, parsed: { a: 1 } });
      assertProblem(
        await send(running.url, {
          body: json,
          headers: { 'execution-context': callerToken({ out_hash: hashBytes('{}') }) },
        }),
        'ECT_CLAIM_INVALID',
      );
    } finally {
      await running.close();
    }
  });
});
