import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import Fastify from 'fastify';
import { ectFastify } from '../../src/http/fastify.js';
import { adapterSuite, answerTask, callerToken, listen, send, serverVerifier } from './support.js';

describe('Fastify adapter', () => {
  adapterSuite('fastify', async ({ task }) => {
    const app = Fastify();
    await app.register(ectFastify, { verifier: task.verifier, responder: task.responder! });
    // Body binding per route through the route config; Fastify's JSON parser still parses the body.
    app.post(
      '/task',
      { config: { ect: { bodyBinding: { maxBytes: 1024 } } } },
      async (request, reply) => {
        return reply.type('application/json').send(answerTask(request.ect!, request.body));
      },
    );
    app.post('/optional', { config: { ect: { required: false } } }, async (request) => ({
      verified: request.ect?.verified !== undefined,
    }));
    app.post('/skip', { config: { ect: false } }, async (request) => ({ ect: request.ect }));
    await app.ready();
    return listen(app.server);
  });

  test('fastify: a route with config ect: false is not checked and request.ect stays null', async () => {
    const app = Fastify();
    await app.register(ectFastify, { verifier: { audience: 'x', minLevel: 1 } });
    app.get('/skip', { config: { ect: false } }, async (request) => ({ ect: request.ect }));
    app.get('/checked', async () => ({}));
    await app.ready();
    const running = await listen(app.server);
    try {
      const skip = await send(`${running.url}/skip`, { method: 'GET' });
      assert.deepEqual(JSON.parse(skip.text), { ect: null });
      const checked = await send(`${running.url}/checked`, { method: 'GET' });
      assert.equal(checked.status, 403);
      assert.equal(
        (JSON.parse(checked.text) as { code: string }).code,
        'EXECUTION_CONTEXT_MISSING',
      );
    } finally {
      await running.close();
    }
  });

  test('fastify HTTP-1: app.inject() (no socket, no headersDistinct) is checked like a real request', async () => {
    const app = Fastify();
    await app.register(ectFastify, { verifier: serverVerifier() });
    app.post('/', async (request) => ({ act: request.ect?.verified?.claims.exec_act }));
    const missing = await app.inject({ method: 'POST', url: '/' });
    assert.equal(missing.statusCode, 403);
    assert.equal(missing.json<{ code: string }>().code, 'EXECUTION_CONTEXT_MISSING');
    const ok = await app.inject({
      method: 'POST',
      url: '/',
      headers: { 'execution-context': callerToken() },
    });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.deepEqual(ok.json(), { act: 'send_task' });
    const two = await app.inject({
      method: 'POST',
      url: '/',
      headers: { 'execution-context': [callerToken(), callerToken()] },
    });
    assert.equal(two.json<{ code: string }>().code, 'ECT_MALFORMED');
  });
});
