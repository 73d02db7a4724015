/**
 * `wimse-ect/mcp` with the SDK's client and server in one process (its in-memory transport): the
 * caller's ECT on every tools/call (CLM-6, CLM-7, CLM-8, CLM-9), verification before the tool
 * runs (section 5), refusals as JSON-RPC errors carrying the profile code (HTTP-2), and the
 * server's ECT on the result (HTTP-5).
 * @module
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { createECT } from '../../src/create/create.js';
import { generateKeyPair } from '../../src/crypto/keys.js';
import { isECTError } from '../../src/errors.js';
import { hashJSON } from '../../src/format/canonical-json.js';
import {
  argumentsHash,
  createECTToolCaller,
  ECT_META_KEY,
  ECT_REJECTED_ERROR_CODE,
  ectServerTransport,
  resultHash,
  type ECTServerTransportOptions,
} from '../../src/mcp/index.js';
import { createVerifier, type VerifiedECT } from '../../src/verify/verify.js';
import {
  AGENT,
  agentKeys,
  codeOf,
  agentVerifyOptions,
  serverVerifyOptions,
  toolKeys,
  toolServer,
  TOOLS,
  WORKFLOW,
} from './support.js';

interface Pair {
  readonly client: Client;
  readonly server: McpServer;
  readonly seen: (VerifiedECT | null)[];
  close(): Promise<void>;
}

async function connect(options: Partial<ECTServerTransportOptions> = {}): Promise<Pair> {
  const seen: (VerifiedECT | null)[] = [];
  const server = toolServer(seen);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(
    ectServerTransport(serverSide, {
      verifier: serverVerifyOptions(),
      identity: { iss: TOOLS, key: toolKeys.privateJwk },
      ...options,
    }),
  );
  const client = new Client({ name: 'agent', version: '1.0.0' });
  await client.connect(clientSide);
  return {
    client,
    server,
    seen,
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}

function caller(
  client: Client,
  execAct?: (tool: string) => string,
): ReturnType<typeof createECTToolCaller> {
  return createECTToolCaller({
    client,
    identity: { iss: AGENT, key: agentKeys.privateJwk },
    audience: TOOLS,
    verifier: agentVerifyOptions(),
    ...(execAct === undefined ? {} : { execAct }),
  });
}

/** A token of the agent for a call, with overrides. */
function agentToken(
  claims: Record<string, unknown> = {},
  key: object = agentKeys.privateJwk,
): string {
  return createECT(
    {
      iss: AGENT,
      aud: TOOLS,
      exec_act: 'review_spec',
      inp_hash: argumentsHash({ text: 'x' }),
      ...claims,
    },
    { key: key as never },
  );
}

/** Sends a raw tools/call with this token in _meta and returns the refusal's code. */
async function refusal(
  client: Client,
  token: string | undefined,
  args: object = { text: 'x' },
): Promise<string> {
  const params = {
    name: 'review_spec',
    arguments: args,
    ...(token === undefined ? {} : { _meta: { [ECT_META_KEY]: token } }),
  };
  const error = await client.callTool(params as never).then(
    () => assert.fail('the call was accepted'),
    (e: unknown) => e as McpError,
  );
  assert.ok(error instanceof McpError, String(error));
  assert.equal(error.code, ECT_REJECTED_ERROR_CODE);
  const data = error.data as { code: string; type: string; title: string };
  assert.equal(data.type, `urn:ect:error:${data.code}`);
  return data.code;
}

describe('MCP over the in-memory transport', () => {
  test('CLM-6, CLM-7, CLM-8, CLM-9: the call carries an ECT; the tool gets it', async () => {
    const pair = await connect();
    try {
      const context = { jti: randomUUID(), wid: WORKFLOW };
      const args = { text: 'the spec' };
      const call = await caller(pair.client).callTool(
        { name: 'review_spec', arguments: args },
        { context },
      );
      assert.equal(call.claims.iss, AGENT);
      assert.equal(call.claims.aud, TOOLS);
      assert.equal(call.claims.exec_act, 'review_spec');
      assert.deepEqual(call.claims.pred, [context.jti]);
      assert.equal(call.claims.wid, WORKFLOW);
      assert.equal(call.claims.inp_hash, hashJSON({ text: 'the spec' }));
      assert.equal(pair.seen.length, 1);
      assert.equal(pair.seen[0]!.claims.jti, call.claims.jti);
      assert.equal(pair.seen[0]!.level, 2);
      const text = (call.result.content[0] as { text: string }).text;
      assert.equal(text, `reviewed 8 characters for ${AGENT}`);
    } finally {
      await pair.close();
    }
  });

  test('HTTP-5: the result carries the server ECT (pred, out_hash), verified', async () => {
    const pair = await connect();
    try {
      const call = await caller(pair.client).callTool(
        { name: 'review_spec', arguments: { text: 'abc' } },
        { context: { jti: randomUUID(), wid: WORKFLOW } },
      );
      const ect = call.resultECT!;
      assert.equal(ect.claims.iss, TOOLS);
      assert.equal(ect.claims.aud, AGENT);
      assert.equal(ect.claims.exec_act, 'review_spec');
      assert.deepEqual(ect.claims.pred, [call.claims.jti]);
      assert.equal(ect.claims.wid, WORKFLOW);
      assert.equal(ect.claims.inp_hash, call.claims.inp_hash);
      assert.equal(ect.claims.out_hash, resultHash(call.result as never));
      const { _meta, ...rest } = call.result;
      assert.deepEqual(Object.keys(_meta!), [ECT_META_KEY]);
      assert.equal(ect.claims.out_hash, hashJSON(rest));
      assert.equal(call.resultToken, _meta![ECT_META_KEY]);
    } finally {
      await pair.close();
    }
  });

  test('CLM-6: exec_act per caller and per call; a root call has pred []', async () => {
    const pair = await connect();
    try {
      const tools = caller(pair.client, (tool) => `mcp:${tool}`);
      const first = await tools.callTool({ name: 'review_spec', arguments: { text: 'a' } });
      assert.equal(first.claims.exec_act, 'mcp:review_spec');
      assert.deepEqual(first.claims.pred, []);
      assert.equal(first.claims.wid, undefined);
      const second = await tools.callTool(
        { name: 'review_spec', arguments: { text: 'a' } },
        { exec_act: 'check', context: first.resultECT!, pred: [first.claims.jti] },
      );
      assert.equal(second.claims.exec_act, 'check');
      assert.deepEqual(
        new Set(second.claims.pred),
        new Set([first.claims.jti, first.resultECT!.claims.jti]),
      );
    } finally {
      await pair.close();
    }
  });

  test('HTTP-5: a tool that fails still answers with a signed result (isError)', async () => {
    const pair = await connect();
    try {
      const call = await caller(pair.client).callTool({ name: 'fail' });
      assert.equal(call.result.isError, true);
      assert.equal(call.claims.inp_hash, hashJSON({}));
      assert.equal(call.resultECT!.claims.out_hash, resultHash(call.result as never));
      assert.equal(pair.seen[0]!.claims.jti, call.claims.jti);
    } finally {
      await pair.close();
    }
  });

  test('HTTP-2: refusals are JSON-RPC errors with the code in data; no tool runs', async () => {
    const pair = await connect();
    try {
      assert.equal(await refusal(pair.client, undefined), 'EXECUTION_CONTEXT_MISSING');
      assert.equal(await refusal(pair.client, 'not a token'), 'ECT_MALFORMED');
      assert.equal(
        await refusal(pair.client, agentToken({ aud: 'spiffe://example.org/other' })),
        'ECT_AUDIENCE_MISMATCH',
      );
      const stranger = generateKeyPair({ kid: 'agent-key' });
      assert.equal(
        await refusal(pair.client, agentToken({}, stranger.privateJwk)),
        'ECT_SIGNATURE_INVALID',
      );
      const old = Math.floor(Date.now() / 1000) - 3600;
      assert.equal(
        await refusal(pair.client, agentToken({ iat: old, exp: old + 60 })),
        'ECT_EXPIRED',
      );
      const params = {
        name: 'review_spec',
        arguments: { text: 'x' },
        _meta: { [ECT_META_KEY]: 42 },
      };
      const error = await pair.client.callTool(params as never).catch((e: McpError) => e);
      assert.equal(codeOf(error), 'ECT_MALFORMED');
      assert.equal(pair.seen.length, 0);
    } finally {
      await pair.close();
    }
  });

  test('CLM-9: arguments other than the ones hashed are ECT_CLAIM_INVALID', async () => {
    const pair = await connect();
    try {
      assert.equal(await refusal(pair.client, agentToken(), { text: 'y' }), 'ECT_CLAIM_INVALID');
      const missing = agentToken({ inp_hash: undefined });
      assert.equal(await refusal(pair.client, missing), 'ECT_CLAIM_MISSING');
      // The same arguments in another member order hash the same (RFC 8785).
      const token = agentToken({ inp_hash: argumentsHash({ b: 1, text: 'x' }) });
      const params = {
        name: 'review_spec',
        arguments: { text: 'x', b: 1 },
        _meta: { [ECT_META_KEY]: token },
      };
      const result = await pair.client.callTool(params);
      assert.ok(!result.isError, JSON.stringify(result));
    } finally {
      await pair.close();
    }
  });

  test('RPL-1: a token presented twice is refused the second time (ECT_REPLAY)', async () => {
    const pair = await connect();
    try {
      const token = agentToken();
      const params = {
        name: 'review_spec',
        arguments: { text: 'x' },
        _meta: { [ECT_META_KEY]: token },
      };
      const first = await pair.client.callTool(params);
      assert.equal(typeof first._meta?.[ECT_META_KEY], 'string');
      assert.equal(await refusal(pair.client, token), 'ECT_REPLAY');
      assert.equal(pair.seen.length, 1);
    } finally {
      await pair.close();
    }
  });

  test('required: false lets a call without ECT through; other requests pass', async () => {
    const pair = await connect({ required: false });
    try {
      const tools = await pair.client.listTools();
      assert.deepEqual(tools.tools.map((t) => t.name).sort(), ['fail', 'review_spec']);
      const result = await pair.client.callTool({ name: 'review_spec', arguments: { text: 'x' } });
      assert.equal(pair.seen[0], null);
      assert.equal(result._meta?.[ECT_META_KEY], undefined);
    } finally {
      await pair.close();
    }
  });

  test('VER-5: the caller refuses a result ECT it cannot verify, or none', async () => {
    const other = generateKeyPair({ kid: 'tool-key' });
    const pair = await connect({ identity: { iss: TOOLS, key: other.privateJwk } });
    try {
      const error = await caller(pair.client)
        .callTool({ name: 'review_spec', arguments: { text: 'x' } })
        .then(
          () => assert.fail('accepted'),
          (e: unknown) => e,
        );
      assert.ok(isECTError(error) && error.code === 'ECT_SIGNATURE_INVALID', String(error));
    } finally {
      await pair.close();
    }
    const open = await connect({ required: false });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    const plain = toolServer();
    await plain.connect(serverSide);
    const client = new Client({ name: 'agent', version: '1.0.0' });
    await client.connect(clientSide);
    try {
      const error = await caller(client)
        .callTool({ name: 'review_spec', arguments: { text: 'x' } })
        .then(
          () => assert.fail('accepted'),
          (e: unknown) => e,
        );
      assert.ok(isECTError(error) && error.code === 'ECT_MALFORMED', String(error));
      assert.match((error as Error).message, /carries no ECT/);
    } finally {
      await client.close();
      await plain.close();
      await open.close();
    }
  });

  test('HTTP-5: a result ECT without the call in pred is ECT_CLAIM_INVALID', async () => {
    const result: CallToolResult = { content: [{ type: 'text', text: 'x' }] };
    const forged = (claims: Record<string, unknown>): string =>
      createECT(
        { iss: TOOLS, aud: AGENT, exec_act: 'review_spec', out_hash: hashJSON(result), ...claims },
        { key: toolKeys.privateJwk },
      );
    const answer = (token: string): { callTool(): Promise<CallToolResult> } => ({
      callTool: async () => ({ ...result, _meta: { [ECT_META_KEY]: token } }),
    });
    const attempt = async (token: string): Promise<unknown> =>
      createECTToolCaller({
        client: answer(token),
        identity: { iss: AGENT, key: agentKeys.privateJwk },
        audience: TOOLS,
        verifier: createVerifier(agentVerifyOptions()),
      })
        .callTool({ name: 'review_spec', arguments: {} })
        .then(
          () => assert.fail('accepted'),
          (e: unknown) => e,
        );
    const inp = argumentsHash({});
    const wrongPred = await attempt(forged({ pred: [randomUUID()], inp_hash: inp }));
    assert.ok(isECTError(wrongPred) && wrongPred.code === 'ECT_CLAIM_INVALID', String(wrongPred));
    assert.equal(wrongPred.member, 'pred');
    const noInput = await attempt(forged({ pred: [randomUUID()] }));
    assert.ok(isECTError(noInput) && noInput.code === 'ECT_CLAIM_MISSING', String(noInput));
    assert.equal(noInput.member, 'inp_hash');
    const otherOutput = await attempt(forged({ inp_hash: inp, out_hash: hashJSON({ other: 1 }) }));
    assert.ok(
      isECTError(otherOutput) && otherOutput.code === 'ECT_CLAIM_INVALID',
      String(otherOutput),
    );
    assert.equal(otherOutput.member, 'out_hash');
  });
});
