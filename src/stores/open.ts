/**
 * Stores by URL (`ect/stores`): one string in configuration (`ECT_LEDGER`, `--ledger`) picks the
 * backend. Drivers are loaded with `import()` only when their URL is used, so an application that
 * never names PostgreSQL never loads `pg` (and need not install it).
 *
 * Ledgers: `memory:`, `sqlite:PATH` (absolute or relative, `sqlite:///abs/path` too),
 * `postgres://…` / `postgresql://…`. Replay caches: `memory:`, `redis://…` / `rediss://…`.
 * @module wimse-ect/stores
 */
import { resolve } from 'node:path';
import { ECTConfigError } from '../errors.js';
import { Ledger, type LedgerOptions } from '../ledger/ledger.js';
import { MemoryReplayStore } from '../replay/memory.js';
import type { ReplayStore } from '../replay/store.js';
import { redactUrl } from '../redact-url.js';

/**
 * Options of `openLedger`: the ledger's own options (the backend comes from the URL).
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { openLedger, type OpenLedgerOptions } from 'wimse-ect/stores';
 *
 * const options: OpenLedgerOptions = {
 *   key: JSON.parse(readFileSync('ledger.key.json', 'utf8')), // ect keygen --alg EdDSA
 *   origin: 'example.org/ect-ledger',
 * };
 * const ledger = await openLedger(process.env['ECT_LEDGER'] ?? 'sqlite:audit.db', options);
 * ```
 */
export type OpenLedgerOptions = Omit<LedgerOptions, 'backend'>;

/**
 * The accepted ledger URL forms, for messages.
 *
 * @example
 * ```ts
 * import { LEDGER_URL_FORMS } from 'wimse-ect/stores';
 *
 * console.log(`--ledger URL: ${LEDGER_URL_FORMS}`);
 * ```
 */
export const LEDGER_URL_FORMS =
  'memory:, sqlite:PATH (e.g. sqlite:./ledger.db or sqlite:///var/lib/ect/ledger.db), postgres://user@host:5432/db or postgresql://… (optionally ?ect_table=NAME)';
/**
 * The accepted replay cache URL forms, for messages.
 *
 * @example
 * ```ts
 * import { REPLAY_URL_FORMS } from 'wimse-ect/stores';
 *
 * console.log(`--replay URL: ${REPLAY_URL_FORMS}`);
 * ```
 */
export const REPLAY_URL_FORMS = 'memory:, redis://host:6379 or rediss://… (TLS)';

/**
 * A parsed ledger URL. `table` comes from the `ect_table` query parameter of a PostgreSQL URL.
 *
 * @example
 * ```ts
 * import { parseLedgerUrl, type LedgerLocation } from 'wimse-ect/stores';
 *
 * const location: LedgerLocation = parseLedgerUrl(
 *   'postgres://ect@db.internal/audit?ect_table=payments',
 * );
 * if (location.kind === 'postgres') console.log(location.table); // payments
 * ```
 */
export type LedgerLocation =
  | { readonly kind: 'memory' }
  | { readonly kind: 'sqlite'; readonly path: string }
  | { readonly kind: 'postgres'; readonly url: string; readonly table?: string };

function badUrl(setting: string, url: unknown, problem: string, forms: string): ECTConfigError {
  const shown = typeof url === 'string' ? JSON.stringify(redactUrl(url)) : String(url);
  return new ECTConfigError(setting, `${shown} ${problem}; accepted forms: ${forms}`);
}

/**
 * Parses a ledger URL; throws `ECTConfigError` naming the URL (without its password) and the
 * accepted forms.
 *
 * @example
 * ```ts
 * import { parseLedgerUrl } from 'wimse-ect/stores';
 *
 * console.log(parseLedgerUrl('sqlite:./audit.db')); // { kind: 'sqlite', path: '/…/audit.db' }
 * try {
 *   parseLedgerUrl('mysql://db/audit');
 * } catch (error) {
 *   console.log((error as Error).message); // … accepted forms: memory:, sqlite:PATH …
 * }
 * ```
 */
export function parseLedgerUrl(url: string): LedgerLocation {
  if (typeof url !== 'string' || url.trim().length === 0)
    throw badUrl('ledger URL', url, 'is empty', LEDGER_URL_FORMS);
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(url)?.[1]?.toLowerCase();
  switch (scheme) {
    case 'memory':
      if (url.slice('memory:'.length).replace(/^\/\//, '') !== '')
        throw badUrl('ledger URL', url, 'takes nothing after "memory:"', LEDGER_URL_FORMS);
      return { kind: 'memory' };
    case 'sqlite': {
      // sqlite:PATH; sqlite://PATH is read the same way, so sqlite:///abs/file is /abs/file.
      let path = url.slice('sqlite:'.length);
      if (path.startsWith('//')) path = path.slice(2);
      if (path.length === 0)
        throw badUrl('ledger URL', url, 'names no database file', LEDGER_URL_FORMS);
      return { kind: 'sqlite', path: path === ':memory:' ? path : resolve(path) };
    }
    case 'postgres':
    case 'postgresql': {
      let host: string;
      try {
        host = new URL(url).hostname;
      } catch {
        throw badUrl('ledger URL', url, 'is not a valid URL', LEDGER_URL_FORMS);
      }
      if (host === '' && !/[?&]host=/.test(url))
        throw badUrl('ledger URL', url, 'names no host', LEDGER_URL_FORMS);
      // `ect_table=NAME` picks the ledger's table (several ledgers in one database); it is ours, so
      // it is taken out before the URL reaches the driver.
      const parsed = new URL(url);
      const table = parsed.searchParams.get('ect_table');
      if (table === null) return { kind: 'postgres', url };
      parsed.searchParams.delete('ect_table');
      return { kind: 'postgres', url: parsed.toString(), table };
    }
    default:
      throw badUrl(
        'ledger URL',
        url,
        scheme === undefined ? 'has no scheme' : `has an unknown scheme "${scheme}:"`,
        LEDGER_URL_FORMS,
      );
  }
}

/**
 * Opens a ledger from its URL; the driver of that backend is loaded only now.
 *
 * @example
 * ```ts
 * import { generateKeyPair } from 'wimse-ect';
 * import { openLedger } from 'wimse-ect/stores';
 *
 * // memory:, sqlite:PATH or postgres://…; the driver is loaded only for its URL.
 * const ledger = await openLedger('memory:', {
 *   key: generateKeyPair({ alg: 'EdDSA' }).privateJwk,
 *   origin: 'example.org/ect-ledger',
 * });
 * console.log(await ledger.size()); // 0
 * await ledger.close();
 * ```
 */
export async function openLedger(url: string, options: OpenLedgerOptions = {}): Promise<Ledger> {
  const location = parseLedgerUrl(url);
  switch (location.kind) {
    case 'memory':
      return Ledger.open(options);
    case 'sqlite': {
      const { openSqliteLedger } = await import('../ledger/sqlite.js');
      return openSqliteLedger(location.path, options);
    }
    case 'postgres': {
      const { openPostgresLedger } = await import('../ledger/postgres.js');
      return openPostgresLedger(
        location.url,
        location.table === undefined ? options : { ...options, table: location.table },
      );
    }
  }
}

/**
 * Opens a replay cache from its URL; `redis` is loaded only for a Redis URL.
 *
 * @example
 * ```ts
 * import { createVerifier } from 'wimse-ect';
 * import { openReplayStore } from 'wimse-ect/stores';
 *
 * // memory: for one process, redis://… for verifiers that share one view.
 * const replay = await openReplayStore(process.env['ECT_REPLAY'] ?? 'memory:');
 * const verifier = createVerifier({ audience: 'spiffe://example.org/b', minLevel: 1, replay });
 * ```
 */
export async function openReplayStore(url: string): Promise<ReplayStore> {
  if (typeof url !== 'string' || url.trim().length === 0)
    throw badUrl('replay URL', url, 'is empty', REPLAY_URL_FORMS);
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(url)?.[1]?.toLowerCase();
  switch (scheme) {
    case 'memory':
      if (url.slice('memory:'.length).replace(/^\/\//, '') !== '')
        throw badUrl('replay URL', url, 'takes nothing after "memory:"', REPLAY_URL_FORMS);
      return new MemoryReplayStore();
    case 'redis':
    case 'rediss': {
      try {
        if (new URL(url).hostname === '') throw new Error('no host');
      } catch {
        throw badUrl('replay URL', url, 'is not a valid URL with a host', REPLAY_URL_FORMS);
      }
      const { openRedisReplayStore } = await import('../replay/redis.js');
      return openRedisReplayStore(url);
    }
    default:
      throw badUrl(
        'replay URL',
        url,
        scheme === undefined ? 'has no scheme' : `has an unknown scheme "${scheme}:"`,
        REPLAY_URL_FORMS,
      );
  }
}
