/**
 * Issue 12: an MCP `tools/call` with ECTs against the same call without, the SDK's client and
 * server in one process over its in-memory transport (so the figure is the ECT work: signing the
 * call, verifying it before the tool runs, signing the result, verifying the result's ECT, and
 * the canonical-JSON hashes of arguments and result), and over Streamable HTTP on loopback.
 * Calls run 16 at a time; contenders alternate rounds (measure.ts).
 * @module
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { z } from 'zod';
import { generateKeyPair } from '../../src/crypto/keys.js';
import { createECTToolCaller, ectMcpFetch, ectServerTransport } from '../../src/mcp/index.js';
import { createVerifier, type Verifier } from '../../src/verify/verify.js';
import { compare, type Row } from '../measure.js';

const AGENT = 'spiffe://example.org/agent';
const TOOLS = 'spiffe://example.org/tools';
const CONCURRENCY = 16;
const agent = generateKeyPair();
const tools = generateKeyPair();

function toolServer(): McpServer {
  const server = new McpServer({ name: 'tools', version: '1.0.0' });
  server.registerTool(
    'review_spec',
    { description: 'Reviews a text', inputSchema: { text: z.string() } },
    async ({ text }) => ({ content: [{ type: 'text', text: `reviewed ${text.length} chars` }] }),
  );
  return server;
}

/** Wraps a server transport with ECT verification and signing, sharing one verifier. */
function withECT(transport: Transport, verifier: Verifier): Transport {
  return ectServerTransport(transport, {
    verifier,
    identity: { iss: TOOLS, key: tools.privateJwk },
  });
}

/** `ops` calls, CONCURRENCY at a time, through `call`. */
async function calls(ops: number, call: () => Promise<unknown>): Promise<void> {
  let left = ops;
  const worker = async (): Promise<void> => {
    while (left-- > 0) await call();
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

/** A connected client for each transport, with and without ECTs. */
async function inMemoryClient(options: { ect: Verifier | undefined }): Promise<Client> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await toolServer().connect(
    options.ect === undefined ? serverSide : withECT(serverSide, options.ect),
  );
  const client = new Client({ name: 'agent', version: '1.0.0' });
  await client.connect(clientSide);
  return client;
}

/** A stateless Streamable HTTP tool server on loopback (a server and transport per request). */
async function httpServer(options: { ect: Verifier | undefined }): Promise<Server> {
  const server = createServer((request, response) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const body =
        chunks.length === 0 ? undefined : (JSON.parse(Buffer.concat(chunks).toString()) as unknown);
      const mcp = toolServer();
      const transport = new StreamableHTTPServerTransport({ enableJsonResponse: true });
      await mcp.connect(options.ect === undefined ? transport : withECT(transport, options.ect));
      response.on('close', () => void mcp.close());
      await transport.handleRequest(request, response, body);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

async function httpClient(server: Server, options: { ect: boolean }): Promise<Client> {
  const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`);
  const client = new Client({ name: 'agent', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(url, options.ect ? { fetch: ectMcpFetch() } : {}),
  );
  return client;
}

function ectCaller(client: Client): () => Promise<unknown> {
  const caller = createECTToolCaller({
    client,
    identity: { iss: AGENT, key: agent.privateJwk },
    audience: TOOLS,
    verifier: createVerifier({ audience: AGENT, keys: { keys: [tools.publicJwk] } }),
  });
  return () => caller.callTool({ name: 'review_spec', arguments: { text: 'spec v1' } });
}

function plainCaller(client: Client): () => Promise<unknown> {
  return () => client.callTool({ name: 'review_spec', arguments: { text: 'spec v1' } });
}

export async function mcpSuite(options: { calls: number; rounds: number }): Promise<Row[]> {
  const verifier = (): Verifier =>
    createVerifier({ audience: TOOLS, keys: { keys: [agent.publicJwk] } });
  const rows: Row[] = [];
  const memoryPlain = await inMemoryClient({ ect: undefined });
  const memoryEct = await inMemoryClient({ ect: verifier() });
  const servers = [
    await httpServer({ ect: undefined }),
    await httpServer({ ect: verifier() }),
  ] as const;
  const httpPlain = await httpClient(servers[0], { ect: false });
  const httpEct = await httpClient(servers[1], { ect: true });
  try {
    for (const [transport, plain, ect] of [
      ['in-memory transport', plainCaller(memoryPlain), ectCaller(memoryEct)],
      ['Streamable HTTP, loopback', plainCaller(httpPlain), ectCaller(httpEct)],
    ] as const) {
      const rates = await compare(
        [
          { name: 'plain', run: (_round, ops) => calls(ops, plain) },
          { name: 'ect', run: (_round, ops) => calls(ops, ect) },
        ],
        { rounds: options.rounds, ops: options.calls },
      );
      rows.push({
        suite: 'mcp',
        case: `tools/call with ECTs (ES256 call and result, verified both ways), ${transport}`,
        value: rates['ect']!,
        unit: 'calls/s',
        ratio: rates['ect']! / rates['plain']!,
        baseline: `same call without ECTs ${Math.round(rates['plain']!)}/s`,
      });
    }
  } finally {
    await Promise.all([memoryPlain, memoryEct, httpPlain, httpEct].map((c) => c.close()));
    for (const server of servers) {
      server.closeAllConnections();
      server.close();
    }
  }
  return rows;
}
