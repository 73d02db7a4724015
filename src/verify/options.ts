/**
 * Verifier options: the [P] numbers of the profile with their defaults, and their normalisation.
 * Bad options are `ECTConfigError`s raised when the verifier is built, never at the first token.
 * @module
 */
import { ALGORITHMS, isAlgorithm, type Algorithm } from '../crypto/algorithms.js';
import type { JWSHeaderRules } from '../crypto/verify-jws.js';
import type { ECTStore } from '../dag/store.js';
import { DEFAULT_MAX_ANCESTORS } from '../dag/validate.js';
import { ECTConfigError } from '../errors.js';
import { DEFAULT_CLAIM_RULES, type ClaimRules } from '../format/claims.js';
import type { Level } from '../format/types.js';
import { localJWKSet, type JWKSet } from '../identity/jwks.js';
import type { KeyResolver, KeySource } from '../identity/key-source.js';
import type { Ledger } from '../ledger/ledger.js';
import type { ReplayStore } from '../replay/store.js';
import { resolverSource } from '../identity/resolver.js';
import { choiceSetting, numberSetting } from '../settings.js';
import { ectHeaderRules } from './header.js';
import type { LedgerFailure, RetryPolicy } from './recording.js';

/**
 * FMT-5 [P]: token size limit, bytes.
 *
 * @example
 * ```ts
 * import { createVerifier, DEFAULT_MAX_TOKEN_SIZE } from 'wimse-ect';
 *
 * // Tokens with X.509 chains (x5c) are larger: allow twice the default.
 * const verifier = createVerifier({
 *   audience: 'b',
 *   minLevel: 1,
 *   maxTokenSize: 2 * DEFAULT_MAX_TOKEN_SIZE,
 * });
 * ```
 */
export const DEFAULT_MAX_TOKEN_SIZE = 64 * 1024;
/**
 * FMT-4 [P]: default minimum level.
 *
 * @example
 * ```ts
 * import { configFromEnv, DEFAULT_MIN_LEVEL } from 'wimse-ect';
 *
 * const minLevel = configFromEnv().minLevel ?? DEFAULT_MIN_LEVEL; // 2 unless ECT_MIN_LEVEL says
 * ```
 */
export const DEFAULT_MIN_LEVEL: Level = 2;
/**
 * CLM-3, CLM-4 [P]: clock tolerance, seconds.
 *
 * @example
 * ```ts
 * import { createVerifier, DEFAULT_CLOCK_TOLERANCE } from 'wimse-ect';
 *
 * // Hosts with well-synchronised clocks: a tighter tolerance than the default 30 s.
 * const verifier = createVerifier({
 *   audience: 'b',
 *   minLevel: 1,
 *   clockTolerance: DEFAULT_CLOCK_TOLERANCE / 3,
 * });
 * ```
 */
export const DEFAULT_CLOCK_TOLERANCE = 30;
/**
 * CLM-3 [P]: maximum `iat` age, seconds (0 disables).
 *
 * @example
 * ```ts
 * import { createVerifier, DEFAULT_MAX_IAT_AGE } from 'wimse-ect';
 *
 * // Accept tokens issued up to an hour ago (batch jobs), instead of 15 minutes.
 * const verifier = createVerifier({
 *   audience: 'b',
 *   minLevel: 1,
 *   maxIatAge: 4 * DEFAULT_MAX_IAT_AGE,
 * });
 * ```
 */
export const DEFAULT_MAX_IAT_AGE = 900;
/**
 * LED-7: ledger append timeout, milliseconds.
 *
 * @example
 * ```ts
 * import { createVerifier, DEFAULT_LEDGER_TIMEOUT_MS, Ledger } from 'wimse-ect';
 *
 * const ledger = await Ledger.open({ origin: 'example.org/ect-ledger' });
 * const record = { ledger, timeoutMs: 2 * DEFAULT_LEDGER_TIMEOUT_MS }; // a slow, remote database
 * const verifier = createVerifier({ audience: 'b', minLevel: 1, record });
 * ```
 */
export const DEFAULT_LEDGER_TIMEOUT_MS = 2000;
/**
 * LED-7 [P]: retries of background recording.
 *
 * @example
 * ```ts
 * import { createVerifier, DEFAULT_LEDGER_RETRIES, Ledger, MemoryECTStore } from 'wimse-ect';
 *
 * const ledger = await Ledger.open({ origin: 'example.org/ect-ledger' });
 * const record = { ledger, mode: 'async', retries: DEFAULT_LEDGER_RETRIES + 2 } as const;
 * const verifier = createVerifier({
 *   audience: 'b',
 *   minLevel: 1,
 *   record,
 *   dag: { store: new MemoryECTStore() },
 * });
 * ```
 */
export const DEFAULT_LEDGER_RETRIES = 3;
/**
 * LED-7 [P]: first retry delay of background recording, milliseconds (doubled each time).
 *
 * @example
 * ```ts
 * import { DEFAULT_LEDGER_RETRIES, DEFAULT_LEDGER_RETRY_DELAY_MS } from 'wimse-ect';
 *
 * // The longest a background append waits between attempts with the defaults: 250, 500, 1000 ms.
 * console.log(DEFAULT_LEDGER_RETRY_DELAY_MS * 2 ** (DEFAULT_LEDGER_RETRIES - 1)); // 1000
 * ```
 */
export const DEFAULT_LEDGER_RETRY_DELAY_MS = 250;

/**
 * DAG validation settings of a verifier (profile section 6).
 *
 * @example
 * ```ts
 * import { createVerifier, MemoryECTStore, type DagVerifyOptions } from 'wimse-ect';
 *
 * // Tokens may arrive before their predecessors: list those missing instead of refusing.
 * const dag: DagVerifyOptions = {
 *   store: new MemoryECTStore(),
 *   partial: true,
 *   maxAncestors: 50_000,
 * };
 * const verifier = createVerifier({ audience: 'b', minLevel: 1, dag });
 * ```
 */
export interface DagVerifyOptions {
  /** The store of accepted ECTs (default: the ledger, when one is configured). */
  readonly store?: ECTStore;
  /** DAG-2 [P]: list missing predecessors instead of failing. */
  readonly partial?: boolean;
  /** DAG-5: allow predecessors from other workflows. */
  readonly allowCrossWorkflow?: boolean;
  /** DAG-4: ancestor walk bound (default 10,000). */
  readonly maxAncestors?: number;
  /** DAG-6: refuse predecessors recorded below the verifier's minimum level (default true). */
  readonly checkLevels?: boolean;
}

/**
 * VER-13, LED-7: where and how a verifier records the tokens it accepts. Recorded L2 tokens count
 * as L3 (FMT-6) and carry the ledger's receipt (LED-5).
 *
 * @example
 * ```ts
 * import { createVerifier, generateKeyPair, type RecordOptions } from 'wimse-ect';
 * import { openLedger } from 'wimse-ect/stores';
 *
 * const ledger = await openLedger('memory:', {
 *   key: generateKeyPair({ alg: 'EdDSA' }).privateJwk,
 *   origin: 'example.org/ect-ledger',
 * });
 * // Accept at L2 when the ledger cannot be reached, and say so, rather than refuse.
 * const record: RecordOptions = { ledger, timeoutMs: 500, failure: 'degrade' };
 * const verifier = createVerifier({ audience: 'b', minLevel: 1, record });
 * ```
 */
export interface RecordOptions {
  /** The ledger that records accepted tokens. */
  readonly ledger: Ledger;
  /**
   * `sync` (default): recorded before `verify` returns (L3 with a receipt, or the failure policy).
   * `async`: `verify` returns at once at the token's own level and the token is recorded in the
   * background with retries; the result's `recording` resolves to the receipt, or to `undefined`
   * once `onFailure` was told.
   */
  readonly mode?: 'sync' | 'async';
  /**
   * LED-7: how long an append waits for a ledger that finishes no batch, milliseconds (default
   * 2000). An append queued behind other group commits waits longer while the ledger keeps
   * finishing them.
   */
  readonly timeoutMs?: number;
  /**
   * Sync mode: when the ledger fails, `reject` (`ECT_LEDGER_UNAVAILABLE`, default) or `degrade`
   * (accept at L2 and say so in `ledgerDegraded`).
   */
  readonly failure?: 'reject' | 'degrade';
  /** Async mode: retries after the first failed append (default 3). */
  readonly retries?: number;
  /** Async mode: delay before the first retry, doubled each time, milliseconds (default 250). */
  readonly retryDelayMs?: number;
  /** Async mode: told when a token could finally not be recorded (it counts as L2). */
  readonly onFailure?: (failure: LedgerFailure) => void;
}

/**
 * Options of `verifyECT` / `createVerifier`.
 *
 * @example
 * ```ts
 * import { createVerifier, localJWKSet, MemoryECTStore, type VerifyOptions } from 'wimse-ect';
 *
 * const options: VerifyOptions = {
 *   audience: ['spiffe://example.org/b', 'spiffe://example.org/b-canary'],
 *   keys: localJWKSet({ keys: [] }, { issuers: [{ prefix: 'spiffe://example.org/' }] }),
 *   algorithms: ['ES256', 'EdDSA'],
 *   minLevel: 1,
 *   clockTolerance: 10,
 *   dag: { store: new MemoryECTStore() },
 * };
 * const verifier = createVerifier(options);
 * ```
 */
export interface VerifyOptions {
  /** CLM-2: the verifier's own identity (or identities); one must be in the token's `aud`. */
  readonly audience: string | readonly string[];
  /** VER-5: where keys come from: a `KeySource`, a JWK Set, or a resolver function. */
  readonly keys?: KeySource | JWKSet | KeyResolver;
  /** HDR-2: allowed algorithms (default: ES256, ES384, ES512, EdDSA, PS256, PS384, PS512). */
  readonly algorithms?: readonly Algorithm[];
  /** FMT-4: minimum level (default 2). Level 3 needs `record` (a ledger, synchronously). */
  readonly minLevel?: Level;
  /** CLM-3, CLM-4, DAG-3: clock tolerance, seconds (default 30). */
  readonly clockTolerance?: number;
  /** CLM-3: maximum `iat` age, seconds (default 900; 0 disables). */
  readonly maxIatAge?: number;
  /** CLM-5: `jti`, `pred` and `wid` must be UUIDs (default true). */
  readonly requireUuid?: boolean;
  /** CLM-7: most `pred` entries (default 100; 0 = unlimited). */
  readonly maxPred?: number;
  /** CLM-6: longest `exec_act` (default 256). */
  readonly maxExecActLength?: number;
  /** FMT-5: token size limit, bytes (default 65,536). */
  readonly maxTokenSize?: number;
  /** CLM-13: read -00 claim names (default false). */
  readonly acceptLegacy?: boolean;
  /** Verification time, Unix seconds, or a clock returning it (default: the system clock). */
  readonly now?: number | (() => number);
  /** VER-12: the replay cache. `createVerifier` uses a private in-memory one when absent. */
  readonly replay?: ReplayStore | false;
  /** VER-11: DAG validation; off when absent. */
  readonly dag?: DagVerifyOptions;
  /** VER-13, LED-7: record accepted tokens in a ledger; L2 tokens then count as L3 (FMT-6). */
  readonly record?: RecordOptions;
  /**
   * Check signatures on libuv's thread pool instead of the event loop (default false). Turn it on
   * for servers verifying many tokens at once: they then use every core. See `npm run bench`.
   */
  readonly asyncCrypto?: boolean;
}

/** `record` after defaults and checks. */
export interface NormalizedRecord {
  readonly ledger: Ledger;
  readonly mode: 'sync' | 'async';
  readonly timeoutMs: number;
  readonly failure: 'reject' | 'degrade';
  /** Async mode: retries, delays, timeout and the failure callback. */
  readonly retry: RetryPolicy;
}

/** Options after defaults and checks. Internal: not part of the package's API. */
export interface NormalizedOptions {
  readonly audience: ReadonlySet<string>;
  readonly keys: KeySource | undefined;
  readonly algorithms: ReadonlySet<string>;
  /** VER-4: the header rules of the shared JWS verification, built once. */
  readonly headerRules: JWSHeaderRules;
  readonly minLevel: Level;
  readonly clockTolerance: number;
  readonly maxIatAge: number;
  readonly rules: ClaimRules;
  readonly maxTokenSize: number;
  readonly now: () => number;
  readonly replay: ReplayStore | undefined;
  readonly dag:
    (Required<Omit<DagVerifyOptions, 'store'>> & { readonly store: ECTStore }) | undefined;
  readonly record: NormalizedRecord | undefined;
  readonly asyncCrypto: boolean;
}

// Every option name, checked against the interfaces by the compiler (`satisfies`): a misspelt
// option (`audiences`, `minlevel`) would otherwise be ignored and its default silently used.
const VERIFY_OPTION_NAMES = {
  audience: true,
  keys: true,
  algorithms: true,
  minLevel: true,
  clockTolerance: true,
  maxIatAge: true,
  requireUuid: true,
  maxPred: true,
  maxExecActLength: true,
  maxTokenSize: true,
  acceptLegacy: true,
  now: true,
  replay: true,
  dag: true,
  record: true,
  asyncCrypto: true,
} as const satisfies Record<keyof VerifyOptions, true>;

const DAG_OPTION_NAMES = {
  store: true,
  partial: true,
  allowCrossWorkflow: true,
  maxAncestors: true,
  checkLevels: true,
} as const satisfies Record<keyof DagVerifyOptions, true>;

const RECORD_OPTION_NAMES = {
  ledger: true,
  mode: true,
  timeoutMs: true,
  failure: true,
  retries: true,
  retryDelayMs: true,
  onFailure: true,
} as const satisfies Record<keyof RecordOptions, true>;

// The flat ledger options of 0.1.0, now members of `record`: named in the error that refuses them.
const MOVED_OPTION_NAMES: Readonly<Record<string, string>> = {
  ledger: 'record.ledger',
  ledgerMode: 'record.mode',
  ledgerTimeoutMs: 'record.timeoutMs',
  ledgerFailure: 'record.failure',
  ledgerRetries: 'record.retries',
  ledgerRetryDelayMs: 'record.retryDelayMs',
  onLedgerFailure: 'record.onFailure',
};

/** Edit distance of two names, case-insensitive (Levenshtein, one row at a time). */
function distance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let row = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const next = [i];
    for (let j = 1; j <= y.length; j++) {
      const substitution = row[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1);
      next.push(Math.min(row[j]! + 1, next[j - 1]! + 1, substitution));
    }
    row = next;
  }
  return row[y.length]!;
}

/**
 * Throws `ECTConfigError` for a member of `given` not in `names`, naming the closest one (or,
 * for an option that moved, where it went).
 */
function rejectUnknownNames(
  given: object,
  names: Readonly<Record<string, true>>,
  path: string,
  moved: Readonly<Record<string, string>> = {},
): void {
  for (const name of Object.keys(given)) {
    if (Object.hasOwn(names, name)) continue;
    if (Object.hasOwn(moved, name)) {
      throw new ECTConfigError(`${path}.${name}`, `is now ${path}.${moved[name]}`);
    }
    let closest = '';
    for (const valid of Object.keys(names)) {
      if (closest === '' || distance(name, valid) < distance(name, closest)) closest = valid;
    }
    const hint = `is not an option; did you mean ${path}.${closest}?`;
    throw new ECTConfigError(`${path}.${name}`, hint);
  }
}

// A JWK Set object given twice is imported once.
const jwkSetSources = new WeakMap<object, KeySource>();

function keySource(keys: VerifyOptions['keys']): KeySource | undefined {
  if (keys === undefined) return undefined;
  if (typeof keys === 'function') return resolverSource(keys);
  if (
    typeof keys === 'object' &&
    keys !== null &&
    typeof (keys as KeySource).resolve === 'function'
  )
    return keys as KeySource;
  if (typeof keys === 'object' && keys !== null && Array.isArray((keys as JWKSet).keys)) {
    let source = jwkSetSources.get(keys);
    if (source === undefined) {
      source = localJWKSet(keys as JWKSet, { setting: 'options.keys' });
      jwkSetSources.set(keys, source);
    }
    return source;
  }
  throw new ECTConfigError(
    'options.keys',
    'expected a KeySource, a JWK Set ({ keys: [...] }) or a resolver function',
  );
}

/** `record` with its defaults; the async-only members are refused in sync mode and back. */
function normalizeRecord(
  record: RecordOptions | undefined,
  minLevel: Level,
): NormalizedRecord | undefined {
  if (record === undefined) return undefined;
  if (typeof record !== 'object' || record === null) {
    throw new ECTConfigError('options.record', 'must be an object such as { ledger }');
  }
  if (typeof (record as unknown as Ledger).append === 'function') {
    const message =
      'takes the ledger as a member, with the recording settings: { ledger, mode, … }';
    throw new ECTConfigError('options.record', message);
  }
  rejectUnknownNames(record, RECORD_OPTION_NAMES, 'options.record');
  const ledger = record.ledger as unknown;
  if (
    typeof ledger !== 'object' ||
    ledger === null ||
    typeof (ledger as Ledger).append !== 'function'
  ) {
    throw new ECTConfigError(
      'options.record.ledger',
      'a Ledger to record accepted tokens in is required',
    );
  }
  const mode = choiceSetting({
    value: record.mode,
    fallback: 'sync',
    setting: 'options.record.mode',
    choices: ['sync', 'async'],
  });
  const only = mode === 'sync' ? ['retries', 'retryDelayMs', 'onFailure'] : ['failure'];
  const other = mode === 'sync' ? 'async' : 'sync';
  for (const name of only) {
    if (record[name as keyof RecordOptions] !== undefined) {
      throw new ECTConfigError(`options.record.${name}`, `applies only with mode "${other}"`);
    }
  }
  if (mode === 'async' && minLevel === 3) {
    const message =
      'minimum level 3 needs each token recorded before it is accepted: use the sync mode';
    throw new ECTConfigError('options.record.mode', message);
  }
  if (record.onFailure !== undefined && typeof record.onFailure !== 'function') {
    throw new ECTConfigError('options.record.onFailure', 'must be a function');
  }
  const timeoutMs = numberSetting({
    value: record.timeoutMs,
    fallback: DEFAULT_LEDGER_TIMEOUT_MS,
    setting: 'options.record.timeoutMs',
    min: 1,
    integer: true,
  });
  return {
    ledger: ledger as Ledger,
    mode,
    timeoutMs,
    failure: choiceSetting({
      value: record.failure,
      fallback: 'reject',
      setting: 'options.record.failure',
      choices: ['reject', 'degrade'],
    }),
    retry: {
      retries: numberSetting({
        value: record.retries,
        fallback: DEFAULT_LEDGER_RETRIES,
        setting: 'options.record.retries',
        integer: true,
      }),
      delayMs: numberSetting({
        value: record.retryDelayMs,
        fallback: DEFAULT_LEDGER_RETRY_DELAY_MS,
        setting: 'options.record.retryDelayMs',
        integer: true,
      }),
      timeoutMs,
      onFailure: record.onFailure,
    },
  };
}

/** The verifier's clock: the system clock, a fixed time, or the caller's clock. */
function clockOf(now: VerifyOptions['now']): () => number {
  if (now === undefined) return () => Date.now() / 1000;
  if (typeof now === 'function') return now;
  const fixed = numberSetting({ value: now, setting: 'options.now', unit: 'seconds' });
  return () => fixed;
}

/** VER-11 settings; the store defaults to the ledger that records (synchronously). */
function normalizeDag(
  dag: DagVerifyOptions | undefined,
  record: NormalizedRecord | undefined,
): NormalizedOptions['dag'] {
  if (dag === undefined) return undefined;
  if (typeof dag !== 'object' || dag === null)
    throw new ECTConfigError('options.dag', 'must be an object such as { store }');
  rejectUnknownNames(dag, DAG_OPTION_NAMES, 'options.dag');
  // A successor may arrive before its predecessor is recorded: the DAG needs a store of its own.
  if (record?.mode === 'async' && (dag.store === undefined || dag.store === record.ledger)) {
    const message =
      'with record.mode "async" the ledger cannot be the DAG store (tasks are recorded later); ' +
      'give a store such as MemoryECTStore';
    throw new ECTConfigError('options.dag.store', message);
  }
  const store = dag.store ?? record?.ledger;
  if (store === undefined)
    throw new ECTConfigError(
      'options.dag.store',
      'DAG validation needs a store of accepted ECTs (or a ledger to record in)',
    );
  return {
    store,
    partial: dag.partial ?? false,
    allowCrossWorkflow: dag.allowCrossWorkflow ?? false,
    maxAncestors: numberSetting({
      value: dag.maxAncestors,
      fallback: DEFAULT_MAX_ANCESTORS,
      setting: 'options.dag.maxAncestors',
      min: 1,
      integer: true,
    }),
    checkLevels: dag.checkLevels ?? true,
  };
}

/** Applies defaults and checks every option. */
export function normalizeOptions(
  options: VerifyOptions,
  defaultReplay: () => ReplayStore | undefined,
): NormalizedOptions {
  if (typeof options !== 'object' || options === null)
    throw new ECTConfigError(
      'options',
      'verification options are required (at least the audience)',
    );
  rejectUnknownNames(options, VERIFY_OPTION_NAMES, 'options', MOVED_OPTION_NAMES);
  const audienceList = typeof options.audience === 'string' ? [options.audience] : options.audience;
  if (
    !Array.isArray(audienceList) ||
    audienceList.length === 0 ||
    !audienceList.every((a) => typeof a === 'string' && a.length > 0)
  ) {
    throw new ECTConfigError(
      'options.audience',
      "the verifier's own identity is required (CLM-2): a non-empty string or list of strings",
    );
  }
  const algorithms = options.algorithms ?? ALGORITHMS;
  if (!Array.isArray(algorithms) || algorithms.length === 0)
    throw new ECTConfigError('options.algorithms', 'must be a non-empty list');
  for (const alg of algorithms) {
    if (!isAlgorithm(alg))
      throw new ECTConfigError(
        'options.algorithms',
        `${JSON.stringify(alg)} cannot be allowed; choose from ${ALGORITHMS.join(', ')} ` +
          '(none and HS* never, HDR-2)',
      );
  }
  const minLevel = options.minLevel ?? DEFAULT_MIN_LEVEL;
  if (minLevel !== 1 && minLevel !== 2 && minLevel !== 3)
    throw new ECTConfigError('options.minLevel', 'must be 1, 2 or 3');
  if (minLevel === 3 && options.record === undefined) {
    throw new ECTConfigError(
      'options.minLevel',
      'level 3 needs a ledger to record tokens in (FMT-6): give options.record',
    );
  }
  // Without keys no signature can be checked: from level 2 up, every token would be refused.
  if (minLevel >= 2 && options.keys === undefined) {
    const message =
      `no key source: a verifier with minimum level ${minLevel} could never accept a ` +
      'signed token; give keys (a JWK Set, a KeySource or a resolver), or minLevel 1';
    throw new ECTConfigError('options.keys', message);
  }
  const keys = options.keys as Partial<JWKSet> | undefined;
  if (minLevel >= 2 && Array.isArray(keys?.keys) && keys.keys.length === 0) {
    const message =
      `the JWK Set has no keys: a verifier with minimum level ${minLevel} could never accept ` +
      'a signed token; give at least one public key, or minLevel 1';
    throw new ECTConfigError('options.keys', message);
  }
  const record = normalizeRecord(options.record, minLevel);
  const allowed: ReadonlySet<string> = new Set(algorithms);
  return {
    audience: new Set(audienceList),
    keys: keySource(options.keys),
    algorithms: allowed,
    headerRules: ectHeaderRules(allowed),
    minLevel,
    clockTolerance: numberSetting({
      value: options.clockTolerance,
      fallback: DEFAULT_CLOCK_TOLERANCE,
      setting: 'options.clockTolerance',
      unit: 'seconds',
    }),
    maxIatAge: numberSetting({
      value: options.maxIatAge,
      fallback: DEFAULT_MAX_IAT_AGE,
      setting: 'options.maxIatAge',
      unit: 'seconds',
    }),
    rules: {
      requireUuid: options.requireUuid ?? DEFAULT_CLAIM_RULES.requireUuid,
      maxPred: numberSetting({
        value: options.maxPred,
        fallback: DEFAULT_CLAIM_RULES.maxPred,
        setting: 'options.maxPred',
        integer: true,
      }),
      maxExecActLength: numberSetting({
        value: options.maxExecActLength,
        fallback: DEFAULT_CLAIM_RULES.maxExecActLength,
        setting: 'options.maxExecActLength',
        min: 1,
        integer: true,
      }),
      acceptLegacy: options.acceptLegacy ?? false,
    },
    maxTokenSize: numberSetting({
      value: options.maxTokenSize,
      fallback: DEFAULT_MAX_TOKEN_SIZE,
      setting: 'options.maxTokenSize',
      min: 1,
      integer: true,
      unit: 'bytes',
    }),
    now: clockOf(options.now),
    replay: options.replay === false ? undefined : (options.replay ?? defaultReplay()),
    dag: normalizeDag(options.dag, record),
    record,
    asyncCrypto: options.asyncCrypto ?? false,
  };
}
