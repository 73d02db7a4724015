/**
 * HTTP-6 (the body fallback for tokens too large for the header) and HTTP-1 with several field
 * lines accepted, over every adapter (node:http, Express, Fastify, Hono, Fetch API) on real loopback
 * sockets, and the client wrapper choosing the fallback itself.
 */
import { strict as assert } from 'node:assert';
import { createServer } from 'node:http';
import { after, describe, test } from 'node:test';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { hashBytes } from '../../src/format/hash.js';
import { ectExpress } from '../../src/http/express.js';
import { ectFastify } from '../../src/http/fastify.js';
import { ectFetchHandler } from '../../src/http/fetch.js';
import { ectHono } from '../../src/http/hono.js';
import {
  createECTFetch,
  ectNodeHandler,
  type ECTContext,
  type ECTMiddlewareOptions,
} from '../../src/http/index.js';
import {
  assertProblem,
  attackerKeys,
  CALLER,
  callerKeys,
  callerToken,
  listen,
  serveHono,
  send,
  SERVER,
  serveFetch,
  serverVerifier,
  type RawResponse,
  type Running,
} from './support.js';

type Factory = (options: ECTMiddlewareOptions) => Promise<Running>;

/** What every test app answers: where the token travelled, the verified jtis, the content part. */
function describeECT(ect: ECTContext): string {
  return JSON.stringify({
    carrier: ect.carrier,
    jtis: ect.all.map((verified) => verified.claims.jti),
    contentType: ect.content?.contentType,
    content: ect.content === undefined ? undefined : Buffer.from(ect.content.bytes).toString(),
  });
}

const factories: Record<string, Factory> = {
  'node:http': (options) =>
    listen(
      createServer(
        ectNodeHandler((_req, res, ect) => {
          res.end(describeECT(ect));
        }, options),
      ),
    ),
  express: (options) => {
    const app = express();
    app.post('/', ectExpress(options), (req, res) => {
      res.send(describeECT(req.ect!));
    });
    return listen(app.listen(0, '127.0.0.1'));
  },
  fastify: async (options) => {
    const app = Fastify();
    await app.register(ectFastify, options);
    app.post('/', async (request) => describeECT(request.ect!));
    await app.ready();
    return listen(app.server);
  },
  hono: (options) => {
    const app = new Hono();
    app.post('/', ectHono(options), (c) => c.body(describeECT(c.get('ect'))));
    return listen(serveHono(app.fetch));
  },
  fetch: (options) =>
    listen(serveFetch(ectFetchHandler((_request, ect) => new Response(describeECT(ect)), options))),
};

const json = '{"spec":"v1"}';
/** A token over the 8 KiB header limit (CLM-11: other claims are kept), under 64 KiB. */
const large = (out_hash: string, key?: object): string =>
  callerToken({ out_hash, note: 'x'.repeat(9000) }, key === undefined ? {} : { key });

/** A multipart/mixed body as RFC 2046 writes it. */
function multipart(parts: readonly string[], boundary = 'b0undary'): string {
  return parts.map((part) => `--${boundary}\r\n${part}\r\n`).join('') + `--${boundary}--\r\n`;
}
const ectPart = (token: string): string =>
  `Content-Type: application/wimse-exec+jwt\r\n\r\n${token}`;
const jsonPart = `Content-Type: application/json\r\n\r\n${json}`;

for (const [name, factory] of Object.entries(factories)) {
  describe(`${name}: HTTP-6 body fallback and HTTP-1 several field lines`, () => {
    const apps = new Map<string, Running>();
    const app = async (kind: 'bound' | 'plain' | 'multi'): Promise<string> => {
      let running = apps.get(kind);
      if (running === undefined) {
        const verifier = serverVerifier();
        const options: ECTMiddlewareOptions =
          kind === 'bound'
            ? { verifier, bodyBinding: { maxBytes: 1024 }, maxTokenSize: 16 * 1024 }
            : kind === 'multi'
              ? { verifier, multipleFieldLines: true }
              : { verifier };
        running = await factory(options);
        apps.set(kind, running);
      }
      return running.url;
    };
    after(async () => {
      for (const running of apps.values()) await running.close();
    });
    const post = async (
      kind: 'bound' | 'plain' | 'multi',
      contentType: string,
      body: string,
      headers: Record<string, string | string[]> = {},
    ): Promise<RawResponse> =>
      send(`${await app(kind)}/`, { body, headers: { 'content-type': contentType, ...headers } });
    const accepted = (response: RawResponse): Record<string, unknown> => {
      assert.equal(response.status, 200, response.text);
      return JSON.parse(response.text) as Record<string, unknown>;
    };

    test(`${name} HTTP-6, HTTP-4: a large token alone is the body (application/wimse-exec+jwt), bound to no content`, async () => {
      const token = large(hashBytes(''));
      assert.ok(token.length > 8 * 1024);
      const answer = accepted(await post('bound', 'application/wimse-exec+jwt', token));
      assert.equal(answer['carrier'], 'body');
      assert.equal((answer['jtis'] as string[]).length, 1);
      assert.equal(answer['contentType'], undefined);
    });

    test(`${name} HTTP-6, HTTP-4: multipart/mixed with JSON content binds out_hash to the content part`, async () => {
      const good = multipart([ectPart(large(hashBytes(json))), jsonPart]);
      const answer = accepted(await post('bound', 'multipart/mixed; boundary="b0undary"', good));
      assert.deepEqual(
        [answer['carrier'], answer['contentType'], answer['content']],
        ['body', 'application/json', json],
      );
      // The hash of the whole multipart body is not the binding: only the content part counts.
      const whole = multipart([ectPart(large(hashBytes(good))), jsonPart]);
      const problem = assertProblem(
        await post('bound', 'multipart/mixed; boundary=b0undary', whole),
        'ECT_CLAIM_INVALID',
      );
      assert.match(problem.detail, /out_hash/);
    });

    test(`${name} HTTP-6, FMT-5: the token size limit applies before parsing (403 ECT_TOO_LARGE)`, async () => {
      const huge = 'a'.repeat(16 * 1024 + 1); // not even a token: refused for its size alone
      assertProblem(await post('bound', 'application/wimse-exec+jwt', huge), 'ECT_TOO_LARGE');
      assertProblem(
        await post(
          'bound',
          'multipart/mixed; boundary=b0undary',
          multipart([ectPart(huge), jsonPart]),
        ),
        'ECT_TOO_LARGE',
      );
    });

    test(`${name} HTTP-6: a content part over the body limit is 413 BODY_TOO_LARGE`, async () => {
      const big = JSON.stringify({ x: 'y'.repeat(2000) });
      const body = multipart([
        ectPart(large(hashBytes(big))),
        `Content-Type: application/json\r\n\r\n${big}`,
      ]);
      assertProblem(
        await post('bound', 'multipart/mixed; boundary=b0undary', body),
        'BODY_TOO_LARGE',
        413,
      );
    });

    test(`${name} HTTP-6: with the header present the body is not looked at (the header wins)`, async () => {
      const answer = accepted(
        await post('plain', 'application/wimse-exec+jwt', 'not-a-token!', {
          'execution-context': callerToken(),
        }),
      );
      assert.equal(answer['carrier'], 'header');
    });

    test(`${name} HTTP-6: malformed multipart bodies are 403 ECT_MALFORMED`, async () => {
      const token = large(hashBytes(json));
      const cases: Array<[string, string, string]> = [
        ['no boundary parameter', 'multipart/mixed', multipart([ectPart(token), jsonPart])],
        ['boundary over 70 characters', `multipart/mixed; boundary=${'b'.repeat(71)}`, ''],
        ['one part', 'multipart/mixed; boundary=b0undary', multipart([ectPart(token)])],
        [
          'three parts',
          'multipart/mixed; boundary=b0undary',
          multipart([ectPart(token), jsonPart, jsonPart]),
        ],
        [
          'token second',
          'multipart/mixed; boundary=b0undary',
          multipart([jsonPart, ectPart(token)]),
        ],
        [
          'content part without Content-Type',
          'multipart/mixed; boundary=b0undary',
          multipart([ectPart(token), `X-Other: 1\r\n\r\n${json}`]),
        ],
        [
          'a preamble',
          'multipart/mixed; boundary=b0undary',
          `preamble\r\n${multipart([ectPart(token), jsonPart])}`,
        ],
        [
          'no close delimiter',
          'multipart/mixed; boundary=b0undary',
          multipart([ectPart(token), jsonPart]).replace('--b0undary--\r\n', ''),
        ],
        [
          'a transfer encoding',
          'multipart/mixed; boundary=b0undary',
          multipart([
            `Content-Type: application/wimse-exec+jwt\r\nContent-Transfer-Encoding: base64\r\n\r\n${token}`,
            jsonPart,
          ]),
        ],
        ['a token-only body that is no token', 'application/wimse-exec+jwt', 'a b'],
      ];
      for (const [what, contentType, body] of cases) {
        const response = await post('plain', contentType, body);
        assert.equal(response.status, 403, what);
        assertProblem(response, 'ECT_MALFORMED');
      }
    });

    test(`${name} HTTP-1: two Execution-Context field lines are 403 ECT_MALFORMED by default`, async () => {
      const lines = [callerToken(), callerToken()];
      assertProblem(
        await post('plain', 'application/json', json, { 'execution-context': lines }),
        'ECT_MALFORMED',
      );
    });

    test(`${name} HTTP-1: with multipleFieldLines several lines are accepted, each verified in full`, async () => {
      const lines = [callerToken(), callerToken()];
      const answer = accepted(
        await post('multi', 'application/json', json, { 'execution-context': lines }),
      );
      const jtiOf = (token: string): unknown =>
        (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { jti: unknown })
          .jti;
      assert.deepEqual(answer['jtis'], lines.map(jtiOf));
      // Every line is verified: one bad signature refuses the request; a replayed one too.
      const forged = callerToken({}, { key: attackerKeys.privateJwk });
      assertProblem(
        await post('multi', 'application/json', json, {
          'execution-context': [callerToken(), forged],
        }),
        'ECT_SIGNATURE_INVALID',
      );
      assertProblem(
        await post('multi', 'application/json', json, { 'execution-context': [lines[0]!] }),
        'ECT_REPLAY',
      );
    });
  });
}

describe('client wrapper: HTTP-6', () => {
  test('client HTTP-6, HTTP-3: the fetch wrapper moves a token over the header limit into the body itself', async () => {
    const running = await factories['node:http']!({
      verifier: serverVerifier(),
      bodyBinding: true,
    });
    try {
      const ectFetch = createECTFetch({ identity: { iss: CALLER, key: callerKeys.privateJwk } });
      const task = { aud: SERVER, exec_act: 'send_spec', note: 'x'.repeat(9000) };
      const withContent = await ectFetch(running.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: json,
        ect: task,
      });
      assert.equal(withContent.carrier, 'body');
      const answer = (await withContent.response.json()) as Record<string, unknown>;
      assert.deepEqual(
        [answer['carrier'], answer['contentType'], answer['content'], answer['jtis']],
        ['body', 'application/json', json, [withContent.claims.jti]],
      );
      const alone = await ectFetch(running.url, { method: 'POST', ect: task });
      assert.equal(alone.carrier, 'body');
      assert.equal(alone.response.status, 200);
      const small = await ectFetch(running.url, {
        method: 'POST',
        body: json,
        ect: { aud: SERVER, exec_act: 'send_spec' },
      });
      assert.equal(small.carrier, 'header');
      assert.equal(small.response.status, 200);
      const strict = createECTFetch({
        identity: { iss: CALLER, key: callerKeys.privateJwk },
        bodyFallback: false,
      });
      await assert.rejects(strict(running.url, { method: 'POST', ect: task }), {
        code: 'ECT_TOO_LARGE',
      });
    } finally {
      await running.close();
    }
  });
});
