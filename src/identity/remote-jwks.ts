/**
 * A JWK Set fetched from a URL (IDB-1): cached for a maximum age, refetched on an unknown `kid` at
 * most once per cooldown (30 s by default), bounded in time and size, failing closed with
 * `ECT_KEY_UNRESOLVED` and a message that names the URL and the reason.
 *
 * Why jose, and only for the set: jose's `createRemoteJWKSet` already does the HTTP part well
 * (timeout through an AbortSignal, no redirects, one fetch in flight however many tokens wait, the
 * max-age and cooldown clocks) and, since v6, hands out the set it holds (`jwks()`). Its own key
 * selection returns WebCrypto keys and would put jose's async import on every verification, so we
 * never call the resolver itself: we call `reload()` when our rules say so, index the set it
 * returns once (node:crypto `KeyObject`s, the RFC 7517 `alg`/`use`/`key_ops` and HDR-2 key-type
 * checks of jwks.ts), and verify with the core's own `verifySignature`. jose has no size limit,
 * so the fetch it uses is ours (`customFetch`): it stops reading past `maxBytes`.
 * @module
 */
import type { KeyObject } from 'node:crypto';
import {
  createRemoteJWKSet,
  customFetch,
  type FetchImplementation,
  type RemoteJWKSet,
} from 'jose/jwks/remote';
import { ECTConfigError, ECTError } from '../errors.js';
import { numberSetting } from '../settings.js';
import { indexJWKSet, type JWKSetIndex } from './jwks.js';
import type { KeySet } from './key-set.js';

/**
 * IDB-1 [P] defaults for remote sets.
 *
 * @example
 * ```ts
 * import { DEFAULT_JWKS_MAX_AGE_MS, remoteKeySet } from 'wimse-ect/identity';
 *
 * // Keys rotated often: fetch the set again after a minute.
 * const keys = remoteKeySet({
 *   url: 'https://keys.example.org/jwks.json',
 *   maxAgeMs: DEFAULT_JWKS_MAX_AGE_MS / 10,
 * });
 * ```
 */
export const DEFAULT_JWKS_MAX_AGE_MS = 600_000;
/**
 * IDB-1 [P]: after a fetch, an unknown `kid` causes no other fetch for this long, milliseconds
 * (30 seconds): a flood of made-up `kid`s cannot make the verifier hammer the key server.
 *
 * @example
 * ```ts
 * import { DEFAULT_JWKS_COOLDOWN_MS, remoteKeySet } from 'wimse-ect/identity';
 *
 * const keys = remoteKeySet({
 *   url: 'https://keys.example.org/jwks.json',
 *   cooldownMs: 2 * DEFAULT_JWKS_COOLDOWN_MS,
 * });
 * ```
 */
export const DEFAULT_JWKS_COOLDOWN_MS = 30_000;
/**
 * IDB-1 [P]: limit of one fetch of a JWK Set, headers and body, milliseconds (5 seconds).
 *
 * @example
 * ```ts
 * import { DEFAULT_JWKS_TIMEOUT_MS, remoteKeySet } from 'wimse-ect/identity';
 *
 * const keys = remoteKeySet({
 *   url: 'https://keys.example.org/jwks.json',
 *   timeoutMs: DEFAULT_JWKS_TIMEOUT_MS / 5,
 * });
 * ```
 */
export const DEFAULT_JWKS_TIMEOUT_MS = 5_000;
/**
 * IDB-1 [P]: largest JWK Set accepted, bytes (128 KiB).
 *
 * @example
 * ```ts
 * import { DEFAULT_JWKS_MAX_BYTES, remoteKeySet } from 'wimse-ect/identity';
 *
 * // A set of many RSA keys: allow a larger body.
 * const keys = remoteKeySet({
 *   url: 'https://keys.example.org/jwks.json',
 *   maxBytes: 4 * DEFAULT_JWKS_MAX_BYTES,
 * });
 * ```
 */
export const DEFAULT_JWKS_MAX_BYTES = 128 * 1024;
/**
 * IDB-1 [P]: after a failed fetch, tokens that need the set fail at once for this long instead
 * of fetching again, milliseconds (5 seconds).
 *
 * @example
 * ```ts
 * import { DEFAULT_JWKS_FAILURE_BACKOFF_MS, remoteKeySet } from 'wimse-ect/identity';
 *
 * const keys = remoteKeySet({
 *   url: 'https://keys.example.org/jwks.json',
 *   failureBackoffMs: 3 * DEFAULT_JWKS_FAILURE_BACKOFF_MS,
 * });
 * ```
 */
export const DEFAULT_JWKS_FAILURE_BACKOFF_MS = 5_000;

/**
 * Options of `remoteKeySet`.
 *
 * @example
 * ```ts
 * import { remoteKeySet, type RemoteKeySetOptions } from 'wimse-ect/identity';
 *
 * const options: RemoteKeySetOptions = {
 *   url: 'https://keys.example.org/.well-known/jwks.json',
 *   maxAgeMs: 300_000,
 *   timeoutMs: 2_000,
 *   headers: { 'user-agent': 'orders-service' },
 *   setting: 'trust.issuers[0].jwks_uri',
 * };
 * const keys = remoteKeySet(options);
 * ```
 */
export interface RemoteKeySetOptions {
  /** Where the set is: `https://…` (`http://` only for loopback hosts or with `allowInsecure`). */
  readonly url: string | URL;
  /** Longest time a fetched set is used without fetching it again (default 600,000 ms). */
  readonly maxAgeMs?: number;
  /** After a fetch, an unknown `kid` does not cause another one for this long (default 30,000 ms). */
  readonly cooldownMs?: number;
  /** Timeout of one fetch, headers and body (default 5,000 ms). */
  readonly timeoutMs?: number;
  /** Largest response body accepted (default 131,072 bytes). */
  readonly maxBytes?: number;
  /** After a failed fetch, tokens fail at once for this long instead of fetching again (default 5,000 ms). */
  readonly failureBackoffMs?: number;
  /** Allow `http://` to a host that is not loopback. Never in production. */
  readonly allowInsecure?: boolean;
  /** Extra request headers. */
  readonly headers?: Readonly<Record<string, string>>;
  /** The setting named in configuration errors (`trust.issuers[2].jwks_uri`). */
  readonly setting?: string;
}

const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['localhost', '[::1]', '::1']);

function isLoopback(hostname: string): boolean {
  return (
    LOOPBACK_HOSTS.has(hostname.toLowerCase()) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)
  );
}

/**
 * Options of `checkKeySetUrl`.
 *
 * @example
 * ```ts
 * import { checkKeySetUrl, type KeySetUrlOptions } from 'wimse-ect/identity';
 *
 * // A sidecar on another host of a private network, in clear text: said explicitly.
 * const options: KeySetUrlOptions = { allowInsecure: true, setting: 'jwks_uri' };
 * const url = checkKeySetUrl('http://keys.internal:8080/jwks.json', options);
 * ```
 */
export interface KeySetUrlOptions {
  readonly allowInsecure?: boolean;
  readonly setting?: string;
}

/**
 * Parses a key set URL: `https:` always; `http:` only for loopback hosts (tests, a local sidecar)
 * or with `allowInsecure` — a set fetched in clear text can be replaced by anyone on the path.
 *
 * @example
 * ```ts
 * import { checkKeySetUrl } from 'wimse-ect/identity';
 *
 * checkKeySetUrl('https://keys.example.org/jwks.json'); // fine
 * checkKeySetUrl('http://127.0.0.1:8080/jwks.json'); // loopback: fine
 * try {
 *   checkKeySetUrl('http://keys.example.org/jwks.json');
 * } catch (error) {
 *   console.log((error as Error).message); // jwks_uri: … https: …
 * }
 * ```
 */
export function checkKeySetUrl(url: string | URL, options: KeySetUrlOptions = {}): URL {
  const setting = options.setting ?? 'jwks_uri';
  let parsed: URL;
  try {
    parsed = new URL(String(url));
  } catch {
    throw new ECTConfigError(setting, `not a URL: ${JSON.stringify(String(url))}`);
  }
  if (parsed.username !== '' || parsed.password !== '')
    throw new ECTConfigError(setting, 'must not carry credentials');
  if (parsed.protocol === 'https:') return parsed;
  if (
    parsed.protocol === 'http:' &&
    (isLoopback(parsed.hostname) || options.allowInsecure === true)
  )
    return parsed;
  if (parsed.protocol === 'http:')
    throw new ECTConfigError(
      setting,
      'must be https (http is allowed only for loopback hosts or with allow_insecure)',
    );
  throw new ECTConfigError(setting, `must be https, got ${parsed.protocol.replace(/:$/, '')}`);
}

function durationMs(value: number | undefined, fallback: number, setting: string, min = 0): number {
  return numberSetting({ value, fallback, setting, min, unit: 'milliseconds' });
}

/** A fetch that refuses bodies over `maxBytes` (declared or actual). */
function limitedFetch(maxBytes: number): FetchImplementation {
  return async (url, init): Promise<Response> => {
    const response = await fetch(url, init);
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => undefined);
      return new Response(null, { status: response.status });
    }
    const declared = Number(response.headers.get('content-length') ?? NaN);
    if (declared > maxBytes) {
      await response.body?.cancel().catch(() => undefined);
      throw new Error(`the response is larger than ${maxBytes} bytes`);
    }
    const chunks: Uint8Array[] = [];
    let total = 0;
    if (response.body !== null) {
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        total += value.byteLength;
        if (total > maxBytes) {
          await reader.cancel().catch(() => undefined);
          throw new Error(`the response is larger than ${maxBytes} bytes`);
        }
        chunks.push(value);
      }
    }
    return new Response(Buffer.concat(chunks), { status: 200 });
  };
}

/** Why a fetch failed, in words (jose errors, fetch's `TypeError` with a system error as cause). */
function describeFailure(error: unknown): string {
  const err = error as {
    name?: string;
    message?: string;
    code?: string;
    cause?: { code?: string; message?: string };
  };
  if (err?.code === 'ERR_JWKS_TIMEOUT' || err?.name === 'TimeoutError')
    return 'the request timed out';
  const cause = err?.cause?.code ?? err?.cause?.message;
  return cause !== undefined
    ? `${err?.message ?? String(error)} (${cause})`
    : (err?.message ?? String(error));
}

/** A remote set with its state, for `remoteKeySet`. */
interface State {
  index: JWKSetIndex | undefined;
  refreshing: Promise<void> | undefined;
  failedAt: number;
  failure: string;
}

/**
 * A JWK Set at a URL as a `KeySet`. Nothing is fetched until the first token needs it. Known keys
 * are used without the network while the set is younger than `maxAgeMs`; after that the set is
 * fetched again and, when that fails, tokens are rejected (a stale set could hold a withdrawn key).
 *
 * @example
 * ```ts
 * import { createVerifier } from 'wimse-ect';
 * import { issuerKeySets, remoteKeySet } from 'wimse-ect/identity';
 *
 * // Fetched on first use, cached, fetched again on an unknown kid (at most every 30 s).
 * const partner = remoteKeySet({ url: 'https://keys.partner.example/.well-known/jwks.json' });
 * const verifier = createVerifier({
 *   audience: 'spiffe://example.org/b',
 *   keys: issuerKeySets([{ issuers: [{ prefix: 'spiffe://partner.example/' }], keys: partner }]),
 * });
 * ```
 */
export function remoteKeySet(options: RemoteKeySetOptions): KeySet {
  const setting = options.setting ?? 'jwks_uri';
  const url = checkKeySetUrl(options.url, {
    setting,
    ...(options.allowInsecure === undefined ? {} : { allowInsecure: options.allowInsecure }),
  });
  const maxAgeMs = durationMs(options.maxAgeMs, DEFAULT_JWKS_MAX_AGE_MS, `${setting} max age`, 1);
  const cooldownMs = durationMs(
    options.cooldownMs,
    DEFAULT_JWKS_COOLDOWN_MS,
    `${setting} cooldown`,
  );
  const timeoutMs = durationMs(options.timeoutMs, DEFAULT_JWKS_TIMEOUT_MS, `${setting} timeout`, 1);
  const maxBytes = durationMs(options.maxBytes, DEFAULT_JWKS_MAX_BYTES, `${setting} max bytes`, 1);
  const backoffMs = durationMs(
    options.failureBackoffMs,
    DEFAULT_JWKS_FAILURE_BACKOFF_MS,
    `${setting} failure backoff`,
  );
  const remote: RemoteJWKSet = createRemoteJWKSet(url, {
    timeoutDuration: Math.ceil(timeoutMs),
    cooldownDuration: cooldownMs,
    cacheMaxAge: maxAgeMs,
    ...(options.headers === undefined ? {} : { headers: { ...options.headers } }),
    [customFetch]: limitedFetch(maxBytes),
  });
  const description = `jwks_uri ${url.href}`;
  const state: State = {
    index: undefined,
    refreshing: undefined,
    failedAt: -Infinity,
    failure: '',
  };

  function failed(): ECTError {
    return new ECTError(
      'ECT_KEY_UNRESOLVED',
      `the JWK set at ${url.href} could not be fetched: ${state.failure}`,
      { member: 'kid' },
    );
  }

  /** One fetch for every waiting token; the fetched set is indexed once. */
  function refresh(): Promise<void> {
    if (state.refreshing !== undefined) return state.refreshing;
    // A server that is down is not asked again by every token (the timeout would be paid by each).
    if (Date.now() < state.failedAt + backoffMs) return Promise.reject(failed());
    const running = remote
      .reload()
      .then(
        () => {
          const fetched = remote.jwks();
          if (fetched === undefined) throw new Error('no JWK set was received');
          // RFC 7517 §5: a published set may hold keys this verifier cannot use (encryption keys,
          // unknown types); they are skipped, not fatal.
          state.index = indexJWKSet(fetched, { setting: description, invalidKeys: 'skip' });
          state.failedAt = -Infinity;
        },
        (error: unknown) => {
          state.failedAt = Date.now();
          state.failure = describeFailure(error);
          throw failed();
        },
      )
      .finally(() => {
        if (state.refreshing === running) state.refreshing = undefined;
      });
    state.refreshing = running;
    return running;
  }

  return {
    description,
    holds: (kid: string): boolean =>
      state.index !== undefined && remote.fresh && state.index.has(kid),
    async select(kid: string, alg: string): Promise<KeyObject> {
      if (state.index === undefined || !remote.fresh) await refresh();
      if (!state.index!.has(kid) && !remote.coolingDown) {
        // IDB-1: an unknown kid may mean the issuer rotated its keys; ask again, at most once per cooldown.
        await refresh();
      }
      if (!state.index!.has(kid)) {
        throw new ECTError(
          'ECT_KEY_UNRESOLVED',
          `no key with kid ${JSON.stringify(kid)} in the JWK set at ${url.href}`,
          { member: 'kid' },
        );
      }
      return state.index!.select(kid, alg);
    },
  };
}
