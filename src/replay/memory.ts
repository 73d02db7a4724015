/**
 * A bounded in-memory replay cache (RPL-1 ... RPL-3) for one verifier process. When it is full of
 * unexpired entries it refuses new tokens (`ECT_REPLAY_STORE_UNAVAILABLE`) rather than evicting a
 * live entry, which would reopen the door to a replay. Use the Redis store to share the view
 * between instances. Keys are compared exactly; `replayKey` makes them canonical (CLM-5).
 * @module
 */
import { ECTError } from '../errors.js';
import { numberSetting } from '../settings.js';
import type { ReplayStore } from './store.js';

/**
 * RPL-3 [P]: default capacity of the in-memory cache, entries (about 100 bytes each).
 *
 * @example
 * ```ts
 * import { DEFAULT_REPLAY_CAPACITY, MemoryReplayStore } from 'wimse-ect';
 *
 * // A busy verifier: four times the default capacity (about 100 bytes an entry).
 * const replay = new MemoryReplayStore({ maxEntries: 4 * DEFAULT_REPLAY_CAPACITY });
 * ```
 */
export const DEFAULT_REPLAY_CAPACITY = 100_000;

/**
 * Options of `MemoryReplayStore`.
 *
 * @example
 * ```ts
 * import { createVerifier, MemoryReplayStore, type MemoryReplayStoreOptions } from 'wimse-ect';
 *
 * const options: MemoryReplayStoreOptions = { maxEntries: 10_000 };
 * const verifier = createVerifier({
 *   audience: 'b',
 *   minLevel: 1,
 *   replay: new MemoryReplayStore(options),
 * });
 * ```
 */
export interface MemoryReplayStoreOptions {
  /** Most live entries held (default 100,000). */
  readonly maxEntries?: number;
}

/**
 * A bounded in-memory replay cache for one process (RPL-1 to RPL-3). Full of unexpired entries,
 * it refuses new tokens (`ECT_REPLAY_STORE_UNAVAILABLE`) rather than forget a live one.
 *
 * @example
 * ```ts
 * import { createECT, MemoryReplayStore, verifyECT } from 'wimse-ect';
 *
 * // One cache shared by one-shot verifications: the second presentation is a replay.
 * const replay = new MemoryReplayStore();
 * const token = createECT(
 *   { iss: 'spiffe://example.org/a', aud: 'b', exec_act: 'x' },
 *   { level: 1 },
 * );
 * await verifyECT(token, { audience: 'b', minLevel: 1, replay });
 * const again = verifyECT(token, { audience: 'b', minLevel: 1, replay });
 * await again.catch((e) => console.log(e.code)); // ECT_REPLAY
 * ```
 */
export class MemoryReplayStore implements ReplayStore {
  readonly maxEntries: number;
  readonly #expiries = new Map<string, number>();
  // Earliest expiry seen by the last sweep: no sweep can free anything before then, so a flood of
  // tokens against a full cache costs O(1) each instead of a full scan each.
  #nextSweepAt = 0;

  constructor(options: MemoryReplayStoreOptions = {}) {
    this.maxEntries = numberSetting({
      value: options.maxEntries,
      fallback: DEFAULT_REPLAY_CAPACITY,
      setting: 'maxEntries',
      min: 1,
      integer: true,
    });
  }

  /** Live entries (expired ones are dropped lazily). */
  get size(): number {
    return this.#expiries.size;
  }

  async checkAndRecord(key: string, expiresAt: number, now: number): Promise<boolean> {
    return this.checkAndRecordSync(key, expiresAt, now);
  }

  /** The same as `checkAndRecord`, synchronously (single-threaded, so atomic). */
  checkAndRecordSync(key: string, expiresAt: number, now: number): boolean {
    const seenUntil = this.#expiries.get(key);
    if (seenUntil !== undefined) {
      if (seenUntil >= now) return false;
      this.#expiries.delete(key);
    }
    if (this.#expiries.size >= this.maxEntries) {
      this.#sweep(now);
      if (this.#expiries.size >= this.maxEntries) {
        throw new ECTError(
          'ECT_REPLAY_STORE_UNAVAILABLE',
          `the replay cache holds ${this.maxEntries} unexpired entries and refuses new tokens rather than forget a live one`,
        );
      }
    }
    this.#expiries.set(key, expiresAt);
    return true;
  }

  #sweep(now: number): void {
    if (now < this.#nextSweepAt) return;
    let earliest = Number.POSITIVE_INFINITY;
    for (const [key, expiresAt] of this.#expiries) {
      if (expiresAt < now) this.#expiries.delete(key);
      else if (expiresAt < earliest) earliest = expiresAt;
    }
    this.#nextSweepAt = earliest;
  }

  async forget(key: string): Promise<void> {
    this.#expiries.delete(key);
  }

  async close(): Promise<void> {
    this.#expiries.clear();
  }
}
