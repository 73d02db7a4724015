/**
 * ECT ids as W3C trace context (docs/otel.md): a workflow is a trace and a task a span, with ids
 * derived deterministically from the ECT's own, so that exporting a workflow twice, or from two
 * places, names the same trace and the same spans.
 *
 * - trace id: a `wid` that is a UUID (CLM-8) is its 32 hex digits in lowercase (a UUID and a trace
 *   id are both 128 bits); any other `wid` is the first 16 bytes of SHA-256 of its UTF-8 text.
 * - span id: the first 8 bytes of SHA-256 of the `jti` (lowercase when a UUID, CLM-5).
 *
 * An all-zero id is invalid in W3C trace context; the one input that would give it (the nil UUID
 * as `wid`) is hashed instead.
 * @module
 */
import { createHash } from 'node:crypto';
import { isUuid } from '../format/claims.js';

const NIL = /^0+$/;

function canonical(id: string): string {
  return isUuid(id) ? id.toLowerCase() : id;
}

function digestHex(text: string, bytes: number): string {
  return createHash('sha256').update(text, 'utf8').digest().subarray(0, bytes).toString('hex');
}

/** The trace id (32 lowercase hex digits) of a workflow id. */
export function traceIdOf(wid: string): string {
  if (isUuid(wid)) {
    const hex = wid.replaceAll('-', '').toLowerCase();
    if (!NIL.test(hex)) return hex;
  }
  const hex = digestHex(canonical(wid), 16);
  return NIL.test(hex) ? '00000000000000000000000000000001' : hex;
}

/** The span id (16 lowercase hex digits) of a task id. */
export function spanIdOf(jti: string): string {
  const hex = digestHex(canonical(jti), 8);
  return NIL.test(hex) ? '0000000000000001' : hex;
}
