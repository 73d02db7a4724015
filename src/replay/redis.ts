/**
 * A replay cache in Redis (`ect/redis`, RPL-3) shared by every verifier instance that uses the same
 * server and key prefix.
 *
 * - RPL-2: one atomic `SET key 1 NX PXAT expiresAt`: the check and the record are a single command,
 *   and the entry lives until `exp` plus the clock tolerance (the verifier passes that instant).
 * - RPL-3 fail closed: while the connection is down, commands are rejected at once (no offline
 *   queue) and every command has a timeout, so a check either answers or throws
 *   `ECT_REPLAY_STORE_UNAVAILABLE`; it never waits for Redis to come back and never lets a token
 *   through unchecked. The client reconnects by itself in the background.
 * - CLM-5: keys are stored as given; `replayKey` has already put the UUIDs in lowercase, so one
 *   task has one Redis key whatever the case of its `jti` and `wid`.
 * @module wimse-ect/redis
 */
import type { createClient } from 'redis';
import { ECTConfigError, ECTError } from '../errors.js';
import { loadOptional } from '../optional.js';
import { positiveIntegerSetting } from '../settings.js';
import { redactUrl } from '../redact-url.js';
import type { ReplayStore } from './store.js';

/**
 * Options of `RedisReplayStore.open`.
 *
 * @example
 * ```ts
 * import { RedisReplayStore, type RedisReplayStoreOptions } from 'wimse-ect/redis';
 *
 * const options: RedisReplayStoreOptions = {
 *   url: 'redis://replay.internal:6379',
 *   keyPrefix: 'payments:replay:',
 *   commandTimeoutMs: 500,
 * };
 * const replay = await RedisReplayStore.open(options);
 * ```
 */
export interface RedisReplayStoreOptions {
  /** `redis://[[user]:password@]host[:port][/db]` or `rediss://…` (TLS). */
  readonly url: string;
  /** Prefix of every key (default `ect:replay:`), to share a server with other data. */
  readonly keyPrefix?: string;
  /** Longest wait for one command, milliseconds (default 1000). */
  readonly commandTimeoutMs?: number;
  /** Longest wait for a connection, milliseconds (default 2000). */
  readonly connectTimeoutMs?: number;
}

/**
 * One check of a batch.
 *
 * @example
 * ```ts
 * import { openRedisReplayStore, type ReplayCheck } from 'wimse-ect/redis';
 *
 * const replay = await openRedisReplayStore('redis://replay.internal:6379');
 * const now = Date.now() / 1000;
 * const checks: ReplayCheck[] = [
 *   { key: '-:6f1c0e0a-1b2c-4d3e-8f40-5a6b7c8d9e01', expiresAt: now + 600 },
 *   { key: '-:6f1c0e0a-1b2c-4d3e-8f40-5a6b7c8d9e02', expiresAt: now + 600 },
 * ];
 * console.log(await replay.checkAndRecordMany(checks, now)); // [ true, true ] the first time
 * ```
 */
export interface ReplayCheck {
  readonly key: string;
  /** Unix seconds. */
  readonly expiresAt: number;
}

type Client = ReturnType<typeof createClient>;

const DEFAULT_PREFIX = 'ect:replay:';
/** Most wait between reconnection attempts, milliseconds. */
const MAX_RECONNECT_DELAY_MS = 1000;

function unavailable(error: unknown, where: string): ECTError {
  if (error instanceof ECTError) return error;
  const message = (error as Error)?.message ?? String(error);
  return new ECTError(
    'ECT_REPLAY_STORE_UNAVAILABLE',
    `the Redis replay cache at ${where} cannot answer: ${message}`,
    { cause: error },
  );
}

/** PXAT of an entry, milliseconds: `expiresAt`, but never at or before `now` (Redis rejects that). */
function expiryMs(expiresAt: number, now: number): number {
  if (!Number.isFinite(expiresAt) || !Number.isFinite(now))
    throw new ECTError(
      'ECT_REPLAY_STORE_UNAVAILABLE',
      `bad replay expiry ${String(expiresAt)} (now ${String(now)})`,
    );
  return Math.max(Math.ceil(expiresAt * 1000), Math.floor(now * 1000) + 1);
}

/**
 * A replay cache in Redis (`npm install redis`), shared by every verifier that uses the same
 * server: one `SET NX PXAT` per token, so two instances never both accept one. Fails closed:
 * an unreachable server is `ECT_REPLAY_STORE_UNAVAILABLE`.
 *
 * @example
 * ```ts
 * import { createVerifier } from 'wimse-ect';
 * import { RedisReplayStore } from 'wimse-ect/redis';
 *
 * const replay = await RedisReplayStore.open({ url: 'redis://replay.internal:6379' });
 * const verifier = createVerifier({ audience: 'spiffe://example.org/b', minLevel: 1, replay });
 * // … at shutdown
 * await replay.close();
 * ```
 */
export class RedisReplayStore implements ReplayStore {
  readonly keyPrefix: string;
  /** The server's URL without its password, for messages. */
  readonly where: string;
  readonly #client: Client;

  private constructor(client: Client, options: { keyPrefix: string; where: string }) {
    this.#client = client;
    this.keyPrefix = options.keyPrefix;
    this.where = options.where;
  }

  /**
   * Connects and returns the store. Throws `ECTConfigError` for bad options and
   * `ECT_REPLAY_STORE_UNAVAILABLE` when the server cannot be reached within the connect timeout.
   */
  static async open(options: RedisReplayStoreOptions): Promise<RedisReplayStore> {
    if (typeof options?.url !== 'string' || !/^rediss?:\/\//.test(options.url))
      throw new ECTConfigError('redis replay url', 'expected redis://… or rediss://…');
    const where = redactUrl(options.url);
    const keyPrefix = options.keyPrefix ?? DEFAULT_PREFIX;
    if (typeof keyPrefix !== 'string') throw new ECTConfigError('keyPrefix', 'must be a string');
    const timeoutMs = positiveIntegerSetting({
      value: options.commandTimeoutMs,
      fallback: 1000,
      setting: 'commandTimeoutMs',
    });
    const connectTimeout = positiveIntegerSetting({
      value: options.connectTimeoutMs,
      fallback: 2000,
      setting: 'connectTimeoutMs',
    });
    // Loaded here, not imported: the entry point loads without the optional package, and a
    // missing one is an ECTConfigError naming it (npm install redis).
    const { createClient: connect } = await loadOptional({ name: 'redis' });
    let client: Client;
    try {
      client = connect({
        url: options.url,
        // RPL-3: reject commands while disconnected instead of queueing them until Redis returns.
        disableOfflineQueue: true,
        socket: {
          connectTimeout,
          // Keep trying in the background, forever, so service resumes by itself.
          reconnectStrategy: (retries: number): number =>
            Math.min(50 * 2 ** Math.min(retries, 5), MAX_RECONNECT_DELAY_MS),
        },
        commandOptions: { timeout: timeoutMs },
      });
    } catch (error) {
      throw new ECTConfigError(
        'redis replay url',
        `${where} is not a usable Redis URL: ${(error as Error).message}`,
        { cause: error },
      );
    }
    // Connection errors are reported per command; without a listener they would crash the process.
    client.on('error', () => undefined);
    const store = new RedisReplayStore(client, { keyPrefix, where });
    try {
      await store.#connect(connectTimeout);
    } catch (error) {
      client.destroy();
      throw unavailable(error, where);
    }
    return store;
  }

  /** RPL-2: one `SET NX PXAT`; `true` when the key was new. */
  async checkAndRecord(key: string, expiresAt: number, now: number): Promise<boolean> {
    const at = expiryMs(expiresAt, now);
    let reply: unknown;
    try {
      reply = await this.#client.set(this.keyPrefix + key, '1', {
        condition: 'NX',
        expiration: { type: 'PXAT', value: at },
      });
    } catch (error) {
      throw unavailable(error, this.where);
    }
    return reply === 'OK';
  }

  /** Removes a key (the verifier's undo when the ledger rejected a token it had just recorded). */
  async forget(key: string): Promise<void> {
    try {
      await this.#client.del(this.keyPrefix + key);
    } catch (error) {
      throw unavailable(error, this.where);
    }
  }

  /**
   * The same check for many tokens in one round trip (a pipeline; each SET is atomic on its own).
   * Results are in the order of `checks`. Throws when Redis cannot answer any of them.
   */
  async checkAndRecordMany(checks: readonly ReplayCheck[], now: number): Promise<boolean[]> {
    if (checks.length === 0) return [];
    const multi = this.#client.multi();
    for (const check of checks)
      multi.set(this.keyPrefix + check.key, '1', {
        condition: 'NX',
        expiration: { type: 'PXAT', value: expiryMs(check.expiresAt, now) },
      });
    let replies: unknown[];
    try {
      replies = await multi.execAsPipeline();
    } catch (error) {
      throw unavailable(error, this.where);
    }
    return replies.map((reply) => {
      if (reply instanceof Error) throw unavailable(reply, this.where);
      return reply === 'OK';
    });
  }

  async close(): Promise<void> {
    if (!this.#client.isOpen) return;
    try {
      await this.#client.close();
    } catch {
      this.#client.destroy();
    }
  }

  /** Connects, giving up after `timeoutMs` (the client would otherwise retry forever). */
  async #connect(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no connection within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([this.#client.connect(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * Connects a Redis replay cache (`redis://…` or `rediss://…`).
 *
 * @example
 * ```ts
 * import { createVerifier } from 'wimse-ect';
 * import { openRedisReplayStore } from 'wimse-ect/redis';
 *
 * const replay = await openRedisReplayStore('rediss://replay.internal:6380', { keyPrefix: 'b:' });
 * const verifier = createVerifier({ audience: 'spiffe://example.org/b', minLevel: 1, replay });
 * ```
 */
export async function openRedisReplayStore(
  url: string,
  options: Omit<RedisReplayStoreOptions, 'url'> = {},
): Promise<RedisReplayStore> {
  return RedisReplayStore.open({ ...options, url });
}
