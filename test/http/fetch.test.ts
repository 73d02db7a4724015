import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { hashBytes } from '../../src/format/hash.js';
import { createECTHandler } from '../../src/http/index.js';
import type { Verifier } from '../../src/verify/verify.js';
import { checkFetchRequest, ectFetchHandler, ectOf } from '../../src/http/fetch.js';
import {
  adapterSuite,
  answerTask,
  callerToken,
  listen,
  serveFetch,
  serverVerifier,
} from './support.js';

describe('Fetch API adapter', () => {
  adapterSuite('fetch', async ({ task, optional }) => {
    const taskHandler = ectFetchHandler(async (request, ect) => {
      // The original request's body is intact: body binding read a clone.
      const body = answerTask(ect, await request.json());
      return new Response(body, { headers: { 'content-type': 'application/json' } });
    }, task);
    const optionalHandler = ectFetchHandler(
      (request) => Response.json({ verified: ectOf(request)?.verified !== undefined }),
      optional,
    );
    return listen(
      serveFetch((request) =>
        new URL(request.url).pathname === '/task' ? taskHandler(request) : optionalHandler(request),
      ),
    );
  });

  test('fetch: checkFetchRequest works on a Request without a server (Hono-style middleware)', async () => {
    const handler = createECTHandler({ verifier: serverVerifier() });
    const missing = await checkFetchRequest(
      new Request('http://x/', { method: 'POST', body: '{}' }),
      { handler },
    );
    assert.equal(missing.ok, false);
    if (!missing.ok) {
      assert.equal(missing.response.status, 403);
      assert.equal(
        ((await missing.response.json()) as { code: string }).code,
        'EXECUTION_CONTEXT_MISSING',
      );
    }
    const request = new Request('http://x/', {
      method: 'POST',
      body: '{}',
      headers: { 'execution-context': callerToken() },
    });
    const ok = await checkFetchRequest(request, { handler });
    assert.equal(ok.ok, true);
    assert.equal(ectOf(request)?.verified?.claims.exec_act, 'send_task');
    assert.ok(ok.ok && ok.headers.get('execution-context-receipt'));
  });

  test('fetch HTTP-4: a custom Verifier (verify only) still gets the body bound', async () => {
    const inner = serverVerifier();
    // A verifier that does not know `expect`: the handler's own check still binds the body.
    const custom: Verifier = {
      verify: (token, context = {}) => {
        const { expect: _ignored, ...rest } = context;
        return inner.verify(token, rest);
      },
    };
    const handler = createECTHandler({ verifier: custom, bodyBinding: true });
    const request = (body: string, token: string): Request =>
      new Request('http://x/', { method: 'POST', body, headers: { 'execution-context': token } });
    const bound = callerToken({ out_hash: hashBytes('{"a":1}') });
    assert.equal((await checkFetchRequest(request('{"a":1}', bound), { handler })).ok, true);
    const other = callerToken({ out_hash: hashBytes('{"a":1}') });
    const refused = await checkFetchRequest(request('{"a":2}', other), { handler });
    assert.equal(refused.ok, false);
    if (!refused.ok) {
      const problem = (await refused.response.json()) as { code: string };
      assert.equal(problem.code, 'ECT_CLAIM_INVALID');
    }
  });
});
