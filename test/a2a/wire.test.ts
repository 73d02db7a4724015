/**
 * `wimse-ect/a2a` on the wire, without the SDK's client: a raw JSON-RPC `SendMessage` as any A2A
 * peer would send it (the ECT in the `Execution-Context` header and the message metadata, its
 * `inp_hash` computed here from the JSON parts, CLM-9), the agent's ECT on the JSON result checked
 * against a digest computed here (HTTP-5), the extension echoed in `A2A-Extensions`, and the exact
 * JSON of a refusal (HTTP-2).
 * @module
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { ECT_EXTENSION_URI, ECT_METADATA_KEY } from '../../src/a2a/index.js';
import { createECT } from '../../src/create/create.js';
import { hashJSON } from '../../src/format/canonical-json.js';
import { createVerifier } from '../../src/verify/verify.js';
import {
  PLANNER,
  plannerKeys,
  REVIEWER,
  reviewerKeys,
  startAgent,
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

const parts = [
  { text: 'wire', mediaType: 'text/plain' },
  { data: { z: 1, a: { y: [true, null] } } },
];

interface RpcResponse {
  readonly result?: { message?: Record<string, unknown> & { metadata?: Record<string, string> } };
  readonly error?: { code: number; message: string; data: unknown[] };
}

async function post(
  headers: Record<string, string>,
  metadata: Record<string, string> | undefined,
): Promise<{ response: Response; body: RpcResponse }> {
  const message = {
    messageId: randomUUID(),
    role: 'ROLE_USER',
    parts,
    ...(metadata === undefined ? {} : { metadata }),
  };
  const response = await fetch(`${agent.url}/a2a`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'A2A-Version': '1.0', ...headers },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'SendMessage', params: { message } }),
  });
  return { response, body: (await response.json()) as RpcResponse };
}

describe('A2A on the wire (JSON-RPC, no SDK client)', () => {
  test('CLM-9, HTTP-1, HTTP-5: a raw SendMessage gets a result with the agent ECT', async () => {
    const jti = randomUUID();
    const token = createECT(
      {
        iss: PLANNER,
        aud: REVIEWER,
        exec_act: 'review_spec',
        jti,
        wid: WORKFLOW,
        inp_hash: hashJSON(parts),
      },
      { key: plannerKeys.privateJwk },
    );
    const { response, body } = await post(
      { 'Execution-Context': token, 'A2A-Extensions': ECT_EXTENSION_URI },
      { [ECT_METADATA_KEY]: token },
    );
    assert.equal(body.error, undefined, JSON.stringify(body.error));
    assert.ok(response.headers.get('a2a-extensions')?.includes(ECT_EXTENSION_URI));
    const message = body.result!.message!;
    const { [ECT_METADATA_KEY]: resultToken, ...otherMetadata } = message.metadata!;
    assert.deepEqual(otherMetadata, {});
    const { metadata: _metadata, ...unsigned } = message;
    const verifier = createVerifier({
      audience: PLANNER,
      keys: { keys: [reviewerKeys.publicJwk] },
    });
    const ect = await verifier.verify(resultToken!, {
      expect: { out_hash: hashJSON({ message: unsigned }), inp_hash: hashJSON(parts) },
    });
    assert.deepEqual(ect.claims.pred, [jti]);
    assert.equal(ect.claims.wid, WORKFLOW);
    assert.equal(ect.claims.exec_act, 'review_spec');
    assert.equal(agent.seen.executed.at(-1)!.claims.jti, jti);
  });

  test('HTTP-2: the JSON of a refusal (no ECT)', async () => {
    const { body } = await post({ 'A2A-Extensions': ECT_EXTENSION_URI }, undefined);
    const detail = 'This resource requires an Execution-Context header.';
    assert.deepEqual(body.error, {
      code: -32008,
      message: `Execution context required: ${detail}`,
      data: [
        {
          '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
          reason: 'EXTENSION_SUPPORT_REQUIRED',
          domain: 'a2a-protocol.org',
          metadata: {
            code: 'EXECUTION_CONTEXT_MISSING',
            type: 'urn:ect:error:EXECUTION_CONTEXT_MISSING',
            title: 'Execution context required',
            detail,
            extension: ECT_EXTENSION_URI,
          },
        },
      ],
    });
  });
});
