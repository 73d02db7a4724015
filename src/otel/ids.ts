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

/**
 * The trace id (32 lowercase hex digits) of a workflow id.
 *
 * @example
 * ```ts
 * import { traceIdOf } from 'wimse-ect/otel';
 *
 * // A workflow is one trace: its wid's hexadecimal digits are the trace id.
 * // 0b6f2a8e5c3d4f1a9e7b2d4c6a8e0f13
 * console.log(traceIdOf('0B6F2A8E-5C3D-4F1A-9E7B-2D4C6A8E0F13'));
 * ```
 */
export function traceIdOf(wid: string): string {
  if (isUuid(wid)) {
    const hex = wid.replaceAll('-', '').toLowerCase();
    if (!NIL.test(hex)) return hex;
  }
  const hex = digestHex(canonical(wid), 16);
  return NIL.test(hex) ? '00000000000000000000000000000001' : hex;
}

/**
 * The span id (16 lowercase hex digits) of a task id.
 *
 * @example
 * ```ts
 * import { spanIdOf } from 'wimse-ect/otel';
 *
 * // The same task always gets the same span id, in every process and exporter.
 * console.log(spanIdOf('6f1c0e0a-1b2c-4d3e-8f40-5a6b7c8d9e01').length); // 16
 * ```
 */
export function spanIdOf(jti: string): string {
  const hex = digestHex(canonical(jti), 8);
  return NIL.test(hex) ? '0000000000000001' : hex;
}
