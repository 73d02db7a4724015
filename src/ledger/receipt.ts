/**
 * Ledger receipts (LED-5): a JWS (`typ` `ect-receipt+jwt`) signed by the ledger's key over the
 * sequence number, `jti`, `wid`, level, the token's SHA-256, the entry's leaf hash and its
 * inclusion proof against the batch's signed checkpoint (a C2SP tlog-proof, LED-9). Anyone with
 * the ledger's public key checks one offline with `verifyReceipt`: the JWS, the checkpoint's
 * signature and the Merkle path to its root.
 * @module
 */
import type { KeyObject } from 'node:crypto';
import { ALGORITHMS, type Algorithm } from '../crypto/algorithms.js';
import { signCompact, signCompactAsync } from '../crypto/jws.js';
import { encodeBase64url } from '../format/base64url.js';
import { importPublicKey, keyFitsAlgorithm, type KeyInput } from '../crypto/keys.js';
import { verifyJWS, type JWSFailure, type JWSHeaderRules } from '../crypto/verify-jws.js';
import { ECTConfigError } from '../errors.js';
import { parseToken } from '../format/parse.js';
import { TlogError } from '../tlog/errors.js';
import { decodeBase64Std, ed25519VerifierKey, type NoteVerifier } from '../tlog/note.js';
import { parseTlogProof } from '../tlog/proof-file.js';
import { verifyInclusion } from '../tlog/verify-proof.js';
import { ledgerVerifier, openCheckpoint, type VerifiedCheckpoint } from './checkpoints.js';
import { entryLeafHash } from './entry.js';
import type { Receipt } from './types.js';

/**
 * The `typ` of a receipt.
 *
 * @example
 * ```ts
 * import { parseToken, RECEIPT_TYP } from 'wimse-ect';
 *
 * function isReceipt(jws: string): boolean {
 *   const parsed = parseToken(jws);
 *   return parsed.level === 2 && parsed.header['typ'] === RECEIPT_TYP;
 * }
 * ```
 */
export const RECEIPT_TYP = 'ect-receipt+jwt';

/** The ledger's receipt signing key. */
export interface ReceiptSigner {
  readonly key: KeyObject;
  readonly alg: Algorithm;
  readonly kid: string;
  /** The ledger's identity, the receipt's `iss`. */
  readonly issuer: string;
  /** The encoded protected header, built once. */
  readonly encodedHeader: string;
}

/** Builds a signer from key material, checking that the key fits. */
export function receiptSigner(options: {
  readonly key: KeyObject;
  readonly alg: Algorithm;
  readonly kid: string;
  readonly issuer: string;
}): ReceiptSigner {
  if (!keyFitsAlgorithm(options.key, options.alg)) {
    throw new ECTConfigError('ledger receipt key', `the key does not fit ${options.alg}`);
  }
  const header = { alg: options.alg, typ: RECEIPT_TYP, kid: options.kid };
  return { ...options, encodedHeader: encodeBase64url(JSON.stringify(header)) };
}

/** The claims of a receipt's JWS (LED-5). */
export function receiptClaims(options: {
  readonly receipt: Omit<Receipt, 'jws'>;
  readonly signer: ReceiptSigner;
}): Record<string, unknown> {
  const { receipt, signer } = options;
  const claims: Record<string, unknown> = {
    iss: signer.issuer,
    iat: Math.floor(receipt.recordedAt / 1000),
    seq: receipt.seq,
    jti: receipt.jti,
    level: receipt.level,
    recorded_at: receipt.recordedAt,
    token_hash: receipt.tokenHash,
    leaf_hash: receipt.leafHash,
    proof: receipt.proof,
  };
  if (receipt.wid !== undefined) claims['wid'] = receipt.wid;
  return claims;
}

/** The receipt JWS over `claims`, signed in this thread. */
export function signReceiptClaims(options: {
  readonly signer: ReceiptSigner;
  readonly claims: Record<string, unknown>;
}): string {
  const { signer, claims } = options;
  return signCompact(signer.encodedHeader, claims, signer.key, signer.alg);
}

/**
 * Signs a receipt (LED-5) and returns it with its `jws`. The signature is made on the thread pool:
 * a ledger signs one receipt per append, and the verifications go on meanwhile.
 */
export async function signReceipt(options: {
  readonly receipt: Omit<Receipt, 'jws'>;
  readonly signer: ReceiptSigner;
}): Promise<Receipt> {
  const { receipt, signer } = options;
  const claims = receiptClaims(options);
  return {
    ...receipt,
    jws: await signCompactAsync(signer.encodedHeader, claims, signer.key, signer.alg),
  };
}

/**
 * Thrown when a receipt does not verify.
 *
 * @example
 * ```ts
 * import { ReceiptError, verifyReceipt } from 'wimse-ect';
 *
 * try {
 *   verifyReceipt({
 *     jws: 'eyJ.eyJ.sig',
 *     key: { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' },
 *   });
 * } catch (error) {
 *   // ECT_RECEIPT_INVALID, and what is wrong
 *   if (error instanceof ReceiptError) console.log(error.code, error.message);
 * }
 * ```
 */
export class ReceiptError extends Error {
  override readonly name = 'ReceiptError';
  readonly code = 'ECT_RECEIPT_INVALID' as const;
}

// A receipt's header: exactly the typ the ledger signs (no media-type variants), any algorithm
// of the profile (the key binds it, HDR-2), no crit, no b64: false.
const RECEIPT_HEADER_RULES: JWSHeaderRules = {
  typName: RECEIPT_TYP,
  typ: (typ: unknown): boolean => typ === RECEIPT_TYP,
  algorithms: new Set(ALGORITHMS),
};

/** The ledger's public key as the caller gave it (JWK, PEM or KeyObject), imported once. */
function receiptKey(_alg: Algorithm, input: KeyInput): { key: KeyObject } {
  return { key: importPublicKey(input, 'receipt key') };
}

/** A JWS failure of a receipt as a `ReceiptError`; an unusable key stays a configuration error. */
function receiptFailure(failure: JWSFailure): Error {
  if (failure.cause instanceof ECTConfigError) return failure.cause;
  if (failure.check === 'signature') return new ReceiptError('the receipt signature is invalid');
  if (failure.check === 'key') {
    return new ReceiptError(`${failure.message}, the receipt's algorithm`);
  }
  return new ReceiptError(`the receipt's header: ${failure.message}`);
}

/**
 * A verified receipt: its contents and the checkpoint it is proven against.
 *
 * @example
 * ```ts
 * import {
 *   createECT,
 *   generateKeyPair,
 *   Ledger,
 *   verifyReceipt,
 *   type VerifiedReceipt,
 * } from 'wimse-ect';
 *
 * const ledgerKey = generateKeyPair({ alg: 'EdDSA' });
 * const ledger = await Ledger.open({
 *   key: ledgerKey.privateJwk,
 *   origin: 'example.org/ect-ledger',
 * });
 * const token = createECT(
 *   { iss: 'spiffe://example.org/a', aud: 'b', exec_act: 'x' },
 *   { level: 1 },
 * );
 * const { jws } = await ledger.append({ token, level: 1 });
 * const checked: VerifiedReceipt = verifyReceipt({ jws, key: ledgerKey.publicJwk, token });
 * console.log(checked.seq, checked.checkpoint.size); // 1 1
 * ```
 */
export interface VerifiedReceipt extends Receipt {
  readonly checkpoint: VerifiedCheckpoint;
}

/**
 * Checks a receipt offline (LED-5, LED-9): the JWS with the ledger's public `key`; the embedded
 * checkpoint with the ledger's verifier key (`ledgerVkey`, or, when `key` is the Ed25519
 * checkpoint key, the key itself under the checkpoint's origin); the inclusion of the leaf hash
 * in that checkpoint; and, given the `token`, that the leaf is this token's entry.
 *
 * @example
 * ```ts
 * import { createECT, generateKeyPair, Ledger, verifyReceipt } from 'wimse-ect';
 *
 * const ledgerKey = generateKeyPair({ alg: 'EdDSA' });
 * const ledger = await Ledger.open({
 *   key: ledgerKey.privateJwk,
 *   origin: 'example.org/ect-ledger',
 * });
 * const token = createECT(
 *   { iss: 'spiffe://example.org/a', aud: 'b', exec_act: 'x' },
 *   { key: generateKeyPair().privateJwk },
 * );
 * const receipt = await ledger.append({ token, level: 3 });
 * // Offline, with only the ledger's public key: signature, checkpoint, inclusion, and the token.
 * const checked = verifyReceipt({ jws: receipt.jws, key: ledgerKey.publicJwk, token });
 * console.log(checked.seq, checked.level); // 1 3
 * ```
 */
export function verifyReceipt(options: {
  readonly jws: string;
  readonly key: KeyInput;
  readonly ledgerVkey?: string;
  readonly token?: string;
}): VerifiedReceipt {
  const { jws } = options;
  let parsed;
  try {
    parsed = parseToken(jws);
  } catch (error) {
    throw new ReceiptError(`the receipt is malformed: ${(error as Error).message}`);
  }
  if (parsed.level !== 2) throw new ReceiptError('a receipt is a signed JWS');
  const { payload } = parsed;
  // The library's one JWS verification: header rules, the ledger's key bound to the algorithm,
  // the signature.
  const { key } = verifyJWS({
    jws: parsed,
    rules: RECEIPT_HEADER_RULES,
    context: options.key,
    key: receiptKey,
    fail: receiptFailure,
  }).key;
  const { seq, level, jti, wid } = payload;
  const text = (name: string): string => {
    const value = payload[name];
    if (typeof value !== 'string') throw new ReceiptError(`the receipt has no ${name}`);
    return value;
  };
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) {
    throw new ReceiptError('the receipt has no seq');
  }
  if (level !== 1 && level !== 2 && level !== 3) throw new ReceiptError('the receipt has no level');
  const recordedAt = payload['recorded_at'];
  if (typeof recordedAt !== 'number' || !Number.isSafeInteger(recordedAt)) {
    throw new ReceiptError('the receipt has no recorded_at');
  }
  const receipt: Receipt = {
    seq,
    jti: typeof jti === 'string' ? jti : text('jti'),
    wid: typeof wid === 'string' ? wid : undefined,
    level,
    recordedAt,
    tokenHash: text('token_hash'),
    leafHash: text('leaf_hash'),
    proof: text('proof'),
    jws,
  };
  const checkpoint = checkReceiptProof({
    receipt,
    ledger: receiptLedgerVerifier({ key, vkey: options.ledgerVkey, proof: receipt.proof }),
  });
  if (options.token !== undefined) {
    const leaf = entryLeafHash({ seq, level: receipt.level, recordedAt, token: options.token });
    if (Buffer.from(leaf).toString('base64') !== receipt.leafHash) {
      throw new ReceiptError('the receipt is for another token (its leaf hash differs)');
    }
  }
  return { ...receipt, checkpoint };
}

/** The checkpoint verifier: the vkey given, or the receipt key under the proof's origin. */
function receiptLedgerVerifier(options: {
  readonly key: KeyObject;
  readonly vkey: string | undefined;
  readonly proof: string;
}): NoteVerifier {
  try {
    if (options.vkey !== undefined) return ledgerVerifier(options.vkey);
    if (options.key.asymmetricKeyType !== 'ed25519') {
      throw new ReceiptError(
        'the receipt key is not the Ed25519 checkpoint key: give the ledger verifier key too',
      );
    }
    const { checkpoint } = parseTlogProof({ text: options.proof });
    const origin = checkpoint.split('\n', 1)[0] ?? '';
    return ledgerVerifier(ed25519VerifierKey({ name: origin, publicKey: options.key }));
  } catch (error) {
    if (error instanceof ReceiptError) throw error;
    throw new ReceiptError(`the receipt's proof cannot be read: ${(error as Error).message}`);
  }
}

/**
 * LED-9: the receipt's tlog-proof is for its seq, its checkpoint is signed by the ledger, and the
 * leaf hash is included in that checkpoint's tree.
 */
export function checkReceiptProof(options: {
  readonly receipt: Pick<Receipt, 'seq' | 'leafHash' | 'proof'>;
  readonly ledger: NoteVerifier;
}): VerifiedCheckpoint {
  const { receipt } = options;
  try {
    const proof = parseTlogProof({ text: receipt.proof });
    if (proof.index !== receipt.seq - 1) {
      throw new ReceiptError(`the proof is for index ${proof.index}, not for seq ${receipt.seq}`);
    }
    const checkpoint = openCheckpoint({ note: proof.checkpoint, ledger: options.ledger });
    const leafHash = decodeBase64Std(receipt.leafHash);
    if (leafHash === undefined || leafHash.length !== 32) {
      throw new ReceiptError('the leaf hash is not 32 bytes of base64');
    }
    verifyInclusion({
      index: proof.index,
      size: checkpoint.size,
      leafHash,
      proof: proof.proof,
      root: checkpoint.root,
    });
    return checkpoint;
  } catch (error) {
    if (error instanceof ReceiptError) throw error;
    if (error instanceof TlogError) throw new ReceiptError(`${error.code}: ${error.message}`);
    throw error;
  }
}
