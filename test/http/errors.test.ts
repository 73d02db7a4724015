/**
 * `errors: 'framework'`: rejections reach each framework's own error handling (Express
 * `next(error)`, Fastify's error handler, Hono's `onError`) as an `ECTRejectionError` carrying the
 * problem's exact code and status; without the option every adapter answers the problem itself.
 */
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { hashBytes } from '../../src/format/hash.js';
import { ectExpress } from '../../src/http/express.js';
import { ectFastify } from '../../src/http/fastify.js';
import { ectHono } from '../../src/http/hono.js';
import {
  ECTRejectionError,
  type ECTMiddlewareOptions,
  type ProblemDetails,
} from '../../src/http/index.js';
import { ECTConfigError } from '../../src/errors.js';
import {
  assertProblem,
  attackerKeys,
  callerToken,
  listen,
  serveHono,
  send,
  serverVerifier,
  type RawResponse,
  type Running,
} from './support.js';

/** What an error handler saw, answered as JSON with status 599 (so it is not the default answer). */
interface Seen {
  readonly name: string;
  readonly code: string;
  readonly status: number;
  readonly problem: ProblemDetails;
  readonly cause: string | undefined;
}

function seen(error: unknown): Seen {
  assert.ok(error instanceof ECTRejectionError, String(error));
  return {
    name: error.name,
    code: error.code,
    status: error.status,
    problem: error.problem,
    cause: (error.cause as { code?: string } | undefined)?.code,
  };
}

type Factory = (
  options: ECTMiddlewareOptions & { errors?: 'problem' | 'framework' },
) => Promise<Running>;

const factories: Record<string, Factory> = {
  express: (options) => {
    const app = express();
    app.post('/', ectExpress(options), (_req, res) => {
      res.send('accepted');
    });
    app.use(
      (
        error: unknown,
        _req: express.Request,
        res: express.Response,
        _next: express.NextFunction,
      ) => {
        res.status(599).json(seen(error));
      },
    );
    return listen(app.listen(0, '127.0.0.1'));
  },
  fastify: async (options) => {
    const app = Fastify();
    app.setErrorHandler((error, _request, reply) => reply.code(599).send(seen(error)));
    await app.register(ectFastify, options);
    app.post('/', async () => 'accepted');
    await app.ready();
    return listen(app.server);
  },
  hono: async (options) => {
    const app = new Hono();
    app.onError((error, c) => c.json(seen(error), 599 as 500));
    app.post('/', ectHono(options), (c) => c.text('accepted'));
    return listen(serveHono(app.fetch));
  },
};

const json = '{"spec":"v1"}';

for (const [name, factory] of Object.entries(factories)) {
  describe(`${name}: errors option`, () => {
    const post = async (
      options: Parameters<Factory>[0],
      token: string | undefined,
      body = json,
    ): Promise<RawResponse> => {
      const running = await factory(options);
      try {
        return await send(`${running.url}/`, {
          body,
          headers: token === undefined ? {} : { 'execution-context': token },
        });
      } finally {
        await running.close();
      }
    };
    const handled = (response: RawResponse): Seen => {
      assert.equal(response.status, 599, response.text);
      return JSON.parse(response.text) as Seen;
    };

    test(`${name} HTTP-2: errors: 'framework' hands EXECUTION_CONTEXT_MISSING to the error handler`, async () => {
      const error = handled(
        await post({ verifier: serverVerifier(), errors: 'framework' }, undefined),
      );
      assert.equal(error.name, 'ECTRejectionError');
      assert.equal(error.code, 'EXECUTION_CONTEXT_MISSING');
      assert.equal(error.status, 403);
      assert.equal(error.problem.type, 'urn:ect:error:EXECUTION_CONTEXT_MISSING');
      assert.equal(error.cause, undefined);
    });

    test(`${name} HTTP-2, VER-6: a bad signature arrives as ECT_SIGNATURE_INVALID with the ECTError as cause`, async () => {
      const token = callerToken({}, { key: attackerKeys.privateJwk });
      const error = handled(await post({ verifier: serverVerifier(), errors: 'framework' }, token));
      assert.equal(error.code, 'ECT_SIGNATURE_INVALID');
      assert.equal(error.status, 403);
      assert.equal(error.problem.code, 'ECT_SIGNATURE_INVALID');
      assert.equal(error.cause, 'ECT_SIGNATURE_INVALID');
    });

    test(`${name} HTTP-4: a body over the limit arrives as BODY_TOO_LARGE with status 413`, async () => {
      const big = JSON.stringify({ spec: 'x'.repeat(2000) });
      const options = {
        verifier: serverVerifier(),
        bodyBinding: { maxBytes: 1024 },
        errors: 'framework' as const,
      };
      const error = handled(await post(options, callerToken({ out_hash: hashBytes(big) }), big));
      assert.equal(error.code, 'BODY_TOO_LARGE');
      assert.equal(error.status, 413);
    });

    test(`${name}: an accepted request never reaches the error handler`, async () => {
      const response = await post(
        { verifier: serverVerifier(), errors: 'framework' },
        callerToken(),
      );
      assert.equal(response.status, 200);
      assert.equal(response.text, 'accepted');
    });

    test(`${name} HTTP-2: by default (errors: 'problem') the adapter answers the problem itself`, async () => {
      assertProblem(await post({ verifier: serverVerifier() }, 'abc.def'), 'ECT_MALFORMED');
      assertProblem(
        await post({ verifier: serverVerifier(), errors: 'problem' }, undefined),
        'EXECUTION_CONTEXT_MISSING',
      );
    });
  });
}

test('an unknown errors option is an ECTConfigError naming the setting, in every adapter', () => {
  const options = { verifier: serverVerifier(), errors: 'next' } as unknown as Parameters<
    typeof ectExpress
  >[0];
  for (const build of [
    (): unknown => ectExpress(options),
    (): unknown => ectHono(options),
    (): unknown =>
      ectFastify(Fastify(), options, () => {
        throw new Error('unreachable');
      }),
  ]) {
    assert.throws(build, (error: unknown) => {
      assert.ok(error instanceof ECTConfigError);
      assert.equal(error.setting, 'errors');
      return true;
    });
  }
});

test('ECTRejectionError: getResponse() is the problem response (Hono HTTPException convention)', async () => {
  const problem: ProblemDetails = {
    type: 'urn:ect:error:ECT_REPLAY',
    title: 'Replayed execution context',
    status: 403,
    detail: 'This ECT was already presented.',
    code: 'ECT_REPLAY',
  };
  const error = new ECTRejectionError(problem);
  assert.equal(error.statusCode, 403);
  const response = error.getResponse();
  assert.equal(response.status, 403);
  assert.equal(response.headers.get('content-type'), 'application/problem+json');
  assert.deepEqual(await response.json(), problem);
});
