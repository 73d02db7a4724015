/**
 * Shared set-up of the MCP tests: two workloads (an agent and a tool server), their keys, and an
 * `McpServer` of the real SDK with two tools whose handlers report the ECT they received.
 * @module
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { generateKeyPair, type GeneratedKeyPair } from '../../src/crypto/keys.js';
import { ectOf } from '../../src/mcp/index.js';
import type { VerifyOptions } from '../../src/verify/options.js';
import type { VerifiedECT } from '../../src/verify/verify.js';

export const AGENT = 'spiffe://example.org/agent';
export const TOOLS = 'spiffe://example.org/tools';
export const WORKFLOW = '6f1c2b7e-3a4d-4e8f-9b0a-1c2d3e4f5a6b';

export const agentKeys: GeneratedKeyPair = generateKeyPair({ kid: 'agent-key' });
export const toolKeys: GeneratedKeyPair = generateKeyPair({ kid: 'tool-key' });

/** The verifier options of the tool server: it trusts the agent's key. */
export function serverVerifyOptions(): VerifyOptions {
  return { audience: TOOLS, keys: { keys: [agentKeys.publicJwk] } };
}

/** The verifier options of the agent: it trusts the tool server's key. */
export function agentVerifyOptions(): VerifyOptions {
  return { audience: AGENT, keys: { keys: [toolKeys.publicJwk] } };
}

/**
 * A tool server: `review_spec` (text in, text and structured content out) and `fail` (throws).
 * Every ECT a handler receives is pushed to `seen` (`null` for a call without one).
 */
export function toolServer(seen: (VerifiedECT | null)[] = []): McpServer {
  const server = new McpServer({ name: 'tools', version: '1.0.0' });
  server.registerTool(
    'review_spec',
    { description: 'Reviews a specification', inputSchema: { text: z.string() } },
    async ({ text }, extra) => {
      const ect = ectOf(extra);
      seen.push(ect ?? null);
      return {
        content: [
          {
            type: 'text',
            text: `reviewed ${text.length} characters for ${ect?.claims.iss}`,
          },
        ],
        structuredContent: { length: text.length },
      };
    },
  );
  server.registerTool('fail', { description: 'Always fails' }, async (extra) => {
    seen.push(ectOf(extra) ?? null);
    throw new Error('the tool failed');
  });
  return server;
}

/** The profile code in the `data` of a refused call's JSON-RPC error. */
export function codeOf(error: unknown): string | undefined {
  return ((error as { data?: { code?: string } }).data ?? {}).code;
}
