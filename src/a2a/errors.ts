/**
 * Refusals of `wimse-ect/a2a` (HTTP-2 applied to A2A). A message refused because of its ECT is an
 * A2A error of the SDK, so every transport answers it the A2A way: a JSON-RPC error whose `data`
 * is one `google.rpc.ErrorInfo`, or an HTTP+JSON `google.rpc.Status` with it in `details`. Its
 * `metadata` (the SDK's supported way to carry more) holds the section 11 code (or
 * `EXECUTION_CONTEXT_MISSING`) in `code`, the problem's `type`, `title` and `detail`, and the
 * extension's URI in `extension`. The error is the A2A error that fits: a missing ECT is
 * `ExtensionSupportRequiredError` (JSON-RPC -32008), a refused one `RequestMalformedError`
 * (-32602), a replay cache or ledger that is down an internal error (-32603).
 * @module
 */
import type { A2AError, A2AErrorOptions } from '@a2a-js/sdk/errors';
import { isECTError } from '../errors.js';
import { ECT_MISSING_CODE, problemFor, type ProblemCode } from '../http/problem.js';
import { loadOptional } from '../optional.js';
import { ECT_EXTENSION_URI } from './extension.js';

/**
 * What a refusal says: the code and the problem details (as in the HTTP problem bodies, HTTP-2).
 *
 * @example
 * ```ts
 * import type { A2AECTRejection } from 'wimse-ect/a2a';
 *
 * const rejection: A2AECTRejection = {
 *   code: 'ECT_REPLAY',
 *   type: 'urn:ect:error:ECT_REPLAY',
 *   title: 'Replayed Execution Context',
 *   detail: 'This ECT was already presented.',
 * };
 * ```
 */
export interface A2AECTRejection {
  readonly code: ProblemCode;
  /** `urn:ect:error:<code>`. */
  readonly type: string;
  readonly title: string;
  readonly detail: string;
}

type ErrorsModule = typeof import('@a2a-js/sdk/errors');
type ErrorClass = new (options?: A2AErrorOptions) => A2AError;

let loaded: Promise<ErrorsModule> | undefined;

/** The SDK's error classes: the package is checked first, so a missing SDK is one clear line. */
async function sdkErrors(): Promise<ErrorsModule> {
  loaded ??= loadOptional({ name: '@a2a-js/sdk' }).then(() => import('@a2a-js/sdk/errors'));
  return loaded;
}

/** The rejection for a refused message, or `undefined` for an error that is not about its ECT. */
export function rejectionOf(reason: unknown): A2AECTRejection | undefined {
  if (!isECTError(reason) && reason !== ECT_MISSING_CODE) return undefined;
  const problem = isECTError(reason)
    ? problemFor(reason.code, { member: reason.member })
    : problemFor(ECT_MISSING_CODE);
  return { code: problem.code, type: problem.type, title: problem.title, detail: problem.detail };
}

/** The SDK error class (hence JSON-RPC code and HTTP status) of a refusal. */
function classFor(errors: ErrorsModule, code: ProblemCode): ErrorClass {
  if (code === ECT_MISSING_CODE) return errors.ExtensionSupportRequiredError;
  // Not the caller's fault: the server could not check its token (RPL-3, LED-7).
  if (code === 'ECT_REPLAY_STORE_UNAVAILABLE' || code === 'ECT_LEDGER_UNAVAILABLE') {
    return errors.A2AError;
  }
  return errors.RequestMalformedError;
}

/** The SDK error of a refusal: the request handler throws it, the transport answers it. */
export async function rejectionError(rejection: A2AECTRejection): Promise<A2AError> {
  const errors = await sdkErrors();
  const ErrorOfCode = classFor(errors, rejection.code);
  return new ErrorOfCode({
    message: `${rejection.title}: ${rejection.detail}`,
    metadata: {
      code: rejection.code,
      type: rejection.type,
      title: rejection.title,
      detail: rejection.detail,
      extension: ECT_EXTENSION_URI,
    },
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** The refusal in an `ErrorInfo`'s (or an SDK error's) metadata. */
function fromMetadata(metadata: unknown): A2AECTRejection | undefined {
  if (!isObject(metadata) || metadata['extension'] !== ECT_EXTENSION_URI) return undefined;
  if (typeof metadata['code'] !== 'string') return undefined;
  return {
    code: metadata['code'] as ProblemCode,
    type: String(metadata['type']),
    title: String(metadata['title']),
    detail: String(metadata['detail']),
  };
}

/**
 * The refusal in an error the SDK's client threw (a JSON-RPC error's `data`, an HTTP+JSON error's
 * `metadata`, or a stream error whose `cause` is one), or `undefined` for any other error.
 *
 * @example
 * ```ts
 * import type { Client } from '@a2a-js/sdk/client';
 * import type { SendMessageRequest } from '@a2a-js/sdk';
 * import { ectRejectionOf } from 'wimse-ect/a2a';
 *
 * async function send(client: Client, request: SendMessageRequest): Promise<string> {
 *   try {
 *     await client.sendMessage(request);
 *     return 'accepted';
 *   } catch (error) {
 *     const rejection = ectRejectionOf(error); // e.g. { code: 'ECT_AUDIENCE_MISMATCH', … }
 *     if (rejection === undefined) throw error;
 *     return rejection.code;
 *   }
 * }
 * ```
 */
export function ectRejectionOf(error: unknown): A2AECTRejection | undefined {
  for (let current = error, depth = 0; isObject(current) && depth < 5; depth++) {
    // HTTP+JSON: the SDK error's own metadata; JSON-RPC: the ErrorInfo objects in `data`.
    const data: unknown[] = Array.isArray(current['data']) ? current['data'] : [];
    const infos = data.filter(isObject).map((info) => info['metadata']);
    for (const metadata of [current['metadata'], ...infos]) {
      const found = fromMetadata(metadata);
      if (found !== undefined) return found;
    }
    current = current['cause'];
  }
  return undefined;
}
