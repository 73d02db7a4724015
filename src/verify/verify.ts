/**
 * The verification procedure of profile section 5, steps VER-1 to VER-13, in that order. The first
 * failing step ends verification with its code; nothing is recorded (replay cache, store, ledger)
 * for a token that failed an earlier step.
 * @module
 */
import { verifySignature, verifySignatureAsync } from '../crypto/jws.js';
import { keyFitsAlgorithm } from '../crypto/keys.js';
import type { DagNode, WritableECTStore } from '../dag/store.js';
import { validateDag } from '../dag/validate.js';
import { ECTConfigError, ECTError, type ECTErrorCode } from '../errors.js';
import { validateClaims } from '../format/claims.js';
import { parseToken, type ParsedToken } from '../format/parse.js';
import { taskKey } from '../format/task-key.js';
import type { ECTClaims, ECTHeader, Level } from '../format/types.js';
import { issuerMatches, type ResolvedKey, type VerifyContext } from '../identity/key-source.js';
import type { Receipt } from '../ledger/types.js';
import { MemoryReplayStore } from '../replay/memory.js';
import type { ReplayStore } from '../replay/store.js';
import { checkHeader } from './header.js';
import { normalizeOptions, type NormalizedOptions, type VerifyOptions } from './options.js';
import { appendWithTimeout, recordInBackground } from './recording.js';

/** A verified ECT. */
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

/** A verifier built once from options (keys imported, defaults applied, its own replay cache). */
export interface Verifier {
  /** Verifies one token; throws `ECTError` with a section 11 code. */
  verify(token: string, context?: VerifyContext): Promise<VerifiedECT>;
  readonly options: NormalizedOptions;
}

function isWritable(store: unknown): store is WritableECTStore {
  return typeof (store as WritableECTStore).add === 'function';
}

/** Attaches what is known about the token to an error raised in a later step. */
function within(error: unknown, context: { level: Level; header: Record<string, unknown> | null; claims: Record<string, unknown>; legacy?: boolean }, fallback: ECTErrorCode): ECTError {
  const base = error instanceof ECTError ? error : new ECTError(fallback, (error as Error)?.message ?? String(error), { cause: error });
  return base.withContext({ level: context.level, ...(context.header ? { header: context.header } : {}), claims: context.claims, ...(context.legacy === undefined ? {} : { legacy: context.legacy }) });
}

async function resolveKey(parsed: Extract<ParsedToken, { level: 2 }>, alg: string, options: NormalizedOptions, now: number, context: VerifyContext): Promise<ResolvedKey> {
  if (options.keys === undefined) throw new ECTError('ECT_KEY_UNRESOLVED', 'this verifier has no trusted keys for signed tokens');
  const resolved = await options.keys.resolve({ header: parsed.header, claims: parsed.payload, alg, now, context });
  // HDR-2: whatever the source returned, the key must fit the header's algorithm.
  if (!keyFitsAlgorithm(resolved.key, alg as never)) throw new ECTError('ECT_KEY_UNRESOLVED', `the resolved key does not fit ${alg}`, { member: 'alg' });
  return resolved;
}


/** Runs the procedure with normalized options. */
export async function runVerification(token: string, options: NormalizedOptions, context: VerifyContext = {}): Promise<VerifiedECT> {
  // VER-1 (FMT-5): size, before any decoding. Length first: UTF-8 is never shorter than UTF-16 units.
  if (typeof token !== 'string') throw new ECTError('ECT_MALFORMED', 'the token must be a string');
  if (token.length > options.maxTokenSize || Buffer.byteLength(token, 'utf8') > options.maxTokenSize) {
    throw new ECTError('ECT_TOO_LARGE', `the token is larger than ${options.maxTokenSize} bytes`);
  }
  // VER-2 (FMT-3, CLM-12)
  const parsed = parseToken(token);
  const header = parsed.level === 2 ? parsed.header : null;
  const partial = { level: parsed.level, header, claims: parsed.payload } as const;
  // VER-3 (FMT-4): anti-downgrade. An L2 token satisfies minimum 3 through the ledger (FMT-6).
  if (parsed.level < options.minLevel && !(parsed.level === 2 && options.ledger !== undefined)) {
    throw new ECTError('ECT_LEVEL_TOO_LOW', `a level ${parsed.level} token is below this verifier's minimum level ${options.minLevel}`, partial);
  }
  const now = options.now();
  let resolved: ResolvedKey | undefined;
  if (parsed.level === 2) {
    // VER-4
    let alg: string;
    try {
      alg = checkHeader(parsed.header, options.algorithms);
    } catch (error) {
      throw within(error, partial, 'ECT_MALFORMED');
    }
    // VER-5
    try {
      resolved = await resolveKey(parsed, alg, options, now, context);
    } catch (error) {
      throw within(error, partial, 'ECT_KEY_UNRESOLVED');
    }
    // VER-6
    const valid = options.asyncCrypto
      ? await verifySignatureAsync(alg as never, resolved.key, parsed.signingInput, parsed.signature)
      : verifySignature(alg as never, resolved.key, parsed.signingInput, parsed.signature);
    if (!valid) {
      throw new ECTError('ECT_SIGNATURE_INVALID', 'the signature does not verify with the key of this issuer', partial);
    }
  }
  // VER-7
  let claims: ECTClaims;
  let legacy: boolean;
  try {
    ({ claims, legacy } = validateClaims(parsed.payload, options.rules));
  } catch (error) {
    throw within(error, partial, 'ECT_CLAIM_INVALID');
  }
  const known = { level: parsed.level, header, claims, legacy } as const;
  // VER-8: the key speaks only for the issuers it is bound to.
  if (resolved?.issuers !== undefined && !issuerMatches(claims.iss, resolved.issuers)) {
    throw new ECTError('ECT_ISSUER_MISMATCH', `the key is not bound to issuer ${claims.iss}`, { ...known, member: 'iss' });
  }
  // VER-9 (CLM-2)
  const aud = claims.aud;
  const audienceOk = typeof aud === 'string' ? options.audience.has(aud) : aud.some((a) => options.audience.has(a));
  if (!audienceOk) throw new ECTError('ECT_AUDIENCE_MISMATCH', `this verifier (${[...options.audience].join(', ')}) is not in the token's audience`, { ...known, member: 'aud' });
  // VER-10 (CLM-3, CLM-4)
  const tolerance = options.clockTolerance;
  if (now > claims.exp + tolerance) throw new ECTError('ECT_EXPIRED', `the token expired at ${claims.exp}`, { ...known, member: 'exp' });
  if (claims.iat > now + tolerance) throw new ECTError('ECT_IAT_FUTURE', `the token is issued in the future (iat ${claims.iat})`, { ...known, member: 'iat' });
  if (options.maxIatAge > 0 && now - claims.iat > options.maxIatAge + tolerance) {
    throw new ECTError('ECT_IAT_TOO_OLD', `the token was issued more than ${options.maxIatAge} s ago`, { ...known, member: 'iat' });
  }
  const recordedLevel: Level = parsed.level === 2 && options.ledger !== undefined ? 3 : parsed.level;
  const node: DagNode = { jti: claims.jti, wid: claims.wid, iat: claims.iat, pred: claims.pred, level: recordedLevel, iss: claims.iss, exec_act: claims.exec_act };
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
      fresh = await options.replay.checkAndRecord(taskKey(claims.jti, claims.wid), claims.exp + tolerance, now);
    } catch (error) {
      const cause = error instanceof ECTError ? error : new ECTError('ECT_REPLAY_STORE_UNAVAILABLE', `the replay cache cannot be reached: ${(error as Error)?.message ?? String(error)}`, { cause: error });
      throw within(cause, known, 'ECT_REPLAY_STORE_UNAVAILABLE');
    }
    if (!fresh) throw new ECTError('ECT_REPLAY', `task ${claims.jti} was already presented`, { ...known, member: 'jti' });
  }
  // VER-13 (FMT-6, LED-7)
  let receipt: Receipt | undefined;
  let recording: Promise<Receipt | undefined> | undefined;
  let ledgerDegraded: string | undefined;
  let level: Level = parsed.level;
  if (options.ledger !== undefined && options.ledgerMode === 'async') {
    // Accepted now at its own level; it becomes L3 when the background append succeeds.
    recording = recordInBackground(options.ledger, token, claims, recordedLevel, options.retry);
  } else if (options.ledger !== undefined) {
    try {
      receipt = await appendWithTimeout(options.ledger, token, recordedLevel, options.ledgerTimeoutMs);
      level = recordedLevel;
    } catch (error) {
      const failure = within(error, known, 'ECT_LEDGER_UNAVAILABLE');
      if (failure.code !== 'ECT_LEDGER_UNAVAILABLE' || options.ledgerFailure === 'reject' || options.minLevel === 3) {
        // The token is rejected: undo its replay record, or a retry after the outage would be
        // refused as a replay. Best effort: if the cache is down too, the entry expires with exp.
        await options.replay?.forget?.(taskKey(claims.jti, claims.wid)).catch(() => undefined);
        throw failure;
      }
      ledgerDegraded = failure.message;
    }
  }
  if (dag !== undefined && dag.store !== options.ledger && isWritable(dag.store)) {
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
 */
export function createVerifier(options: VerifyOptions): Verifier {
  const normalized = normalizeOptions(options, () => new MemoryReplayStore());
  return { options: normalized, verify: (token: string, context?: VerifyContext) => runVerification(token, normalized, context) };
}

/**
 * Options of the one-shot `verifyECT`: those of `createVerifier`, with `replay` required. Nothing
 * is remembered between two calls, so the caller says where replays are caught: a shared store
 * (`new MemoryReplayStore()` kept by the caller, or Redis), or `false` for no replay protection.
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
    const message = 'verifyECT remembers nothing between calls: pass a replay store shared by the '
      + 'calls (replay: new MemoryReplayStore()), or replay: false to verify without replay '
      + 'protection; services build one verifier with createVerifier';
    throw new ECTConfigError('options.replay', message);
  }
  return runVerification(token, normalizeOptions(options, () => undefined), context);
}
