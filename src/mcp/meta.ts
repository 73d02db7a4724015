/**
 * Where an ECT travels in MCP (profile section 10 applied to the Model Context Protocol), shared
 * by the client and the server side of `wimse-ect/mcp`:
 *
 * - stdio and every other transport: `params._meta["wimse.ect"]` of a `tools/call` request, and
 *   `result._meta["wimse.ect"]` of its result (`ECT_META_KEY`);
 * - Streamable HTTP: the request's `Execution-Context` header (HTTP-1, HTTP-3, the codec of
 *   src/http/header.ts); the result's ECT stays in `result._meta`, because the response to a
 *   POST is often an event stream whose headers leave before the tool has run.
 *
 * The digests (CLM-9) are of RFC 8785 canonical JSON: `inp_hash` of the call's `arguments` (`{}`
 * when absent), `out_hash` of the result without the `wimse.ect` member of its `_meta` (and without
 * `_meta` when that member was its only one).
 * @module
 */
import { ECTError, isECTError } from '../errors.js';
import { hashJSON } from '../format/canonical-json.js';
import { ECT_MISSING_CODE, problemFor, type ProblemCode } from '../http/problem.js';

/**
 * The `_meta` member that carries an ECT in a `tools/call` request and its result.
 *
 * @example
 * ```ts
 * import { ECT_META_KEY } from 'wimse-ect/mcp';
 *
 * // Where a raw JSON-RPC tools/call carries its ECT.
 * const params = { name: 'review_spec', arguments: {}, _meta: { [ECT_META_KEY]: 'eyJ…' } };
 * ```
 */
export const ECT_META_KEY = 'wimse.ect';

/**
 * The JSON-RPC error code of a `tools/call` refused because of its ECT (in the range JSON-RPC
 * leaves to implementations); `error.data` is `McpECTErrorData`.
 *
 * @example
 * ```ts
 * import { McpError } from '@modelcontextprotocol/sdk/types.js';
 * import { ECT_REJECTED_ERROR_CODE, type McpECTErrorData } from 'wimse-ect/mcp';
 *
 * function refusalCode(error: unknown): string | undefined {
 *   if (!(error instanceof McpError) || error.code !== ECT_REJECTED_ERROR_CODE) return undefined;
 *   return (error.data as McpECTErrorData).code; // e.g. ECT_EXPIRED
 * }
 * ```
 */
export const ECT_REJECTED_ERROR_CODE = -32003;

/** The method whose requests carry ECTs. */
export const TOOLS_CALL = 'tools/call';

/**
 * `error.data` of a refused call: the section 11 code (or `EXECUTION_CONTEXT_MISSING`).
 *
 * @example
 * ```ts
 * import type { McpECTErrorData } from 'wimse-ect/mcp';
 *
 * const data: McpECTErrorData = {
 *   type: 'urn:ect:error:ECT_REPLAY',
 *   title: 'Replayed Execution Context',
 *   detail: 'task 6f1c0e0a-1b2c-4d3e-8f40-5a6b7c8d9e01 was already presented',
 *   code: 'ECT_REPLAY',
 * };
 * ```
 */
export interface McpECTErrorData {
  /** `urn:ect:error:<code>`, as in the HTTP problem bodies (HTTP-2). */
  readonly type: string;
  readonly title: string;
  readonly detail: string;
  readonly code: ProblemCode;
}

/** A JSON object, as MCP's `_meta`, `params` and `result` are. */
export type JSONObject = Record<string, unknown>;

/** True for a plain JSON object. */
export function isObject(value: unknown): value is JSONObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The ECT in a `_meta` object: `undefined` when absent; `ECT_MALFORMED` when not a string. */
export function metaToken(meta: unknown): string | undefined {
  if (!isObject(meta) || !Object.hasOwn(meta, ECT_META_KEY)) return undefined;
  const token = meta[ECT_META_KEY];
  if (typeof token !== 'string' || token.length === 0) {
    throw new ECTError('ECT_MALFORMED', `_meta["${ECT_META_KEY}"] must be one ECT as a string`);
  }
  return token;
}

/** A copy of an object without the ECT member of its `_meta` (and without an emptied `_meta`). */
export function withoutToken(value: JSONObject): JSONObject {
  const meta = value['_meta'];
  if (!isObject(meta) || !Object.hasOwn(meta, ECT_META_KEY)) return value;
  const { [ECT_META_KEY]: _token, ...rest } = meta;
  const { _meta: _old, ...copy } = value;
  return Object.keys(rest).length === 0 ? copy : { ...copy, _meta: rest };
}

/** A copy of an object with `token` under `_meta["wimse.ect"]`. */
export function withToken(value: JSONObject, token: string): JSONObject {
  const meta = isObject(value['_meta']) ? value['_meta'] : {};
  return { ...value, _meta: { ...meta, [ECT_META_KEY]: token } };
}

/**
 * CLM-9 `inp_hash` of a call: the canonical JSON of its arguments (`{}` when there are none).
 *
 * @example
 * ```ts
 * import { argumentsHash } from 'wimse-ect/mcp';
 *
 * // The inp_hash of a call: key order does not matter (RFC 8785 canonical JSON).
 * console.log(argumentsHash({ a: 1, b: 2 }) === argumentsHash({ b: 2, a: 1 })); // true
 * ```
 */
export function argumentsHash(args: unknown): string {
  return hashJSON(args ?? {});
}

/**
 * CLM-9 `out_hash` of a result: its canonical JSON without the ECT it carries.
 *
 * @example
 * ```ts
 * import { ECT_META_KEY, resultHash } from 'wimse-ect/mcp';
 *
 * const result = { content: [{ type: 'text', text: 'ok' }] };
 * // The ECT the result carries is not part of its out_hash.
 * const signed = { ...result, _meta: { [ECT_META_KEY]: 'eyJ…' } };
 * console.log(resultHash(result) === resultHash(signed)); // true
 * ```
 */
export function resultHash(result: JSONObject): string {
  return hashJSON(withoutToken(result));
}

/** The `error.data` of a refusal, or `undefined` for an error that is not about the token. */
export function rejectionData(error: unknown): McpECTErrorData | undefined {
  if (!isECTError(error) && error !== ECT_MISSING_CODE) return undefined;
  const problem = isECTError(error)
    ? problemFor(error.code, { member: error.member })
    : problemFor(ECT_MISSING_CODE);
  return { type: problem.type, title: problem.title, detail: problem.detail, code: problem.code };
}
