/**
 * The identity of a task in its uniqueness scope (DAG-1, LED-3, RPL-1): its `jti` within its `wid`,
 * or globally when it has none. UUIDs compare case-insensitively (CLM-5, RFC 9562 §4), so both
 * parts are taken in their canonical (lowercase) form first.
 * @module
 */

/** RFC 9562 §4 textual form, either case. */
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/**
 * The form in which an id (`jti`, `wid`, a `pred` entry) is compared (CLM-5): a UUID in lowercase,
 * any other string (allowed when the UUID check is relaxed) unchanged.
 */
export function canonicalId(id: string): string {
  // Most ids are already lowercase: V8 then returns the string itself from toLowerCase, and the
  // UUID pattern (four times the cost, on every lookup of DAG validation) is skipped.
  const lower = id.toLowerCase();
  return lower === id || !UUID.test(id) ? id : lower;
}

/** Whether two ids (or two absent `wid`s) name the same task or workflow (CLM-5). */
export function sameId(a: string | undefined, b: string | undefined): boolean {
  if (a === b) return true;
  return a !== undefined && b !== undefined && canonicalId(a) === canonicalId(b);
}

/**
 * A string key unique per (`wid`, `jti`); the `wid` is length-prefixed so no pair collides.
 *
 * @example
 * ```ts
 * import { replayKey } from 'wimse-ect';
 *
 * // What a replay store records for a task: its jti within its workflow, UUIDs in lowercase.
 * console.log(replayKey('0B6F2A8E-5C3D-4F1A-9E7B-2D4C6A8E0F13', undefined)); // -:0b6f2a8e-…
 * ```
 */
export function taskKey(jti: string, wid: string | undefined): string {
  const j = canonicalId(jti);
  if (wid === undefined) return `-:${j}`;
  const w = canonicalId(wid);
  return `${w.length}:${w}:${j}`;
}
