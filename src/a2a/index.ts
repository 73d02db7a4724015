/**
 * `wimse-ect/a2a`: ECTs on Agent2Agent messages, built on `@a2a-js/sdk` (an optional peer;
 * nothing of it is loaded until a digest is computed or a message refused). The extension and its
 * agent card entry (`ECT_EXTENSION_URI`, `ectAgentExtension`, `ectExtensionOf`), the caller's
 * side (`ectInterceptor`, `withECT`, `ectExchangeOf`), the agent's side (`ectRequestHandler`,
 * `ectOf`), refusals (`ectRejectionOf`) and the digests (`partsHash`, `resultHash`,
 * `streamHash`). docs/a2a.md describes the mapping.
 * @module wimse-ect/a2a
 */
export {
  ectExchangeOf,
  ectInterceptor,
  withECT,
  type A2ACall,
  type A2AECTExchange,
  type CallECT,
  type CallerContext,
  type ECTInterceptorOptions,
  type MessageECT,
} from './client.js';
export { ectRejectionOf, type A2AECTRejection } from './errors.js';
export {
  ECT_EXTENSION_URI,
  ECT_METADATA_KEY,
  ectAgentExtension,
  ectExtensionOf,
  type ECTAgentExtensionOptions,
  type ECTExtensionParams,
} from './extension.js';
export { partsHash, resultHash, streamHash } from './meta.js';
export { ectOf, ectRequestHandler, type ECTRequestHandlerOptions } from './server.js';
