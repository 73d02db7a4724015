/**
 * Streamable HTTP, calling side: a `fetch` for the SDK's `StreamableHTTPClientTransport` that moves
 * the ECT of a `tools/call` from `params._meta["wimse.ect"]` into the request's `Execution-Context`
 * header (HTTP-1), written by the codec of src/http/header.ts. A token larger than the header limit
 * (HTTP-3) stays in `_meta`, in the body, where the server also looks when the header is absent
 * (as the body fallback of HTTP-6 does for plain HTTP).
 * @module
 */
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { isECTError } from '../errors.js';
import { EXECUTION_CONTEXT_HEADER, formatExecutionContext, headerLimit } from '../http/header.js';
import { isObject, metaToken, TOOLS_CALL, withoutToken } from './meta.js';

/**
 * Options of `ectMcpFetch`.
 *
 * @example
 * ```ts
 * import { ectMcpFetch, type ECTMcpFetchOptions } from 'wimse-ect/mcp';
 *
 * const options: ECTMcpFetchOptions = { maxHeaderSize: 16 * 1024 };
 * const fetchWithECT = ectMcpFetch(options);
 * ```
 */
export interface ECTMcpFetchOptions {
  /** HTTP-3: most bytes of an `Execution-Context` value (default 8 KiB). */
  readonly maxHeaderSize?: number;
  /** The underlying fetch (default: the global one). */
  readonly fetch?: FetchLike;
}

/** The body with the token taken out of a single `tools/call`, and the token. */
function takeToken(body: string): { readonly body: string; readonly token: string } | undefined {
  let message: unknown;
  try {
    message = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!isObject(message) || message['method'] !== TOOLS_CALL || !isObject(message['params'])) {
    return undefined;
  }
  const token = metaToken(message['params']['_meta']);
  if (token === undefined) return undefined;
  return { body: JSON.stringify({ ...message, params: withoutToken(message['params']) }), token };
}

/**
 * A fetch that sends each `tools/call`'s ECT in the `Execution-Context` header. Give it to the
 * transport: `new StreamableHTTPClientTransport(url, { fetch: ectMcpFetch() })`.
 *
 * @example
 * ```ts
 * import {
 *   StreamableHTTPClientTransport,
 * } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
 * import { ectMcpFetch } from 'wimse-ect/mcp';
 *
 * // Each tools/call's ECT also travels in the Execution-Context header.
 * const transport = new StreamableHTTPClientTransport(new URL('https://tools.example.org/mcp'), {
 *   fetch: ectMcpFetch(),
 * });
 * ```
 */
export function ectMcpFetch(options: ECTMcpFetchOptions = {}): FetchLike {
  const maxHeaderSize = headerLimit(options);
  const base = options.fetch ?? ((url, init) => globalThis.fetch(url, init));
  return async (url, init) => {
    const moved =
      init?.method === 'POST' && typeof init.body === 'string' ? takeToken(init.body) : undefined;
    if (moved === undefined) return base(url, init);
    let value: string;
    try {
      value = formatExecutionContext(moved.token, { maxHeaderSize });
    } catch (error) {
      // HTTP-3: too large for the header, so it stays in the body (_meta) as it was.
      if (isECTError(error) && error.code === 'ECT_TOO_LARGE') return base(url, init);
      throw error;
    }
    const headers = new Headers(init!.headers);
    headers.set(EXECUTION_CONTEXT_HEADER, value);
    return base(url, { ...init, headers, body: moved.body });
  };
}
