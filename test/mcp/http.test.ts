/**
 * `wimse-ect/mcp` over Streamable HTTP on a real loopback port: the SDK's client transport with
 * `ectMcpFetch` sends each call's ECT in the `Execution-Context` header (HTTP-1), the server
 * wrapper reads it with the header codec (HTTP-1, HTTP-3), and the result's ECT comes back in
 * `result._meta`, with JSON responses and with event streams.
 * @module
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { createECT } from '../../src/create/create.js';
import {
  argumentsHash,
  createECTToolCaller,
  ECT_META_KEY,
  ectMcpFetch,
  ectServerTransport,
  type ECTMcpFetchOptions,
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

/** What the HTTP server saw of each POST carrying a tools/call. */
interface Seen {
  readonly header: string | string[] | undefined;
  readonly body: { params?: { _meta?: Record<string, unknown> } };
}

let server: Server;
let url: URL;
const posts: Seen[] = [];
const handled: (VerifiedECT | null)[] = [];
// One verifier for every request: one replay cache for the server.
const verifier = createVerifier(serverVerifyOptions());

async function readJSON(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

before(async () => {
  server = createServer((request, response) => {
    void (async () => {
      const body = request.method === 'POST' ? await readJSON(request) : undefined;
      if ((body as { method?: string } | undefined)?.method === 'tools/call') {
        posts.push({
          header: request.headersDistinct['execution-context'],
          body: body as Seen['body'],
        });
      }
      // Stateless: a server and a transport per request (the SDK's pattern), one verifier.
      const json = request.url?.includes('json') ?? false;
      const mcp = toolServer(handled);
      const transport = new StreamableHTTPServerTransport({ enableJsonResponse: json });
      await mcp.connect(
        ectServerTransport(transport, {
          verifier,
          identity: { iss: TOOLS, key: toolKeys.privateJwk },
        }),
      );
      response.on('close', () => void mcp.close());
      await transport.handleRequest(request, response, body);
    })().catch((error: unknown) => {
      response.statusCode = 500;
      response.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`);
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function client(path: string, options: ECTMcpFetchOptions = {}): Promise<Client> {
  const mcp = new Client({ name: 'agent', version: '1.0.0' });
  await mcp.connect(
    new StreamableHTTPClientTransport(new URL(path, url), { fetch: ectMcpFetch(options) }),
  );
  return mcp;
}

function caller(mcp: Client): ReturnType<typeof createECTToolCaller> {
  return createECTToolCaller({
    client: mcp,
    identity: { iss: AGENT, key: agentKeys.privateJwk },
    audience: TOOLS,
    verifier: agentVerifyOptions(),
  });
}

describe('MCP over Streamable HTTP (loopback)', () => {
  for (const mode of ['json', 'sse'] as const) {
    test(`HTTP-1, HTTP-5: call ECT in the header, result ECT in _meta (${mode})`, async () => {
      const mcp = await client(`/mcp-${mode}`);
      try {
        posts.length = 0;
        handled.length = 0;
        const context = { jti: crypto.randomUUID(), wid: WORKFLOW };
        const call = await caller(mcp).callTool(
          { name: 'review_spec', arguments: { text: 'spec' } },
          { context },
        );
        assert.equal(posts.length, 1);
        assert.deepEqual(posts[0]!.header, [call.token]);
        assert.equal(posts[0]!.body.params?._meta, undefined, 'the token is not also in the body');
        assert.equal(handled[0]!.claims.jti, call.claims.jti);
        assert.deepEqual(call.resultECT!.claims.pred, [call.claims.jti]);
        assert.equal(call.resultECT!.claims.wid, WORKFLOW);
      } finally {
        await mcp.close();
      }
    });
  }

  test('HTTP-3: a token too large for the header stays in _meta, accepted there', async () => {
    const mcp = await client('/mcp-json', { maxHeaderSize: 64 });
    try {
      posts.length = 0;
      const call = await caller(mcp).callTool({ name: 'review_spec', arguments: { text: 'spec' } });
      assert.equal(posts[0]!.header, undefined);
      assert.equal(posts[0]!.body.params?._meta?.[ECT_META_KEY], call.token);
      assert.equal(call.resultECT!.claims.pred[0], call.claims.jti);
    } finally {
      await mcp.close();
    }
  });

  test('HTTP-1: two Execution-Context lines, or header and _meta: ECT_MALFORMED', async () => {
    const token = (): string =>
      createECT(
        { iss: AGENT, aud: TOOLS, exec_act: 'review_spec', inp_hash: argumentsHash({ text: 'x' }) },
        { key: agentKeys.privateJwk },
      );
    const twice = new Client({ name: 'agent', version: '1.0.0' });
    const doubling: typeof fetch = (input, init) => {
      const headers = new Headers(init?.headers);
      if (typeof init?.body === 'string' && init.body.includes('tools/call')) {
        headers.append('Execution-Context', token());
        headers.append('Execution-Context', token());
      }
      return fetch(input, { ...init, headers });
    };
    await twice.connect(
      new StreamableHTTPClientTransport(new URL('/mcp-json', url), { fetch: doubling }),
    );
    const both = await client('/mcp-json');
    try {
      const first = await twice
        .callTool({ name: 'review_spec', arguments: { text: 'x' } })
        .catch((e: McpError) => e);
      assert.equal(codeOf(first), 'ECT_MALFORMED');
      // One token in the header and a second in _meta of the same call is refused.
      const params = {
        name: 'review_spec',
        arguments: { text: 'x' },
        _meta: { [ECT_META_KEY]: token() },
      };
      const headerAndMeta = new Client({ name: 'agent', version: '1.0.0' });
      const adding: typeof fetch = (input, init) => {
        const headers = new Headers(init?.headers);
        if (typeof init?.body === 'string' && init.body.includes('tools/call'))
          headers.set('Execution-Context', token());
        return fetch(input, { ...init, headers });
      };
      await headerAndMeta.connect(
        new StreamableHTTPClientTransport(new URL('/mcp-json', url), { fetch: adding }),
      );
      const second = await headerAndMeta.callTool(params).catch((e: McpError) => e);
      assert.equal(codeOf(second), 'ECT_MALFORMED');
      assert.match((second as McpError).message, /exactly one|not exactly one/);
      await headerAndMeta.close();
    } finally {
      await twice.close();
      await both.close();
    }
  });
});
