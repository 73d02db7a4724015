/**
 * `wimse-ect/a2a` with the SDK's real client and server over JSON-RPC on a loopback port: the
 * caller's ECT on every message (CLM-6, CLM-7, CLM-8, CLM-9, HTTP-1), verification before the
 * executor runs (section 5), refusals as A2A errors carrying the profile code (HTTP-2), the agent's
 * ECT on the result (HTTP-5), and the extension in the agent card.
 * @module
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Message, StreamResponse, Task } from '@a2a-js/sdk';
import {
  ClientCallContext,
  type BeforeArgs,
  type CallInterceptor,
  type Client,
} from '@a2a-js/sdk/client';
import {
  ECT_EXTENSION_URI,
  ECT_METADATA_KEY,
  ectExchangeOf,
  ectExtensionOf,
  ectRejectionOf,
  partsHash,
  resultHash,
  streamHash,
  withECT,
} from '../../src/a2a/index.js';
import { isECTError } from '../../src/errors.js';
import { hashJSON } from '../../src/format/canonical-json.js';
import {
  connect,
  PLANNER,
  plannerClient,
  plannerKeys,
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

/** An interceptor run after `ectInterceptor` that edits what it sent. */
function editing(
  edit: (message: Message, parameters: Record<string, string>) => void,
): CallInterceptor {
  return {
    async before(args: BeforeArgs): Promise<void> {
      const request = (args.input as { value: { message: Message } }).value;
      edit(request.message, args.options!.serviceParameters!);
    },
    async after(): Promise<void> {},
  };
}

/** Sends the message and returns the refusal; checks the envelope and that nothing ran. */
async function refusal(
  client: Client,
  text = 'refuse me',
): Promise<{ code: string; envelope: number }> {
  const ran = agent.seen.executed.length;
  const error = await client.sendMessage(userMessage(text)).then(
    () => assert.fail('the message was accepted'),
    (e: unknown) => e as { envelopeCode: number; data: unknown[] },
  );
  const rejection = ectRejectionOf(error);
  assert.ok(rejection, (error as unknown as Error).message);
  assert.equal(rejection.type, `urn:ect:error:${rejection.code}`);
  const info = error.data[0] as { metadata: Record<string, string> };
  assert.equal(info.metadata['code'], rejection.code);
  assert.equal(info.metadata['extension'], ECT_EXTENSION_URI);
  assert.equal(agent.seen.executed.length, ran, 'the executor ran for a refused message');
  return { code: rejection.code, envelope: error.envelopeCode };
}

function tamper(token: string): string {
  const [header, payload, signature] = token.split('.');
  const flipped = signature!.startsWith('A')
    ? `B${signature!.slice(1)}`
    : `A${signature!.slice(1)}`;
  return `${header}.${payload}.${flipped}`;
}

describe('A2A over JSON-RPC', () => {
  test('the agent card advertises the extension (URI, required, params)', async () => {
    const response = await fetch(`${agent.url}/.well-known/agent-card.json`);
    const card = (await response.json()) as { capabilities: { extensions: unknown[] } };
    assert.deepEqual(card.capabilities.extensions, [
      {
        uri: ECT_EXTENSION_URI,
        description:
          card.capabilities.extensions.length === 1
            ? (card.capabilities.extensions[0] as { description: string }).description
            : '',
        required: true,
        params: {
          audience: [REVIEWER],
          algorithms: ['ES256'],
          jwksUri: 'https://reviewer.example.org/.well-known/jwks.json',
          metadataKey: ECT_METADATA_KEY,
          header: 'Execution-Context',
        },
      },
    ]);
    const client = await plannerClient(agent);
    const extension = ectExtensionOf(await client.getAgentCard());
    assert.equal(extension?.required, true);
    assert.deepEqual(extension?.params.audience, [REVIEWER]);
    assert.equal(ectExtensionOf({ capabilities: { extensions: [] } }), undefined);
  });

  test('CLM-6, CLM-7, CLM-8, CLM-9, HTTP-1: the executor sees the message ECT', async () => {
    const client = await plannerClient(agent);
    const context = { jti: randomUUID(), wid: WORKFLOW };
    const request = userMessage('spec v1');
    const result = (await client.sendMessage(request, {
      context: ClientCallContext.create(withECT({ context })),
    })) as Message;
    const exchange = ectExchangeOf(result)!;
    const { claims } = exchange;
    assert.equal(claims.iss, PLANNER);
    assert.equal(claims.aud, REVIEWER);
    assert.equal(claims.exec_act, 'SendMessage');
    assert.deepEqual(claims.pred, [context.jti]);
    assert.equal(claims.wid, WORKFLOW);
    assert.equal(claims.inp_hash, partsHash(request.message!.parts));
    assert.equal(
      claims.inp_hash,
      hashJSON([
        { text: 'spec v1', mediaType: 'text/plain' },
        { data: { a: [1, 'x'], b: 2 }, mediaType: 'application/json' },
      ]),
    );
    const executed = agent.seen.executed.at(-1)!;
    assert.equal(executed.claims.jti, claims.jti);
    assert.equal(executed.level, 2);
    // HTTP-1: the same token in the header and in the message metadata.
    assert.equal(agent.seen.headers.at(-1), exchange.token);
    // CLM-8: the new message went into the A2A context named by the workflow.
    assert.equal(result.contextId, WORKFLOW);
    const part = result.parts[0]!.content!;
    assert.equal(part.$case === 'text' && part.value, `reviewed spec v1 for ${PLANNER}`);
  });

  test('HTTP-5: a Message result carries the agent ECT (pred, wid, out_hash)', async () => {
    const client = await plannerClient(agent);
    const context = { jti: randomUUID(), wid: WORKFLOW };
    const result = (await client.sendMessage(userMessage('abc'), {
      context: ClientCallContext.create(withECT({ context, exec_act: 'review_spec' })),
    })) as Message;
    const { claims, resultECT, resultToken } = ectExchangeOf(result)!;
    assert.equal(claims.exec_act, 'review_spec');
    assert.equal(resultToken, result.metadata![ECT_METADATA_KEY]);
    const ect = resultECT!;
    assert.equal(ect.claims.iss, REVIEWER);
    assert.equal(ect.claims.aud, PLANNER);
    assert.equal(ect.claims.exec_act, 'review_spec');
    assert.deepEqual(ect.claims.pred, [claims.jti]);
    assert.equal(ect.claims.wid, WORKFLOW);
    assert.equal(ect.claims.inp_hash, claims.inp_hash);
    assert.equal(ect.claims.out_hash, resultHash(result));
    // The chain: context → the planner's message → the reviewer's task.
    assert.deepEqual([context.jti, claims.jti], [claims.pred[0], ect.claims.pred[0]]);
  });

  test('HTTP-5: a Task result carries the agent ECT over the whole task', async () => {
    const client = await plannerClient(agent);
    const task = (await client.sendMessage(userMessage('task spec'), {
      context: ClientCallContext.create(withECT({ wid: WORKFLOW })),
    })) as Task;
    assert.ok('id' in task && task.artifacts.length === 1);
    const { claims, resultECT } = ectExchangeOf(task)!;
    assert.deepEqual(claims.pred, []);
    assert.equal(resultECT!.claims.out_hash, resultHash(task));
    assert.deepEqual(resultECT!.claims.pred, [claims.jti]);
    assert.equal(task.contextId, WORKFLOW);
  });

  test('HTTP-5: a stream ends with the agent ECT over every event', async () => {
    const client = await plannerClient(agent);
    const events: StreamResponse[] = [];
    for await (const event of client.sendMessageStream(userMessage('task streamed'))) {
      events.push(event);
    }
    const last = events.at(-1)!;
    assert.equal(last.payload?.$case, 'statusUpdate');
    const { claims, resultECT } = ectExchangeOf(last)!;
    assert.equal(claims.exec_act, 'SendStreamingMessage');
    assert.equal(resultECT!.claims.out_hash, streamHash(events));
    assert.deepEqual(resultECT!.claims.pred, [claims.jti]);
    for (const event of events.slice(0, -1)) assert.equal(ectExchangeOf(event), undefined);
  });

  test('CLM-8: a message continuing an A2A context named by a UUID carries it as wid', async () => {
    const client = await plannerClient(agent);
    const contextId = randomUUID();
    const result = await client.sendMessage(userMessage('again', { contextId }));
    assert.equal(ectExchangeOf(result)!.claims.wid, contextId);
    assert.equal(ectExchangeOf(result)!.resultECT!.claims.wid, contextId);
  });

  test('HTTP-2: a message without an ECT is refused (EXECUTION_CONTEXT_MISSING)', async () => {
    const client = await connect(agent, []);
    const { code, envelope } = await refusal(client);
    assert.equal(code, 'EXECUTION_CONTEXT_MISSING');
    assert.equal(envelope, -32008);
  });

  test('VER-6, HTTP-2: a tampered ECT is refused (ECT_SIGNATURE_INVALID)', async () => {
    const client = await plannerClient(agent, {}, [
      editing((message, parameters) => {
        const token = tamper(message.metadata![ECT_METADATA_KEY] as string);
        message.metadata![ECT_METADATA_KEY] = token;
        parameters['Execution-Context'] = token;
      }),
    ]);
    const { code, envelope } = await refusal(client);
    assert.equal(code, 'ECT_SIGNATURE_INVALID');
    assert.equal(envelope, -32602);
  });

  test('CLM-2, VER-9, HTTP-2: another audience is refused (ECT_AUDIENCE_MISMATCH)', async () => {
    const client = await plannerClient(agent, { audience: 'spiffe://example.org/other' });
    assert.equal((await refusal(client)).code, 'ECT_AUDIENCE_MISMATCH');
  });

  test('RPL-1, VER-12, HTTP-2: a replayed ECT is refused (ECT_REPLAY)', async () => {
    let first: { token: string } | undefined;
    const client = await plannerClient(agent, {}, [
      editing((message, parameters) => {
        if (first === undefined) {
          first = { token: message.metadata![ECT_METADATA_KEY] as string };
          return;
        }
        message.metadata![ECT_METADATA_KEY] = first.token;
        parameters['Execution-Context'] = first.token;
      }),
    ]);
    await client.sendMessage(userMessage('once'));
    assert.equal((await refusal(client, 'once')).code, 'ECT_REPLAY');
  });

  test('CLM-9: an inp_hash that is not of the parts is refused (ECT_CLAIM_INVALID)', async () => {
    const client = await plannerClient(agent, {}, [
      editing((message) => {
        message.parts = [...message.parts, message.parts[0]!];
      }),
    ]);
    assert.equal((await refusal(client)).code, 'ECT_CLAIM_INVALID');
  });

  test('HTTP-1: different ECTs in header and metadata are refused (ECT_MALFORMED)', async () => {
    const client = await plannerClient(agent, {}, [
      editing((_message, parameters) => {
        parameters['Execution-Context'] = tamper(parameters['Execution-Context']!);
      }),
    ]);
    assert.equal((await refusal(client)).code, 'ECT_MALFORMED');
  });

  test('HTTP-1: the header alone is enough', async () => {
    const client = await plannerClient(agent, {}, [
      editing((message) => {
        message.metadata = undefined;
      }),
    ]);
    const result = await client.sendMessage(userMessage('header only'));
    assert.ok(ectExchangeOf(result)!.resultECT);
  });

  test('HTTP-5: an agent ECT the caller cannot verify fails the call with its code', async () => {
    const client = await plannerClient(agent, {
      // The caller trusts only its own key, not the reviewer's.
      verifier: { audience: PLANNER, keys: { keys: [plannerKeys.publicJwk] } },
    });
    const error = await client.sendMessage(userMessage('x')).then(
      () => assert.fail('accepted'),
      (e: unknown) => e,
    );
    assert.ok(isECTError(error));
    assert.equal(error.code, 'ECT_KEY_UNRESOLVED');
  });
});

describe('A2A with ECTs optional (required: false)', () => {
  let optional: Agent;
  before(async () => {
    optional = await startAgent({ required: false });
  });
  after(async () => {
    await optional.close();
  });

  test('a message without an ECT runs, and its result carries none', async () => {
    const client = await connect(optional, []);
    const result = (await client.sendMessage(userMessage('anonymous'))) as Message;
    assert.equal(optional.seen.executed.at(-1), null);
    assert.equal(result.metadata?.[ECT_METADATA_KEY], undefined);
  });

  test('the caller refuses a result without the agent ECT (ECT_MALFORMED)', async () => {
    const client = await plannerClient(optional, {}, [
      editing((message, parameters) => {
        message.metadata = undefined;
        delete parameters['Execution-Context'];
      }),
    ]);
    const error = await client.sendMessage(userMessage('x')).then(
      () => assert.fail('accepted'),
      (e: unknown) => e,
    );
    assert.ok(isECTError(error));
    assert.equal(error.code, 'ECT_MALFORMED');
  });
});
