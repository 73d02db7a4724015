/**
 * The identity of a task in its uniqueness scope (DAG-1, LED-3, RPL-1): its `jti` within its `wid`,
 * or globally when it has none. The `wid` is length-prefixed so no pair can collide with another.
 * @module
 */

/** A string key unique per (`wid`, `jti`). */
export function taskKey(jti: string, wid: string | undefined): string {
  return wid === undefined ? `-:${jti}` : `${wid.length}:${wid}:${jti}`;
}
