/**
 * `wimse-ect/http`: ECTs over HTTP (profile section 10). The header codec, problem details, the core
 * handler with the `node:http` adapter, response ECTs, the client `fetch` wrapper and the JWKS
 * endpoint with key rotation. The Express, Fastify, Hono and Fetch API adapters are separate entry
 * points (`wimse-ect/express`, `wimse-ect/fastify`, `wimse-ect/hono`, `wimse-ect/fetch`), so no
 * framework is loaded unless its adapter is imported.
 * @module wimse-ect/http
 */
export {
  DEFAULT_MAX_HEADER_SIZE,
  EXECUTION_CONTEXT_HEADER,
  formatExecutionContext,
  readExecutionContext,
  readExecutionContexts,
  RECEIPT_HEADER,
  WORKLOAD_IDENTITY_HEADER,
  type FieldLines,
  type HeaderCodecOptions,
} from './header.js';
export {
  BODY_TOO_LARGE_CODE,
  BodyTooLargeError,
  ECT_MISSING_CODE,
  PROBLEM_CONTENT_TYPE,
  PROBLEM_TYPE_PREFIX,
  problemBody,
  problemFor,
  problemFromError,
  type ProblemCode,
  type ProblemDetails,
} from './problem.js';
export {
  BodyConsumedError,
  captureRawBody,
  DEFAULT_MAX_BODY_BYTES,
  type BodyReadOptions,
} from './body.js';
export { ECT_MEDIA_TYPE } from './multipart.js';
export {
  CONFIG_INVALID_CODE,
  createECTHandler,
  ECTRejectionError,
  setupProblem,
  type ECTAdapterOptions,
  type ECTErrorsMode,
  type SetupProblemDetails,
  type VerifiedECTContext,
  type ECTContext,
  type ECTHandler,
  type ECTMiddlewareOptions,
  type ECTOutcome,
  type ECTRequestInput,
  type RouteECTOptions,
} from './handler.js';
export {
  createResponseECT,
  type RespondInit,
  type ResponseECTOptions,
  type SignerIdentity,
} from './respond.js';
export {
  ectNodeHandler,
  nodeRequestInput,
  sendNodeProblem,
  type NodeECTOptions,
  type NodeECTRequestHandler,
} from './node.js';
export {
  createECTFetch,
  type ECTFetch,
  type ECTFetchOptions,
  type ECTFetchResult,
  type ECTRequestInit,
  type RequestTask,
} from './client.js';
export {
  createJWKSHandler,
  DEFAULT_JWKS_CACHE_SECONDS,
  JWK_SET_CONTENT_TYPE,
  publicJWKSet,
  type JWKSHandler,
  type JWKSHandlerOptions,
  type JWKSKeys,
  type JWKSResponse,
} from './jwks.js';
