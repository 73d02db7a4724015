/**
 * The verification procedure of profile section 5, steps VER-1 to VER-13, in that order. The first
 * failing step ends verification with its code; nothing is recorded (replay cache, store, ledger)
 * for a token that failed an earlier step. The JWS is checked by the library's one JWS
 * verification (src/crypto/verify-jws.ts), the claims by its one claims validation
 * (src/format/claims.ts), and the level is decided by src/verify/level.ts.
 * @module
 */
import { verifyJWS, type JWSFailure, type VerifiedJWS } from '../crypto/verify-jws.js';
import type { DagNode, WritableECTStore } from '../dag/store.js';
import { validateDag } from '../dag/validate.js';
import { ECTConfigError, ECTError, type ECTErrorCode } from '../errors.js';
import { checkClaims, checkExpectations, type ValidatedClaims } from '../format/claims.js';
import { parseToken, type ParsedJWS } from '../format/parse.js';
import { taskKey } from '../format/task-key.js';
import type { ECTClaims, ECTHeader, Level } from '../format/types.js';
import { issuerMatches, type ResolvedKey, type VerifyContext } from '../identity/key-source.js';
import type { Receipt } from '../ledger/types.js';
import { MemoryReplayStore } from '../replay/memory.js';
import type { ReplayStore } from '../replay/store.js';
import { JWS_CHECK_CODES } from './header.js';
import { levelOf, reachesMinimum, type Recording } from './level.js';
import { normalizeOptions, type NormalizedOptions, type VerifyOptions } from './options.js';
import { appendWithTimeout, recordInBackground } from './recording.js';

/**
 * A verified ECT.
 *
 * @example
 * ```ts
 * import { createECT, createVerifier, generateKeyPair, type VerifiedECT } from 'wimse-ect';
 *
 * const key = generateKeyPair();
 * const verifier = createVerifier({ audience: 'b', keys: { keys: [key.publicJwk] } });
 * const input = { iss: 'spiffe://example.org/a', aud: 'b', exec_act: 'x' };
 * const verified: VerifiedECT = await verifier.verify(createECT(input, { key: key.privateJwk }));
 * // 2, the key's kid, x, no receipt (no ledger)
 * console.log(verified.level, verified.header?.kid, verified.claims.exec_act, verified.receipt);
 * ```
 */
export interface VerifiedECT {
  /** 1, 2, or 3 when the verifier recorded the token in its ledger (FMT-6). */
  readonly level: Level;
  /** The JOSE header (`null` for L1). */
  readonly header: ECTHeader | null;
  readonly claims: ECTClaims;
  /** -00 claim names were read (CLM-13). */
  readonly legacy: boolean;
  /** DAG-2 partial validation: predecessors that are not (yet) known. */
  readonly missingPredecessors: readonly string[];
  /** VER-13: the ledger's receipt (LED-5). */
  readonly receipt?: Receipt;
  /** LED-7 degrade policy: why the token counts as L2 although a ledger is configured. */
  readonly ledgerDegraded?: string;
  /** LED-7 async mode: the background append; its receipt, or `undefined` when it finally failed. */
  readonly recording?: Promise<Receipt | undefined>;
}

/**
 * A verifier built once from options (keys imported, defaults applied, its own replay cache).
 *
 * @example
 * ```ts
 * import { createECT, createVerifier, generateKeyPair, hashBytes, type Verifier } from 'wimse-ect';
 *
 * const key = generateKeyPair();
 * const verifier: Verifier = createVerifier({ audience: 'b', keys: { keys: [key.publicJwk] } });
 * const body = 'the request body';
 * const input = {
 *   iss: 'spiffe://example.org/a',
 *   aud: 'b',
 *   exec_act: 'x',
 *   out_hash: hashBytes(body),
 * };
 * // HTTP-4: the token must carry the hash of the body it came with.
 * await verifier.verify(createECT(input, { key: key.privateJwk }), {
 *   expect: { out_hash: hashBytes(body) },
 * });
 * ```
 */
export interface Verifier {
  /**
   * Verifies one token; throws `ECTError` with a section 11 code. `context` carries what travels
   * beside the token (the WIT of IDB-3) and the claim values the caller expects (`expect`, the
   * body's `out_hash` of HTTP-4), checked after VER-10 and before anything is recorded.
   */
  verify(token: string, context?: VerifyContext): Promise<VerifiedECT>;
}

/** What is known about a token when a step fails. */
interface Known {
  readonly level: Level;
  readonly header: Record<string, unknown> | null;
  readonly claims: Record<string, unknown>;
  readonly legacy?: boolean;
}

function isWritable(store: unknown): store is WritableECTStore {
  return typeof (store as WritableECTStore).add === 'function';
}

/**
 * Attaches what is known about the token to an error raised in a later step (claims the error
 * already carries, the validated ones, are kept).
 */
function within(error: unknown, known: Known, fallback: ECTErrorCode): ECTError {
  const base =
    error instanceof ECTError
      ? error
      : new ECTError(fallback, (error as Error)?.message ?? String(error), { cause: error });
  return base.withContext({
    level: known.level,
    ...(known.header ? { header: known.header } : {}),
    claims: base.claims ?? known.claims,
    ...(known.legacy === undefined ? {} : { legacy: known.legacy }),
  });
}

/** What the key lookup and the failures of VER-4 to VER-6 need of one token. */
interface SignedRequest {
  readonly parsed: ParsedJWS;
  readonly options: NormalizedOptions;
  readonly now: number;
  readonly context: VerifyContext;
  readonly known: Known;
}

/** VER-5: the key of the identity binding, for the header's (allowed) algorithm. */
function resolveKey(alg: string, request: SignedRequest): ResolvedKey | Promise<ResolvedKey> {
  const { parsed, options, now, context } = request;
  if (options.keys === undefined) {
    throw new ECTError('ECT_KEY_UNRESOLVED', 'this verifier has no trusted keys for signed tokens');
  }
  return options.keys.resolve({ header: parsed.header, claims: parsed.payload, alg, now, context });
}

/** VER-4 to VER-6 failures as section 11 codes; a key source's own error keeps its code. */
function jwsError(failure: JWSFailure, request: SignedRequest): ECTError {
  const { known } = request;
  if (failure.cause !== undefined) return within(failure.cause, known, 'ECT_KEY_UNRESOLVED');
  const message =
    failure.check === 'signature'
      ? 'the signature does not verify with the key of this issuer'
      : failure.message;
  const member = failure.member === undefined ? {} : { member: failure.member };
  return new ECTError(JWS_CHECK_CODES[failure.check], message, { ...known, ...member });
}

/** VER-4 to VER-6: the header, the key of the identity binding (VER-5), the signature. */
function verifySigned(request: SignedRequest): ResolvedKey | Promise<ResolvedKey> {
  const verified = verifyJWS({
    jws: request.parsed,
    rules: request.options.headerRules,
    context: request,
    key: resolveKey,
    fail: jwsError,
    threadPool: request.options.asyncCrypto,
  });
  return verified instanceof Promise ? verified.then(keyOf) : verified.key;
}

function keyOf(verified: VerifiedJWS<ResolvedKey>): ResolvedKey {
  return verified.key;
}

/** Runs the procedure with normalized options. */
export async function runVerification(
  token: string,
  options: NormalizedOptions,
  context: VerifyContext = {},
): Promise<VerifiedECT> {
  // A mistake of the caller, not of the token: before anything else.
  const expect =
    context.expect === undefined ? undefined : checkExpectations(context.expect, 'context.expect');
  // VER-1 (FMT-5): size, before any decoding. Length first: UTF-8 is never shorter than UTF-16 units.
  if (typeof token !== 'string') throw new ECTError('ECT_MALFORMED', 'the token must be a string');
  if (
    token.length > options.maxTokenSize ||
    Buffer.byteLength(token, 'utf8') > options.maxTokenSize
  ) {
    throw new ECTError('ECT_TOO_LARGE', `the token is larger than ${options.maxTokenSize} bytes`);
  }
  // VER-2 (FMT-3, CLM-12)
  const parsed = parseToken(token);
  const header = parsed.level === 2 ? parsed.header : null;
  const partial: Known = { level: parsed.level, header, claims: parsed.payload };
  const record = options.record;
  // VER-3 (FMT-4): anti-downgrade. An L2 token satisfies minimum 3 through the ledger (FMT-6).
  const records = record?.mode === 'sync';
  if (!reachesMinimum({ wire: parsed.level, minLevel: options.minLevel, records })) {
    const message = `a level ${parsed.level} token is below this verifier's minimum level ${options.minLevel}`;
    throw new ECTError('ECT_LEVEL_TOO_LOW', message, partial);
  }
  const now = options.now();
  // VER-4, VER-5, VER-6
  let issuers: ResolvedKey['issuers'];
  if (parsed.level === 2) {
    const signed = verifySigned({ parsed, options, now, context, known: partial });
    ({ issuers } = signed instanceof Promise ? await signed : signed);
  }
  // VER-8's verdict on the claimed iss, reported after VER-7 has checked that iss is a string.
  const iss = parsed.payload['iss'];
  const issuerBound =
    issuers === undefined || typeof iss !== 'string' ? undefined : issuerMatches(iss, issuers);
  // VER-7 to VER-10, then the caller's expectations (HTTP-4)
  let validated: ValidatedClaims;
  try {
    validated = checkClaims(parsed.payload, {
      rules: options.rules,
      issuerBound,
      audience: options.audience,
      time: { now, clockTolerance: options.clockTolerance, maxIatAge: options.maxIatAge },
      expect,
    });
  } catch (error) {
    throw within(error, partial, 'ECT_CLAIM_INVALID');
  }
  const { claims, legacy } = validated;
  const tolerance = options.clockTolerance;
  const known: Known = { level: parsed.level, header, claims, legacy };
  // The level the ledger entry gets: the token counts as L3 once a ledger holds it (FMT-6).
  const entryLevel = levelOf(parsed.level, record === undefined ? 'none' : 'recorded');
  const node: DagNode = {
    jti: claims.jti,
    wid: claims.wid,
    iat: claims.iat,
    pred: claims.pred,
    level: entryLevel,
    iss: claims.iss,
    exec_act: claims.exec_act,
  };
  // VER-11
  let missingPredecessors: readonly string[] = [];
  const dag = options.dag;
  if (dag !== undefined) {
    try {
      ({ missing: missingPredecessors } = await validateDag(node, {
        store: dag.store,
        partial: dag.partial,
        allowCrossWorkflow: dag.allowCrossWorkflow,
        maxAncestors: dag.maxAncestors,
        clockTolerance: tolerance,
        minPredecessorLevel: dag.checkLevels ? options.minLevel : undefined,
      }));
    } catch (error) {
      throw within(error, known, 'ECT_DAG_PREDECESSOR_UNKNOWN');
    }
  }
  // VER-12 (RPL-1, RPL-2): the entry lives until exp + tolerance.
  if (options.replay !== undefined) {
    let fresh: boolean;
    try {
      fresh = await options.replay.checkAndRecord(
        taskKey(claims.jti, claims.wid),
        claims.exp + tolerance,
        now,
      );
    } catch (error) {
      const cause =
        error instanceof ECTError
          ? error
          : new ECTError(
              'ECT_REPLAY_STORE_UNAVAILABLE',
              `the replay cache cannot be reached: ${(error as Error)?.message ?? String(error)}`,
              { cause: error },
            );
      throw within(cause, known, 'ECT_REPLAY_STORE_UNAVAILABLE');
    }
    if (!fresh)
      throw new ECTError('ECT_REPLAY', `task ${claims.jti} was already presented`, {
        ...known,
        member: 'jti',
      });
  }
  // VER-13 (FMT-6, LED-7)
  let receipt: Receipt | undefined;
  let recording: Promise<Receipt | undefined> | undefined;
  let ledgerDegraded: string | undefined;
  let outcome: Recording = 'none';
  if (record?.mode === 'async') {
    // Accepted now at its own level; it becomes L3 when the background append succeeds.
    recording = recordInBackground(record.ledger, token, claims, entryLevel, record.retry);
    outcome = 'pending';
  } else if (record !== undefined) {
    try {
      receipt = await appendWithTimeout(record.ledger, token, entryLevel, record.timeoutMs);
      outcome = 'recorded';
    } catch (error) {
      const failure = within(error, known, 'ECT_LEDGER_UNAVAILABLE');
      const degradable = failure.code === 'ECT_LEDGER_UNAVAILABLE' && record.failure === 'degrade';
      const minLevel = options.minLevel;
      if (!degradable || !reachesMinimum({ wire: parsed.level, minLevel, records: false })) {
        // The token is rejected: undo its replay record, or a retry after the outage would be
        // refused as a replay. Best effort: if the cache is down too, the entry expires with exp.
        await options.replay?.forget?.(taskKey(claims.jti, claims.wid)).catch(() => undefined);
        throw failure;
      }
      ledgerDegraded = failure.message;
      outcome = 'degraded';
    }
  }
  const level = levelOf(parsed.level, outcome);
  if (dag !== undefined && dag.store !== record?.ledger && isWritable(dag.store)) {
    try {
      // The level the token got: 2, not 3, when the ledger failed or records later (LED-7).
      await dag.store.add(level === node.level ? node : { ...node, level });
    } catch (error) {
      throw within(error, known, 'ECT_DAG_DUPLICATE');
    }
  }
  return {
    level,
    header: header as ECTHeader | null,
    claims,
    legacy,
    missingPredecessors,
    ...(receipt === undefined ? {} : { receipt }),
    ...(recording === undefined ? {} : { recording }),
    ...(ledgerDegraded === undefined ? {} : { ledgerDegraded }),
  };
}

/**
 * Builds a verifier: options are checked and keys imported once. Without a `replay` option the
 * verifier keeps its own bounded in-memory replay cache (RPL-1); pass `replay: false` to turn
 * replay protection off.
 *
 * @example
 * ```ts
 * import { createECT, createVerifier, ECTError, generateKeyPair } from 'wimse-ect';
 *
 * const agentA = generateKeyPair();
 * // Once per service: options checked, keys imported, a replay cache of its own.
 * const verifier = createVerifier({
 *   audience: 'spiffe://example.org/agent-b',
 *   keys: { keys: [agentA.publicJwk] },
 * });
 * const token = createECT(
 *   {
 *     iss: 'spiffe://example.org/agent-a',
 *     aud: 'spiffe://example.org/agent-b',
 *     exec_act: 'review',
 *   },
 *   { key: agentA.privateJwk },
 * );
 * const { level, claims } = await verifier.verify(token);
 * await verifier.verify(token).catch((error: ECTError) => console.log(error.code)); // ECT_REPLAY
 * ```
 */
export function createVerifier(options: VerifyOptions): Verifier {
  const normalized = normalizeOptions(options, () => new MemoryReplayStore());
  return {
    verify: (token: string, context?: VerifyContext) => runVerification(token, normalized, context),
  };
}

/**
 * Options of the one-shot `verifyECT`: those of `createVerifier`, with `replay` required. Nothing
 * is remembered between two calls, so the caller says where replays are caught: a shared store
 * (`new MemoryReplayStore()` kept by the caller, or Redis), or `false` for no replay protection.
 *
 * @example
 * ```ts
 * import { createECT, verifyECT, type OneShotVerifyOptions } from 'wimse-ect';
 *
 * // L1 only (inside one trust boundary), no replay protection: both said explicitly.
 * const options: OneShotVerifyOptions = { audience: 'b', minLevel: 1, replay: false };
 * const token = createECT(
 *   { iss: 'spiffe://example.org/a', aud: 'b', exec_act: 'x' },
 *   { level: 1 },
 * );
 * console.log((await verifyECT(token, options)).level); // 1
 * ```
 */
export type OneShotVerifyOptions = VerifyOptions & {
  /** VER-12: a replay store kept between calls, or `false` (no replay protection). */
  readonly replay: ReplayStore | false;
};

/**
 * Verifies one token (profile section 5). One-shot: the options are checked on every call and
 * nothing is remembered between calls, so `replay` is required — a store shared by the calls, or
 * `false` to opt out of replay protection; without it the call throws `ECTConfigError` (setting
 * `options.replay`). Services should build a verifier once with `createVerifier`.
 *
 * @example
 * ```ts
 * import { createECT, generateKeyPair, verifyECT } from 'wimse-ect';
 *
 * const key = generateKeyPair();
 * const token = createECT(
 *   { iss: 'spiffe://example.org/a', aud: 'spiffe://example.org/b', exec_act: 'review_spec' },
 *   { key: key.privateJwk },
 * );
 * const { level } = await verifyECT(token, {
 *   audience: 'spiffe://example.org/b',
 *   keys: { keys: [key.publicJwk] },
 *   replay: false, // one check, no replay protection: say so
 * });
 * ```
 */
export async function verifyECT(
  token: string,
  options: OneShotVerifyOptions,
  context?: VerifyContext,
): Promise<VerifiedECT> {
  // Not an object at all: normalizeOptions names that.
  if (typeof options === 'object' && options !== null && options.replay === undefined) {
    const message =
      'verifyECT remembers nothing between calls: pass a replay store shared by the ' +
      'calls (replay: new MemoryReplayStore()), or replay: false to verify without replay ' +
      'protection; services build one verifier with createVerifier';
    throw new ECTConfigError('options.replay', message);
  }
  return runVerification(
    token,
    normalizeOptions(options, () => undefined),
    context,
  );
}
