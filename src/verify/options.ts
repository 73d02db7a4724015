/**
 * Verifier options: the [P] numbers of the profile with their defaults, and their normalisation.
 * Bad options are `ECTConfigError`s raised when the verifier is built, never at the first token.
 * @module
 */
import { ALGORITHMS, isAlgorithm, type Algorithm } from '../crypto/algorithms.js';
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
import type { LedgerFailure, RetryPolicy } from './recording.js';

/** FMT-5 [P]: token size limit, bytes. */
export const DEFAULT_MAX_TOKEN_SIZE = 64 * 1024;
/** FMT-4 [P]: default minimum level. */
export const DEFAULT_MIN_LEVEL: Level = 2;
/** CLM-3, CLM-4 [P]: clock tolerance, seconds. */
export const DEFAULT_CLOCK_TOLERANCE = 30;
/** CLM-3 [P]: maximum `iat` age, seconds (0 disables). */
export const DEFAULT_MAX_IAT_AGE = 900;
/** LED-7: ledger append timeout, milliseconds. */
export const DEFAULT_LEDGER_TIMEOUT_MS = 2000;
/** LED-7 [P]: retries of background recording. */
export const DEFAULT_LEDGER_RETRIES = 3;
/** LED-7 [P]: first retry delay of background recording, milliseconds (doubled each time). */
export const DEFAULT_LEDGER_RETRY_DELAY_MS = 250;

/** DAG validation settings of a verifier (profile section 6). */
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

/** Options of `verifyECT` / `createVerifier`. */
export interface VerifyOptions {
  /** CLM-2: the verifier's own identity (or identities); one must be in the token's `aud`. */
  readonly audience: string | readonly string[];
  /** VER-5: where keys come from: a `KeySource`, a JWK Set, or a resolver function. */
  readonly keys?: KeySource | JWKSet | KeyResolver;
  /** HDR-2: allowed algorithms (default: all of ES256, ES384, ES512, EdDSA, PS256, PS384, PS512). */
  readonly algorithms?: readonly Algorithm[];
  /** FMT-4: minimum level (default 2). Level 3 needs a `ledger`. */
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
  /** VER-13: record accepted tokens here; L2 tokens then count as L3 (FMT-6). */
  readonly ledger?: Ledger;
  /** LED-7: synchronous append timeout, milliseconds (default 2000). */
  readonly ledgerTimeoutMs?: number;
  /** LED-7: on ledger failure reject (`ECT_LEDGER_UNAVAILABLE`, default) or degrade to L2. */
  readonly ledgerFailure?: 'reject' | 'degrade';
  /**
   * LED-7: `sync` (default) records before `verify` returns (L3 with a receipt, or the failure
   * policy); `async` returns at once at L2 and records in the background with retries, the result's
   * `recording` resolving to the receipt (or `undefined` once `onLedgerFailure` was told).
   */
  readonly ledgerMode?: 'sync' | 'async';
  /** LED-7 async mode: retries after the first failed append (default 3). */
  readonly ledgerRetries?: number;
  /** LED-7 async mode: delay before the first retry, doubled each time, milliseconds (default 250). */
  readonly ledgerRetryDelayMs?: number;
  /** LED-7 async mode: told when a token could finally not be recorded (it counts as L2). */
  readonly onLedgerFailure?: (failure: LedgerFailure) => void;
  /**
   * Check signatures on libuv's thread pool instead of the event loop (default false). Turn it on
   * for servers verifying many tokens at once: they then use every core. See `npm run bench`.
   */
  readonly asyncCrypto?: boolean;
}

/** Options after defaults and checks. */
export interface NormalizedOptions {
  readonly audience: ReadonlySet<string>;
  readonly keys: KeySource | undefined;
  readonly algorithms: ReadonlySet<string>;
  readonly minLevel: Level;
  readonly clockTolerance: number;
  readonly maxIatAge: number;
  readonly rules: ClaimRules;
  readonly maxTokenSize: number;
  readonly now: () => number;
  readonly replay: ReplayStore | undefined;
  readonly dag: (Required<Omit<DagVerifyOptions, 'store'>> & { readonly store: ECTStore }) | undefined;
  readonly ledger: Ledger | undefined;
  readonly ledgerTimeoutMs: number;
  readonly ledgerFailure: 'reject' | 'degrade';
  readonly ledgerMode: 'sync' | 'async';
  readonly retry: RetryPolicy;
  readonly asyncCrypto: boolean;
}

function nonNegative(value: number | undefined, fallback: number, setting: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new ECTConfigError(setting, `must be a non-negative number, got ${String(value)}`);
  return value;
}

function integer(value: number | undefined, fallback: number, setting: string, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min) throw new ECTConfigError(setting, `must be an integer of at least ${min}, got ${String(value)}`);
  return value;
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
  ledger: true,
  ledgerTimeoutMs: true,
  ledgerFailure: true,
  ledgerMode: true,
  ledgerRetries: true,
  ledgerRetryDelayMs: true,
  onLedgerFailure: true,
  asyncCrypto: true,
} as const satisfies Record<keyof VerifyOptions, true>;

const DAG_OPTION_NAMES = {
  store: true,
  partial: true,
  allowCrossWorkflow: true,
  maxAncestors: true,
  checkLevels: true,
} as const satisfies Record<keyof DagVerifyOptions, true>;

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

/** Throws `ECTConfigError` for a member of `given` not in `names`, naming the closest one. */
function rejectUnknownNames(
  given: object,
  names: Readonly<Record<string, true>>,
  path: string,
): void {
  for (const name of Object.keys(given)) {
    if (Object.hasOwn(names, name)) continue;
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
  if (typeof keys === 'object' && keys !== null && typeof (keys as KeySource).resolve === 'function') return keys as KeySource;
  if (typeof keys === 'object' && keys !== null && Array.isArray((keys as JWKSet).keys)) {
    let source = jwkSetSources.get(keys);
    if (source === undefined) {
      source = localJWKSet(keys as JWKSet, { setting: 'options.keys' });
      jwkSetSources.set(keys, source);
    }
    return source;
  }
  throw new ECTConfigError('options.keys', 'expected a KeySource, a JWK Set ({ keys: [...] }) or a resolver function');
}

/** Applies defaults and checks every option. */
export function normalizeOptions(options: VerifyOptions, defaultReplay: () => ReplayStore | undefined): NormalizedOptions {
  if (typeof options !== 'object' || options === null) throw new ECTConfigError('options', 'verification options are required (at least the audience)');
  rejectUnknownNames(options, VERIFY_OPTION_NAMES, 'options');
  if (typeof options.dag === 'object' && options.dag !== null) {
    rejectUnknownNames(options.dag, DAG_OPTION_NAMES, 'options.dag');
  }
  const audienceList = typeof options.audience === 'string' ? [options.audience] : options.audience;
  if (!Array.isArray(audienceList) || audienceList.length === 0 || !audienceList.every((a) => typeof a === 'string' && a.length > 0)) {
    throw new ECTConfigError('options.audience', "the verifier's own identity is required (CLM-2): a non-empty string or list of strings");
  }
  const algorithms = options.algorithms ?? ALGORITHMS;
  if (!Array.isArray(algorithms) || algorithms.length === 0) throw new ECTConfigError('options.algorithms', 'must be a non-empty list');
  for (const alg of algorithms) {
    if (!isAlgorithm(alg)) throw new ECTConfigError('options.algorithms', `${JSON.stringify(alg)} cannot be allowed; choose from ${ALGORITHMS.join(', ')} (none and HS* never, HDR-2)`);
  }
  const minLevel = options.minLevel ?? DEFAULT_MIN_LEVEL;
  if (minLevel !== 1 && minLevel !== 2 && minLevel !== 3) throw new ECTConfigError('options.minLevel', 'must be 1, 2 or 3');
  if (minLevel === 3 && options.ledger === undefined) throw new ECTConfigError('options.minLevel', 'level 3 needs a ledger to record tokens in (FMT-6)');
  // Without keys no signature can be checked: from level 2 up, every token would be refused.
  if (minLevel >= 2 && options.keys === undefined) {
    const message = `no key source: a verifier with minimum level ${minLevel} could never accept a `
      + 'signed token; give keys (a JWK Set, a KeySource or a resolver), or minLevel 1';
    throw new ECTConfigError('options.keys', message);
  }
  const clockTolerance = nonNegative(options.clockTolerance, DEFAULT_CLOCK_TOLERANCE, 'options.clockTolerance');
  const now = options.now;
  let clock: () => number;
  if (now === undefined) clock = () => Date.now() / 1000;
  else if (typeof now === 'function') clock = now;
  else clock = () => nonNegative(now, 0, 'options.now');
  if (typeof now === 'number') nonNegative(now, 0, 'options.now');
  const ledgerFailure = options.ledgerFailure ?? 'reject';
  if (ledgerFailure !== 'reject' && ledgerFailure !== 'degrade') throw new ECTConfigError('options.ledgerFailure', 'must be "reject" or "degrade"');
  const ledgerMode = options.ledgerMode ?? 'sync';
  if (ledgerMode !== 'sync' && ledgerMode !== 'async') throw new ECTConfigError('options.ledgerMode', 'must be "sync" or "async"');
  if (ledgerMode === 'async') {
    if (minLevel === 3) throw new ECTConfigError('options.ledgerMode', 'minimum level 3 needs each token recorded before it is accepted: use the sync mode');
    // A successor may arrive before its predecessor is recorded: the DAG needs a store of its own.
    if (options.dag !== undefined && (options.dag.store === undefined || options.dag.store === options.ledger)) {
      throw new ECTConfigError('options.dag.store', 'with ledgerMode "async" the ledger cannot be the DAG store (tasks are recorded later); give a store such as MemoryECTStore');
    }
  }

  let dag: NormalizedOptions['dag'];
  if (options.dag !== undefined) {
    const store = options.dag.store ?? options.ledger;
    if (store === undefined) throw new ECTConfigError('options.dag.store', 'DAG validation needs a store of accepted ECTs (or a ledger)');
    dag = {
      store,
      partial: options.dag.partial ?? false,
      allowCrossWorkflow: options.dag.allowCrossWorkflow ?? false,
      maxAncestors: integer(options.dag.maxAncestors, DEFAULT_MAX_ANCESTORS, 'options.dag.maxAncestors', 1),
      checkLevels: options.dag.checkLevels ?? true,
    };
  }
  return {
    audience: new Set(audienceList),
    keys: keySource(options.keys),
    algorithms: new Set(algorithms),
    minLevel,
    clockTolerance,
    maxIatAge: nonNegative(options.maxIatAge, DEFAULT_MAX_IAT_AGE, 'options.maxIatAge'),
    rules: {
      requireUuid: options.requireUuid ?? DEFAULT_CLAIM_RULES.requireUuid,
      maxPred: integer(options.maxPred, DEFAULT_CLAIM_RULES.maxPred, 'options.maxPred', 0),
      maxExecActLength: integer(options.maxExecActLength, DEFAULT_CLAIM_RULES.maxExecActLength, 'options.maxExecActLength', 1),
      acceptLegacy: options.acceptLegacy ?? false,
    },
    maxTokenSize: integer(options.maxTokenSize, DEFAULT_MAX_TOKEN_SIZE, 'options.maxTokenSize', 1),
    now: clock,
    replay: options.replay === false ? undefined : (options.replay ?? defaultReplay()),
    dag,
    ledger: options.ledger,
    ledgerTimeoutMs: integer(options.ledgerTimeoutMs, DEFAULT_LEDGER_TIMEOUT_MS, 'options.ledgerTimeoutMs', 1),
    ledgerFailure,
    ledgerMode,
    retry: {
      retries: integer(options.ledgerRetries, DEFAULT_LEDGER_RETRIES, 'options.ledgerRetries', 0),
      delayMs: integer(options.ledgerRetryDelayMs, DEFAULT_LEDGER_RETRY_DELAY_MS, 'options.ledgerRetryDelayMs', 0),
      timeoutMs: integer(options.ledgerTimeoutMs, DEFAULT_LEDGER_TIMEOUT_MS, 'options.ledgerTimeoutMs', 1),
      onFailure: options.onLedgerFailure,
    },
    asyncCrypto: options.asyncCrypto ?? false,
  };
}
