/**
 * The calling side of `wimse-ect/mcp`: every `tools/call` goes out with the caller's ECT (CLM-6
 * `exec_act` the tool name, CLM-9 `inp_hash` of the canonical arguments, CLM-7 `pred` from the
 * task the caller works under, CLM-8 `wid` carried along) in `params._meta["wimse.ect"]`, and the
 * ECT the tool server returns with the result is verified: its signature and claims (section 5),
 * `pred` naming the call's task and `out_hash` the canonical result (HTTP-5 applied to MCP).
 * @module
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { RequestOptions } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { CallToolRequest, CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { ECTConfigError, ECTError } from '../errors.js';
import { parseToken } from '../format/parse.js';
import type { ECTClaims } from '../format/types.js';
import { identitySigner, type SignerIdentity } from '../http/respond.js';
import type { VerifyOptions } from '../verify/options.js';
import { callClaims, checkResultChain, type CallECT } from '../verify/result-chain.js';
import { verifierOf } from '../verify/verifier-of.js';
import type { VerifiedECT, Verifier } from '../verify/verify.js';
import { argumentsHash, metaToken, resultHash, withToken } from './meta.js';

/**
 * What `createECTToolCaller` needs of an MCP client: its `callTool` (an SDK `Client`).
 *
 * @example
 * ```ts
 * import { Client } from '@modelcontextprotocol/sdk/client/index.js';
 * import type { ToolCallClient } from 'wimse-ect/mcp';
 *
 * const client: ToolCallClient = new Client({ name: 'agent', version: '1.0.0' });
 * ```
 */
export type ToolCallClient = Pick<Client, 'callTool'>;

export type { CallECT, CallerContext } from '../verify/result-chain.js';

/**
 * Options of `createECTToolCaller`.
 *
 * @example
 * ```ts
 * import { Client } from '@modelcontextprotocol/sdk/client/index.js';
 * import { generateKeyPair } from 'wimse-ect';
 * import { createECTToolCaller, type ECTToolCallerOptions } from 'wimse-ect/mcp';
 *
 * const agent = generateKeyPair();
 * const tools = generateKeyPair();
 * const options: ECTToolCallerOptions = {
 *   client: new Client({ name: 'agent', version: '1.0.0' }),
 *   identity: { iss: 'spiffe://example.org/agent', key: agent.privateJwk },
 *   audience: 'spiffe://example.org/tools',
 *   verifier: { audience: 'spiffe://example.org/agent', keys: { keys: [tools.publicJwk] } },
 *   execAct: (tool) => `mcp:${tool}`,
 * };
 * const caller = createECTToolCaller(options);
 * ```
 */
export interface ECTToolCallerOptions {
  /** The MCP client (connected to any transport). */
  readonly client: ToolCallClient;
  /** The caller's identity and key: `iss` and signer of its ECTs. */
  readonly identity: SignerIdentity;
  /** CLM-2: the tool server's identity, `aud` of the call's ECT. */
  readonly audience: string | readonly string[];
  /** Verifies the ECT of each result (its audience is the caller's identity). */
  readonly verifier: Verifier | VerifyOptions;
  /** CLM-6: the `exec_act` of a call to a tool (default: the tool's name). */
  readonly execAct?: (tool: string) => string;
  /** Refuse a result without an ECT (default true; `ECT_MALFORMED`). */
  readonly requireResultECT?: boolean;
}

/**
 * Per call: the context the call continues, and claims to set. Without `wid`: the context's;
 * without `exec_act`: `execAct(tool)`, else the tool's name.
 *
 * @example
 * ```ts
 * import { randomUUID } from 'node:crypto';
 * import type { ToolCallECT } from 'wimse-ect/mcp';
 *
 * const ect: ToolCallECT = {
 *   context: { jti: randomUUID(), wid: randomUUID() }, // pred and wid come from here
 *   exec_act: 'summarise_ticket',
 *   ect_ext: { ticket: 'OPS-42' },
 * };
 * ```
 */
export type ToolCallECT = CallECT;

/**
 * What a call returns.
 *
 * @example
 * ```ts
 * import type { ECTToolCaller, ECTToolCallResult } from 'wimse-ect/mcp';
 *
 * async function review(caller: ECTToolCaller, text: string): Promise<string | undefined> {
 *   const call: ECTToolCallResult = await caller.callTool({
 *     name: 'review_spec',
 *     arguments: { text },
 *   });
 *   // The server's task follows the call's: its pred is the call's jti.
 *   console.log(call.claims.jti, call.resultECT?.claims.pred);
 *   return call.resultToken;
 * }
 * ```
 */
export interface ECTToolCallResult {
  /** The tool's result, as the SDK returns it (its `_meta` still holds the server's ECT). */
  readonly result: CallToolResult;
  /** The caller's ECT as sent, and its claims. */
  readonly token: string;
  readonly claims: ECTClaims;
  /** The tool server's ECT, as received (`undefined` when it sent none). */
  readonly resultToken: string | undefined;
  /** The tool server's ECT, verified. */
  readonly resultECT: VerifiedECT | undefined;
}

/**
 * Calls tools with ECTs.
 *
 * @example
 * ```ts
 * import type { ECTToolCaller } from 'wimse-ect/mcp';
 *
 * async function search(caller: ECTToolCaller, query: string): Promise<unknown> {
 *   const { result } = await caller.callTool({ name: 'search', arguments: { query } });
 *   return result.structuredContent;
 * }
 * ```
 */
export interface ECTToolCaller {
  /** Calls a tool: the ECT is added to `params._meta`; the result's ECT is verified. */
  callTool(
    params: CallToolRequest['params'],
    ect?: ToolCallECT,
    options?: RequestOptions,
  ): Promise<ECTToolCallResult>;
}

/**
 * Builds a caller: the key is imported and the verifier built once. A refusal by the server (its
 * verifier rejected the call's ECT) arrives as the SDK's `McpError` with code
 * `ECT_REJECTED_ERROR_CODE` and the profile code in `error.data.code`; a result whose ECT fails
 * verification is an `ECTError` with the section 11 code.
 *
 * @example
 * ```ts
 * import { Client } from '@modelcontextprotocol/sdk/client/index.js';
 * import {
 *   StreamableHTTPClientTransport,
 * } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
 * import { generateKeyPair } from 'wimse-ect';
 * import { createECTToolCaller, ectMcpFetch } from 'wimse-ect/mcp';
 *
 * const agent = generateKeyPair();
 * const tools = generateKeyPair(); // the tool server's key pair; the agent trusts its public half
 * const client = new Client({ name: 'agent', version: '1.0.0' });
 * const url = new URL('https://tools.example.org/mcp');
 * await client.connect(new StreamableHTTPClientTransport(url, { fetch: ectMcpFetch() }));
 * const caller = createECTToolCaller({
 *   client,
 *   identity: { iss: 'spiffe://example.org/agent', key: agent.privateJwk },
 *   audience: 'spiffe://example.org/tools',
 *   verifier: { audience: 'spiffe://example.org/agent', keys: { keys: [tools.publicJwk] } },
 * });
 * const { result, resultECT } = await caller.callTool({
 *   name: 'review_spec',
 *   arguments: { text: 'v1' },
 * });
 * ```
 */
export function createECTToolCaller(options: ECTToolCallerOptions): ECTToolCaller {
  const { client, identity } = options;
  if (typeof client?.callTool !== 'function') {
    throw new ECTConfigError('client', 'give an MCP Client (@modelcontextprotocol/sdk)');
  }
  const signer = identitySigner({
    identity,
    missing: 'the caller needs an identity (iss) and a key',
  });
  if (options.verifier === undefined) {
    throw new ECTConfigError(
      'verifier',
      "the result's ECT is verified: give a Verifier or VerifyOptions",
    );
  }
  const verifier = verifierOf(options.verifier);
  const execAct = options.execAct ?? ((tool: string): string => tool);
  const requireResult = options.requireResultECT ?? true;

  return {
    async callTool(params, ect = {}, requestOptions) {
      const token = signer.sign({
        iss: identity.iss,
        aud: options.audience,
        ...callClaims(ect, { execAct: () => execAct(params.name) }),
        inp_hash: argumentsHash(params.arguments),
      });
      const claims = parseToken(token).payload as unknown as ECTClaims;
      const sent = withToken(params, token) as CallToolRequest['params'];
      const result = (await client.callTool(sent, undefined, requestOptions)) as CallToolResult;
      const resultToken = metaToken(result._meta);
      if (resultToken === undefined) {
        if (requireResult) {
          throw new ECTError('ECT_MALFORMED', `the result of ${params.name} carries no ECT`);
        }
        return { result, token, claims, resultToken, resultECT: undefined };
      }
      const expect = { out_hash: resultHash(result), inp_hash: claims.inp_hash! };
      const resultECT = await verifier.verify(resultToken, { expect });
      checkResultChain({ result: resultECT, call: claims });
      return { result, token, claims, resultToken, resultECT };
    },
  };
}
