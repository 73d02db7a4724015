/**
 * HTTP-5 across agent protocols (MCP tool calls, A2A messages): the callee's ECT on a result
 * continues the caller's task, and the caller's context gives the call its `pred` and `wid`.
 * @module
 */
import { ECTError } from '../errors.js';
import { sameId } from '../format/task-key.js';
import type { ECTClaims } from '../format/types.js';
import type { VerifiedECT } from './verify.js';

/** The `jti` and `wid` of the task a caller works under (a verified ECT or the two claims). */
export function contextClaims(
  context: VerifiedECT | Pick<ECTClaims, 'jti' | 'wid'> | undefined,
): Pick<ECTClaims, 'jti' | 'wid'> | undefined {
  if (context === undefined) return undefined;
  return 'claims' in context ? context.claims : context;
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
