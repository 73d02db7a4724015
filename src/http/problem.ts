/**
 * RFC 9457 problem details for rejected ECTs (HTTP-2): status 403, `application/problem+json`,
 * members type/title/status/detail plus the extension member `code`. The detail text is fixed per
 * code: an error's own message can quote store exceptions (ECT_REPLAY_STORE_UNAVAILABLE,
 * ECT_LEDGER_UNAVAILABLE), which must never reach a remote party.
 * @module
 */
import { isECTError, type ECTErrorCode } from '../errors.js';

/**
 * RFC 9457 §3: the media type of a problem body.
 *
 * @example
 * ```ts
 * import { PROBLEM_CONTENT_TYPE } from 'wimse-ect/http';
 *
 * const response = await fetch('https://b.example.org/tasks', { method: 'POST' });
 * if (response.headers.get('content-type') === PROBLEM_CONTENT_TYPE)
 *   console.log(await response.json());
 * ```
 */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/**
 * The problem `code` for a request without an `Execution-Context` field on a route that requires
 * one. Not an ECT_* code on purpose: the section 11 codes describe a token that was presented and
 * failed; here there is no token. `ECT_MALFORMED` would also be defensible (an absent field reads
 * like an empty value, which VER-2 rejects), but it would tell the caller to repair a token it
 * never sent. A distinct code lets clients tell "attach one" from "yours is broken"; the status
 * stays 403 as HTTP-2 asks of every rejection.
 *
 * @example
 * ```ts
 * import { ECT_MISSING_CODE } from 'wimse-ect/http';
 *
 * const response = await fetch('https://b.example.org/tasks', { method: 'POST' });
 * const { code } = (await response.json()) as { code?: string };
 * if (response.status === 403 && code === ECT_MISSING_CODE) {
 *   console.log('this route needs an Execution-Context header');
 * }
 * ```
 */
export const ECT_MISSING_CODE = 'EXECUTION_CONTEXT_MISSING';
/**
 * The problem `code` (status 413) for a request body over the body-binding limit (HTTP-4): a
 * limit of this server, not a fault of the token, so no section 11 code applies.
 *
 * @example
 * ```ts
 * import { BODY_TOO_LARGE_CODE, problemFor } from 'wimse-ect/http';
 *
 * console.log(problemFor(BODY_TOO_LARGE_CODE).status); // 413
 * ```
 */
export const BODY_TOO_LARGE_CODE = 'BODY_TOO_LARGE';

/**
 * Every `code` a problem of this library can carry.
 *
 * @example
 * ```ts
 * import type { ProblemCode } from 'wimse-ect/http';
 *
 * // What a client may retry as it is: the server could not decide.
 * const retryable: readonly ProblemCode[] = [
 *   'ECT_LEDGER_UNAVAILABLE',
 *   'ECT_REPLAY_STORE_UNAVAILABLE',
 * ];
 * ```
 */
export type ProblemCode = ECTErrorCode | typeof ECT_MISSING_CODE | typeof BODY_TOO_LARGE_CODE;

/**
 * An RFC 9457 problem details object with the `code` extension member.
 *
 * @example
 * ```ts
 * import type { ProblemDetails } from 'wimse-ect/http';
 *
 * const response = await fetch('https://b.example.org/tasks', { method: 'POST' });
 * if (!response.ok) {
 *   const problem = (await response.json()) as ProblemDetails;
 *   console.log(problem.status, problem.code, problem.detail);
 * }
 * ```
 */
export interface ProblemDetails {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: ProblemCode;
}

/**
 * The URI prefix of the problem types: `urn:ect:error:<CODE>` (same namespace as `urn:ect:ledger`).
 *
 * @example
 * ```ts
 * import { PROBLEM_TYPE_PREFIX, problemFor } from 'wimse-ect/http';
 *
 * console.log(problemFor('ECT_EXPIRED').type === `${PROBLEM_TYPE_PREFIX}ECT_EXPIRED`); // true
 * ```
 */
export const PROBLEM_TYPE_PREFIX = 'urn:ect:error:';

const DETAILS: Readonly<Record<ProblemCode, readonly [title: string, detail: string]>> = {
  ECT_TOO_LARGE: [
    'Execution context too large',
    'The Execution-Context value is larger than this server accepts.',
  ],
  ECT_MALFORMED: [
    'Malformed execution context',
    'The Execution-Context value is not exactly one well-formed ECT.',
  ],
  ECT_LEVEL_TOO_LOW: [
    'Assurance level too low',
    "The ECT's assurance level is below the minimum this server requires.",
  ],
  ECT_TYP_INVALID: ['Invalid token type', 'The JOSE header typ is not exec+jwt.'],
  ECT_ALG_NOT_ALLOWED: [
    'Algorithm not allowed',
    'The JOSE header alg is not allowed by this server.',
  ],
  ECT_CRIT_UNSUPPORTED: [
    'Critical header unsupported',
    'The JOSE header lists a critical parameter this server does not understand.',
  ],
  ECT_KEY_UNRESOLVED: ['Key not resolved', 'No trusted key was found for this ECT.'],
  ECT_SIGNATURE_INVALID: ['Invalid signature', 'The signature of the ECT does not verify.'],
  ECT_CLAIM_MISSING: ['Claim missing', 'A required claim is missing from the ECT.'],
  ECT_CLAIM_INVALID: ['Claim invalid', 'A claim of the ECT has an invalid value.'],
  ECT_EXT_LIMIT: ['Extension limit exceeded', 'The ect_ext claim exceeds the size or depth limit.'],
  ECT_ISSUER_MISMATCH: [
    'Issuer mismatch',
    'The key that signed the ECT is not bound to its issuer.',
  ],
  ECT_AUDIENCE_MISMATCH: ['Audience mismatch', "This server is not in the ECT's audience."],
  ECT_EXPIRED: ['Execution context expired', 'The ECT has expired.'],
  ECT_IAT_FUTURE: ['Issued in the future', 'The ECT was issued in the future.'],
  ECT_IAT_TOO_OLD: [
    'Issued too long ago',
    'The ECT was issued longer ago than this server accepts.',
  ],
  ECT_DAG_DUPLICATE: [
    'Duplicate task',
    'A task with this jti is already recorded in its workflow.',
  ],
  ECT_DAG_PREDECESSOR_UNKNOWN: [
    'Unknown predecessor',
    'A predecessor task of the ECT is not known to this server.',
  ],
  ECT_DAG_TEMPORAL: [
    'Predecessor after successor',
    'A predecessor task was issued after this task.',
  ],
  ECT_DAG_CYCLE: ['Cycle in the workflow', 'The ECT would make its workflow cyclic.'],
  ECT_DAG_LIMIT: ['Workflow too deep', 'The ancestry of the ECT exceeds the limit of this server.'],
  ECT_DAG_WORKFLOW_MISMATCH: [
    'Workflow mismatch',
    'A predecessor task belongs to another workflow.',
  ],
  ECT_DAG_LEVEL: [
    'Predecessor level too low',
    'A predecessor task was recorded below the minimum level.',
  ],
  ECT_REPLAY: ['Replayed execution context', 'This ECT was already presented.'],
  ECT_REPLAY_STORE_UNAVAILABLE: [
    'Replay check unavailable',
    'The replay check could not be performed; the ECT was not accepted.',
  ],
  ECT_LEDGER_UNAVAILABLE: [
    'Ledger unavailable',
    'The ECT could not be recorded in the audit ledger; it was not accepted.',
  ],
  EXECUTION_CONTEXT_MISSING: [
    'Execution context required',
    'This resource requires an Execution-Context header.',
  ],
  BODY_TOO_LARGE: [
    'Request body too large',
    'The request body is larger than this server binds to an ECT.',
  ],
};

/**
 * The problem details for a code (status 403, or 413 for `BODY_TOO_LARGE`).
 *
 * @example
 * ```ts
 * import { problemFor } from 'wimse-ect/http';
 *
 * // { type: 'urn:ect:error:ECT_REPLAY', title, status: 403, detail: '… (member: jti)', code }
 * console.log(problemFor('ECT_REPLAY', { member: 'jti' }));
 * ```
 */
export function problemFor(
  code: ProblemCode,
  options: { readonly member?: string | undefined } = {},
): ProblemDetails {
  const [title, detail] = DETAILS[code];
  // The member is a claim or header name chosen by this library (never a value), so it is safe to show.
  const member =
    options.member !== undefined && /^[A-Za-z0-9_]{1,32}$/.test(options.member)
      ? ` (member: ${options.member})`
      : '';
  return {
    type: `${PROBLEM_TYPE_PREFIX}${code}`,
    title,
    status: code === BODY_TOO_LARGE_CODE ? 413 : 403,
    detail: `${detail}${member}`,
    code,
  };
}

/**
 * The problem for an error of the ECT layer, or `undefined` for any other error (a bug or a
 * framework failure), which adapters hand to the framework's own error handling.
 *
 * @example
 * ```ts
 * import { createVerifier } from 'wimse-ect';
 * import { problemBody, problemFromError } from 'wimse-ect/http';
 *
 * const verifier = createVerifier({ audience: 'spiffe://example.org/b', minLevel: 1 });
 * try {
 *   await verifier.verify('not a token');
 * } catch (error) {
 *   const problem = problemFromError(error); // undefined for an error that is not about the token
 *   if (problem === undefined) throw error;
 *   // 403 {"type":"urn:ect:error:ECT_MALFORMED",…}
 *   console.log(problem.status, problemBody(problem));
 * }
 * ```
 */
export function problemFromError(error: unknown): ProblemDetails | undefined {
  if (error instanceof BodyTooLargeError) return problemFor(BODY_TOO_LARGE_CODE);
  if (!isECTError(error)) return undefined;
  return problemFor(error.code, { member: error.member });
}

/**
 * The request body is larger than the body-binding limit (HTTP-4).
 *
 * @example
 * ```ts
 * import { BodyTooLargeError, problemFromError } from 'wimse-ect/http';
 *
 * const problem = problemFromError(new BodyTooLargeError(1024));
 * console.log(problem?.status, problem?.code); // 413 BODY_TOO_LARGE
 * ```
 */
export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
  readonly limit: number;

  constructor(limit: number) {
    super(`the request body is larger than ${limit} bytes`);
    this.limit = limit;
  }
}

/**
 * The serialized body of a problem.
 *
 * @example
 * ```ts
 * import { PROBLEM_CONTENT_TYPE, problemBody, problemFor } from 'wimse-ect/http';
 *
 * const problem = problemFor('ECT_EXPIRED');
 * const response = new Response(problemBody(problem), {
 *   status: problem.status,
 *   headers: { 'content-type': PROBLEM_CONTENT_TYPE },
 * });
 * ```
 */
export function problemBody(problem: ProblemDetails): string {
  return JSON.stringify(problem);
}
