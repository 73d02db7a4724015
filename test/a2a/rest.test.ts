/**
 * `wimse-ect/a2a` over the HTTP+JSON (REST) binding with the SDK's real client and server: the same
 * request handler wrapper verifies the message's ECT (sent in the `Execution-Context` header and in
 * the metadata), signs the result (HTTP-5), and a refusal reaches the SDK's REST client with the
 * profile code in the error's metadata (HTTP-2).
 * @module
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Message } from '@a2a-js/sdk';
import { ClientCallContext } from '@a2a-js/sdk/client';
import { ectExchangeOf, ectRejectionOf, resultHash, withECT } from '../../src/a2a/index.js';
import {
  connect,
  PLANNER,
  plannerClient,
  REVIEWER,
  startAgent,
  userMessage,
  WORKFLOW,
  type Agent,
} from './support.js';

let agent: Agent;

before(async () => {
  agent = await startAgent();
});

after(async () => {
  await agent.close();
});

async function refusedCode(promise: Promise<unknown>): Promise<string | undefined> {
  const error = await promise.then(
    () => assert.fail('the message was accepted'),
    (e: unknown) => e as { statusCode: number },
  );
  assert.equal(error.statusCode, 400);
  return ectRejectionOf(error)?.code;
}

describe('A2A over HTTP+JSON', () => {
  test('HTTP-1, HTTP-5: the executor gets the ECT; the result carries the agent ECT', async () => {
    const client = await plannerClient(agent, {}, [], 'HTTP+JSON');
    const context = { jti: randomUUID(), wid: WORKFLOW };
    const result = (await client.sendMessage(userMessage('rest'), {
      context: ClientCallContext.create(withECT({ context })),
    })) as Message;
    const { token, claims, resultECT } = ectExchangeOf(result)!;
    assert.equal(agent.seen.headers.at(-1), token);
    assert.equal(agent.seen.executed.at(-1)!.claims.jti, claims.jti);
    assert.equal(resultECT!.claims.iss, REVIEWER);
    assert.equal(resultECT!.claims.aud, PLANNER);
    assert.deepEqual(resultECT!.claims.pred, [claims.jti]);
    assert.equal(resultECT!.claims.wid, WORKFLOW);
    assert.equal(resultECT!.claims.out_hash, resultHash(result));
  });

  test('HTTP-2: a message without an ECT is refused (EXECUTION_CONTEXT_MISSING)', async () => {
    const client = await connect(agent, [], 'HTTP+JSON');
    const ran = agent.seen.executed.length;
    const code = await refusedCode(client.sendMessage(userMessage('no ECT')));
    assert.equal(code, 'EXECUTION_CONTEXT_MISSING');
    assert.equal(agent.seen.executed.length, ran);
  });

  test('CLM-2, VER-9, HTTP-2: another audience is refused (ECT_AUDIENCE_MISMATCH)', async () => {
    const client = await plannerClient(
      agent,
      { audience: 'spiffe://example.org/other' },
      [],
      'HTTP+JSON',
    );
    const code = await refusedCode(client.sendMessage(userMessage('elsewhere')));
    assert.equal(code, 'ECT_AUDIENCE_MISMATCH');
  });
});
