/**
 * Ledger receipts (LED-5): a JWS (`typ` `ect-receipt+jwt`) signed by the ledger's key over the
 * sequence number, `jti`, `wid`, level, the token's SHA-256 and the entry hash. Anyone with the
 * ledger's public key can check one offline with `verifyReceipt`.
 * @module
 */
import type { KeyObject } from 'node:crypto';
import { type Algorithm } from '../crypto/algorithms.js';
import { signCompact, verifySignature } from '../crypto/jws.js';
import { importPublicKey, keyFitsAlgorithm, type KeyInput } from '../crypto/keys.js';
import { ECTConfigError } from '../errors.js';
import { parseToken } from '../format/parse.js';
import type { Level } from '../format/types.js';
import type { Receipt } from './types.js';

/** The `typ` of a receipt. */
export const RECEIPT_TYP = 'ect-receipt+jwt';

/** The ledger's signing key. */
export interface ReceiptSigner {
  readonly key: KeyObject;
  readonly alg: Algorithm;
  readonly kid: string;
  /** The ledger's identity, the receipt's `iss`. */
  readonly issuer: string;
}

/** Signs a receipt (LED-5). */
export function signReceipt(receipt: Omit<Receipt, 'jws'>, signer: ReceiptSigner): string {
  const claims: Record<string, unknown> = {
    iss: signer.issuer,
    iat: Math.floor(receipt.recordedAt / 1000),
    seq: receipt.seq,
    jti: receipt.jti,
    level: receipt.level,
    token_hash: receipt.tokenHash,
    entry_hash: receipt.entryHash,
    recorded_at: receipt.recordedAt,
  };
  if (receipt.wid !== undefined) claims['wid'] = receipt.wid;
  return signCompact({ alg: signer.alg, typ: RECEIPT_TYP, kid: signer.kid }, claims, signer.key, signer.alg);
}

/** Thrown when a receipt does not verify. */
export class ReceiptError extends Error {
  override readonly name = 'ReceiptError';
  readonly code = 'ECT_RECEIPT_INVALID' as const;
}

/** Checks a receipt offline with the ledger's public key; returns its contents. */
export function verifyReceipt(jws: string, options: { key: KeyInput; expectedTokenHash?: string }): Receipt {
  let parsed;
  try {
    parsed = parseToken(jws);
  } catch (error) {
    throw new ReceiptError(`the receipt is malformed: ${(error as Error).message}`);
  }
  if (parsed.level !== 2) throw new ReceiptError('a receipt is a signed JWS');
  const { header, payload } = parsed;
  if (header['typ'] !== RECEIPT_TYP) throw new ReceiptError(`expected typ ${RECEIPT_TYP}`);
  const alg = header['alg'] as Algorithm;
  const key = importPublicKey(options.key, 'receipt key');
  if (!keyFitsAlgorithm(key, alg)) throw new ReceiptError(`the key does not fit the receipt's algorithm ${String(alg)}`);
  if (!verifySignature(alg, key, parsed.signingInput, parsed.signature)) throw new ReceiptError('the receipt signature is invalid');
  const seq = payload['seq'];
  const level = payload['level'];
  if (typeof seq !== 'number' || typeof payload['jti'] !== 'string' || typeof payload['token_hash'] !== 'string' || typeof payload['entry_hash'] !== 'string' || (level !== 1 && level !== 2 && level !== 3)) {
    throw new ReceiptError('the receipt lacks seq, jti, level, token_hash or entry_hash');
  }
  if (options.expectedTokenHash !== undefined && payload['token_hash'] !== options.expectedTokenHash) {
    throw new ReceiptError('the receipt is for another token');
  }
  return {
    seq,
    jti: payload['jti'],
    wid: typeof payload['wid'] === 'string' ? payload['wid'] : undefined,
    level: level as Level,
    tokenHash: payload['token_hash'],
    entryHash: payload['entry_hash'],
    recordedAt: typeof payload['recorded_at'] === 'number' ? payload['recorded_at'] : 0,
    jws,
  };
}

/** Builds a signer from key material, checking that the key fits. */
export function receiptSigner(options: { key: KeyObject; alg: Algorithm; kid: string; issuer: string }): ReceiptSigner {
  if (!keyFitsAlgorithm(options.key, options.alg)) throw new ECTConfigError('ledger key', `the key does not fit ${options.alg}`);
  return options;
}
