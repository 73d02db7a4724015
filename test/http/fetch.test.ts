import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { createECTHandler } from '../../src/http/index.js';
import { checkFetchRequest, ectFetchHandler, ectOf } from '../../src/http/fetch.js';
import { adapterSuite, answerTask, callerToken, listen, serveFetch, serverVerifier } from './support.js';

describe('Fetch API adapter', () => {
  adapterSuite('fetch', async ({ task, optional }) => {
    const taskHandler = ectFetchHandler(async (request, ect) => {
      // The original request's body is intact: body binding read a clone.
      const body = answerTask(ect, await request.json());
      return new Response(body, { headers: { 'content-type': 'application/json' } });
    }, task);
    const optionalHandler = ectFetchHandler((request) => Response.json({ verified: ectOf(request)?.verified !== undefined }), optional);
    return listen(serveFetch((request) => (new URL(request.url).pathname === '/task' ? taskHandler(request) : optionalHandler(request))));
  });

  test('fetch: checkFetchRequest works on a Request without a server (Hono-style middleware)', async () => {
    const handler = createECTHandler({ verifier: serverVerifier() });
    const missing = await checkFetchRequest(new Request('http://x/', { method: 'POST', body: '{}' }), { handler });
    assert.equal(missing.ok, false);
    if (!missing.ok) {
      assert.equal(missing.response.status, 403);
      assert.equal(((await missing.response.json()) as { code: string }).code, 'EXECUTION_CONTEXT_MISSING');
    }
    const request = new Request('http://x/', { method: 'POST', body: '{}', headers: { 'execution-context': callerToken() } });
    const ok = await checkFetchRequest(request, { handler });
    assert.equal(ok.ok, true);
    assert.equal(ectOf(request)?.verified?.claims.exec_act, 'send_task');
    assert.ok(ok.ok && ok.headers.get('execution-context-receipt'));
  });
});
