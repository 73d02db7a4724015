/**
 * HTTP-5 across agent protocols (MCP tool calls, A2A messages): the callee's ECT on a result
 * continues the caller's task, and the caller's context gives the call its `pred` and `wid`.
 * @module
 */
import { ECTError } from '../errors.js';
import { sameId } from '../format/task-key.js';
import type { ECTClaims } from '../format/types.js';
import type { VerifiedECT } from './verify.js';

/**
 * The task a caller works under: a verified ECT, or the claims of its own ECT.
 *
 * @example
 * ```ts
 * import { randomUUID } from 'node:crypto';
 * import type { CallerContext } from 'wimse-ect/mcp';
 *
 * // The task the agent works under: the ECT it was called with (verified), or its own claims.
 * const context: CallerContext = { jti: randomUUID(), wid: randomUUID() };
 * ```
 */
export type CallerContext = VerifiedECT | Pick<ECTClaims, 'jti' | 'wid'>;

/**
 * What a caller may set on the ECT of one call, over MCP (`ToolCallECT`) or A2A (`MessageECT`).
 *
 * @example
 * ```ts
 * import { randomUUID } from 'node:crypto';
 * import type { CallECT } from 'wimse-ect/mcp';
 *
 * // One helper for both protocols: continue the task under review.
 * const continueReview = (task: { jti: string; wid?: string }): CallECT => ({
 *   context: task,
 *   exec_act: 'revise_spec',
 * });
 * console.log(continueReview({ jti: randomUUID() }).exec_act); // revise_spec
 * ```
 */
export interface CallECT {
  /** The task the caller works under: its `jti` goes into `pred`, its `wid` is carried along. */
  readonly context?: CallerContext;
  /** More predecessors (CLM-7). */
  readonly pred?: readonly string[];
  /** CLM-8: the workflow (default: the context's `wid`, else the protocol's default). */
  readonly wid?: string;
  /** CLM-6 for this call (default: the caller's `execAct`). */
  readonly exec_act?: string;
  /** The call's task id (default: a new UUID). */
  readonly jti?: string;
  readonly ect_ext?: Readonly<Record<string, unknown>>;
}

/** The claims a call's ECT takes from what the caller set (`callClaims`). */
export interface CallClaims {
  readonly exec_act: string;
  readonly pred: string[];
  readonly wid?: string;
  readonly jti?: string;
  readonly ect_ext?: Readonly<Record<string, unknown>>;
}

/** The `jti` and `wid` of the task a caller works under (a verified ECT or the two claims). */
export function contextClaims(
  context: CallerContext | undefined,
): Pick<ECTClaims, 'jti' | 'wid'> | undefined {
  if (context === undefined) return undefined;
  return 'claims' in context ? context.claims : context;
}

/**
 * The claims of a call's ECT from what the caller set: `pred` its predecessors and the context's
 * task, each once; `wid` its own, else the context's, else `defaults.wid`; `exec_act` its own,
 * else `defaults.execAct()` (asked only then).
 */
export function callClaims(
  ect: CallECT,
  defaults: { readonly wid?: string | undefined; readonly execAct: () => string },
): CallClaims {
  const context = contextClaims(ect.context);
  const pred = [...(ect.pred ?? []), ...(context === undefined ? [] : [context.jti])];
  const wid = ect.wid ?? context?.wid ?? defaults.wid;
  return {
    exec_act: ect.exec_act ?? defaults.execAct(),
    pred: [...new Set(pred)],
    ...(wid === undefined ? {} : { wid }),
    ...(ect.jti === undefined ? {} : { jti: ect.jti }),
    ...(ect.ect_ext === undefined ? {} : { ect_ext: ect.ect_ext }),
  };
}

/**
 * Checks the callee's verified ECT against the call's claims: `pred` names the call's task and
 * `wid` is the call's workflow (CLM-5: compared lowercase). `ECT_CLAIM_INVALID` otherwise.
 */
export function checkResultChain(options: {
  readonly result: VerifiedECT;
  readonly call: ECTClaims;
}): void {
  const { result, call } = options;
  if (!result.claims.pred.some((p) => sameId(p, call.jti))) {
    const message = `the result's ECT does not list the call's task ${call.jti} in pred (HTTP-5)`;
    throw new ECTError('ECT_CLAIM_INVALID', message, { member: 'pred', claims: result.claims });
  }
  if (call.wid !== undefined && !sameId(result.claims.wid, call.wid)) {
    const message = `the result's ECT is not in the call's workflow ${call.wid}`;
    throw new ECTError('ECT_CLAIM_INVALID', message, { member: 'wid', claims: result.claims });
  }
}
