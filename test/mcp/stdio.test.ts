/**
 * `wimse-ect/mcp` with the tool server in a child process over stdio (the SDK's stdio transports):
 * the call's ECT in `params._meta["wimse.ect"]`, the result's in `result._meta` (HTTP-5), a refusal
 * as a JSON-RPC error carrying the code (HTTP-2).
 * @module
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { createECTToolCaller, ECT_META_KEY, ECT_REJECTED_ERROR_CODE } from '../../src/mcp/index.js';
import { AGENT, agentKeys, agentVerifyOptions, toolKeys, TOOLS, WORKFLOW } from './support.js';

let client: Client;

before(async () => {
  const keys = { server: toolKeys.privateJwk, trusted: agentKeys.publicJwk, audience: TOOLS };
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ['--import', 'tsx', join(import.meta.dirname, 'stdio-server.ts')],
    env: { ...process.env, ECT_TEST_KEYS: JSON.stringify(keys) },
    stderr: 'inherit',
  });
  client = new Client({ name: 'agent', version: '1.0.0' });
  await client.connect(transport);
});

after(async () => {
  await client?.close();
});

describe('MCP over stdio (a child process)', () => {
  test("CLM-9, HTTP-5: a call with an ECT in _meta; the child's result ECT verifies", async () => {
    const tools = createECTToolCaller({
      client,
      identity: { iss: AGENT, key: agentKeys.privateJwk },
      audience: TOOLS,
      verifier: agentVerifyOptions(),
    });
    const context = { jti: randomUUID(), wid: WORKFLOW };
    const call = await tools.callTool(
      { name: 'review_spec', arguments: { text: 'over stdio' } },
      { context },
    );
    assert.equal(
      (call.result.content[0] as { text: string }).text,
      `reviewed 10 characters for ${AGENT}`,
    );
    assert.equal(call.resultECT!.claims.iss, TOOLS);
    assert.deepEqual(call.resultECT!.claims.pred, [call.claims.jti]);
    assert.equal(call.resultECT!.claims.wid, WORKFLOW);
    assert.equal(call.resultECT!.claims.inp_hash, call.claims.inp_hash);
  });

  test('HTTP-2: the child refuses a call without ECT: EXECUTION_CONTEXT_MISSING', async () => {
    const error = await client.callTool({ name: 'review_spec', arguments: { text: 'x' } }).then(
      () => assert.fail('accepted'),
      (e: unknown) => e as McpError,
    );
    assert.ok(error instanceof McpError);
    assert.equal(error.code, ECT_REJECTED_ERROR_CODE);
    assert.equal((error.data as { code: string }).code, 'EXECUTION_CONTEXT_MISSING');
    const bad = await client
      .callTool({
        name: 'review_spec',
        arguments: { text: 'x' },
        _meta: { [ECT_META_KEY]: 'x.y.z' },
      })
      .then(
        () => assert.fail('accepted'),
        (e: unknown) => e as McpError,
      );
    assert.equal((bad.data as { code: string }).code, 'ECT_MALFORMED');
  });
});
