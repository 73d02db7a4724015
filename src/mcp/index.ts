/**
 * `wimse-ect/mcp`: ECTs on Model Context Protocol tool calls, built on `@modelcontextprotocol/sdk`
 * (an optional peer; nothing of it is loaded until a server signs its first result). The caller's
 * side (`createECTToolCaller`), the tool server's side (`ectServerTransport`, `ectOf`), the
 * Streamable HTTP header (`ectMcpFetch`), and where the token travels (`ECT_META_KEY`).
 * docs/mcp.md describes the mapping.
 * @module wimse-ect/mcp
 */
export {
  createECTToolCaller,
  type CallECT,
  type CallerContext,
  type ECTToolCaller,
  type ECTToolCallerOptions,
  type ECTToolCallResult,
  type ToolCallClient,
  type ToolCallECT,
} from './client.js';
export { ectMcpFetch, type ECTMcpFetchOptions } from './http.js';
export {
  argumentsHash,
  ECT_META_KEY,
  ECT_REJECTED_ERROR_CODE,
  resultHash,
  type McpECTErrorData,
} from './meta.js';
export {
  ectOf,
  ectServerTransport,
  type ECTRequestExtra,
  type ECTServerTransportOptions,
} from './server.js';
