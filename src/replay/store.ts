/**
 * The replay cache contract (profile section 8): one atomic check-and-record per token.
 * @module
 */

/**
 * A replay cache. Implementations: `MemoryReplayStore`, `RedisReplayStore` (`ect/redis`).
 *
 * @example
 * ```ts
 * import type { ReplayStore } from 'wimse-ect';
 *
 * // A replay cache of your own (one process): check and record in one step.
 * const seen = new Map<string, number>();
 * const store: ReplayStore = {
 *   async checkAndRecord(key, expiresAt, now) {
 *     for (const [k, until] of seen) if (until <= now) seen.delete(k);
 *     if (seen.has(key)) return false;
 *     seen.set(key, expiresAt);
 *     return true;
 *   },
 *   async forget(key) {
 *     seen.delete(key);
 *   },
 * };
 * ```
 */
export interface ReplayStore {
  /**
   * Records `key` until `expiresAt` (Unix seconds) unless it is already recorded (RPL-2).
   * Returns `true` when the key was new (the token may pass), `false` when it was seen (replay).
   * Throws `ECTError('ECT_REPLAY_STORE_UNAVAILABLE')` when it cannot answer (RPL-3: fail closed).
   * `key` is `replayKey(jti, wid)`, which already holds the UUIDs in canonical (lowercase) form
   * (CLM-5); a store compares keys as exact strings and never rewrites them, since a key that is
   * not a UUID (the check relaxed) keeps its case.
   */
  checkAndRecord(key: string, expiresAt: number, now: number): Promise<boolean>;
  /**
   * Removes `key`, so that the token may be presented again. The verifier calls it only when a
   * later step (VER-13, the ledger) rejected a token it had just recorded here: the token was not
   * accepted, and a retry after the outage must not be refused as a replay. Optional.
   */
  forget?(key: string): Promise<void>;
  /** Releases resources (connections). Optional. */
  close?(): Promise<void>;
}

/** The replay key of a token: its `jti` scoped by its `wid`, like DAG-1 uniqueness, canonical. */
export { taskKey as replayKey } from '../format/task-key.js';
