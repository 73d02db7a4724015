/**
 * The demo's MCP hop: a tool server (its own workload) serves one tool, `lint_patch`, over MCP
 * Streamable HTTP on loopback with `wimse-ect/mcp`. The implementer calls it with the real SDK's
 * client: the call's ECT travels in the `Execution-Context` header (HTTP-1), the tool server
 * verifies it before the tool runs and records it in the ledger (L3), and answers with its own ECT
 * (`lint_report`, pred = the call) in `result._meta`, which the implementer verifies and records.
 * Loaded only when `@modelcontextprotocol/sdk` is installed (it is an optional peer).
 * @module
 */
import { createServer, type Server } from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Server as McpServer } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { createECTToolCaller, ectMcpFetch, ectOf, ectServerTransport } from '../mcp/index.js';
import { createVerifier, type VerifiedECT, type Verifier } from '../verify/verify.js';
import { listenOnLoopback, readJson, type Agent, type DemoTrust } from './agents.js';

/** The tool the demo's tool server offers, and the `exec_act` of the server's own tasks. */
export const LINT_TOOL = 'lint_patch';
export const LINT_REPORT = 'lint_report';

/** A running MCP tool server. */
export interface ToolServer {
  readonly url: string;
  close(): Promise<void>;
}

/** What one tool call gave the caller: its own task and the tool server's, both verified. */
export interface ToolCallOutcome {
  /** The call's task (the caller's ECT), as the tool server verified it. */
  readonly call: VerifiedECT | undefined;
  /** The tool server's task (its result ECT), as the caller verified it. */
  readonly report: VerifiedECT | undefined;
  readonly text: string;
}

/** A verifier with the demo's ledger (L3) and DAG validation, trusting one workload's key. */
function hopVerifier(options: { self: Agent; peer: Agent; trust: DemoTrust }): Verifier {
  const { self, peer, trust } = options;
  return createVerifier({
    audience: self.id,
    // MCP carries no Workload Identity Token: the peer's key is configured (a JWK Set).
    keys: { keys: [peer.keys.publicJwk] },
    record: { ledger: trust.ledger },
    dag: {},
    ...(trust.minLevel === undefined ? {} : { minLevel: trust.minLevel }),
  });
}

/** One stateless MCP server for one request (the SDK's pattern), with the `lint_patch` tool. */
function lintServer(onCall: (ect: VerifiedECT | undefined) => void): McpServer {
  const server = new McpServer(
    { name: 'demo-tools', version: '1.0.0' },
    { capabilities: { tools: {} } },
  );
  server.setRequestHandler(ListToolsRequestSchema, () => ({
    tools: [
      {
        name: LINT_TOOL,
        description: 'Lints a patch',
        inputSchema: { type: 'object', properties: { patch: { type: 'string' } } },
      },
    ],
  }));
  server.setRequestHandler(CallToolRequestSchema, (request, extra) => {
    onCall(ectOf(extra));
    const patch = request.params.arguments?.['patch'];
    if (typeof patch !== 'string') {
      return { content: [{ type: 'text', text: 'patch must be a string' }], isError: true };
    }
    return { content: [{ type: 'text', text: `${patch.split('\n').length} line(s), 0 issues` }] };
  });
  return server;
}

/**
 * Starts the tool server on 127.0.0.1 (a random port). `onCall` sees each call's verified ECT,
 * when the tool runs.
 */
export async function serveTools(options: {
  readonly tools: Agent;
  readonly caller: Agent;
  readonly trust: DemoTrust;
  readonly onCall: (ect: VerifiedECT | undefined) => void;
}): Promise<ToolServer> {
  const { tools, onCall } = options;
  // One verifier for every request: one replay cache (RPL-1).
  const verifier = hopVerifier({ self: tools, peer: options.caller, trust: options.trust });
  const server: Server = createServer((request, response) => {
    void (async () => {
      const body = request.method === 'POST' ? await readJson(request) : undefined;
      const mcp = lintServer(onCall);
      const transport = new StreamableHTTPServerTransport({ enableJsonResponse: true });
      await mcp.connect(
        ectServerTransport(transport, {
          verifier,
          identity: { iss: tools.id, key: tools.keys.privateJwk },
          execAct: () => LINT_REPORT,
        }),
      );
      response.on('close', () => void mcp.close());
      await transport.handleRequest(request, response, body);
    })().catch((error: unknown) => {
      response.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
    });
  });
  const listening = await listenOnLoopback(server);
  return { ...listening, url: `${listening.url}/mcp` };
}

/**
 * The caller's side: connects the SDK's client to the tool server and calls `lint_patch` under
 * `context` (its `jti` becomes the call's `pred`, its `wid` is carried along).
 */
export async function callLint(options: {
  readonly caller: Agent;
  readonly tools: Agent;
  readonly trust: DemoTrust;
  readonly url: string;
  readonly context: VerifiedECT;
  readonly patch: string;
  readonly jti: string;
  readonly seen: () => VerifiedECT | undefined;
}): Promise<ToolCallOutcome> {
  const { caller, tools } = options;
  const client = new Client({ name: caller.name, version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(options.url), { fetch: ectMcpFetch() }),
  );
  try {
    const toolCaller = createECTToolCaller({
      client,
      identity: { iss: caller.id, key: caller.keys.privateJwk },
      audience: tools.id,
      verifier: hopVerifier({ self: caller, peer: tools, trust: options.trust }),
    });
    const outcome = await toolCaller.callTool(
      { name: LINT_TOOL, arguments: { patch: options.patch } },
      { context: options.context, jti: options.jti },
    );
    const content = outcome.result.content as { type: string; text?: string }[];
    return {
      call: options.seen(),
      report: outcome.resultECT,
      text: content.map((c) => c.text ?? '').join(' '),
    };
  } finally {
    await client.close();
  }
}
