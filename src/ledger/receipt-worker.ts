/**
 * The ledger's receipt signer thread (LED-5): the receipts of a batch are built (inclusion proofs,
 * tlog-proof texts) and signed here in one request, so a large group commit costs the verifying
 * thread one compact message instead of a proof and a signature each. The key arrives as a JWK
 * and never leaves this thread otherwise.
 * @module
 */
import { createPrivateKey } from 'node:crypto';
import type { Algorithm } from '../crypto/algorithms.js';
import { receiptClaims, receiptSigner, signReceiptClaims, type ReceiptSigner } from './receipt.js';
import { unsignedReceipts, type ReceiptBatch, type SignedColumns } from './receipt-batch.js';
import { serveThread } from './thread.js';

/** Builds and signs a batch's receipts. */
async function signBatch(signer: ReceiptSigner, batch: ReceiptBatch): Promise<SignedColumns> {
  const receipts = await unsignedReceipts(batch);
  return {
    leafHashes: receipts.map((r) => r.leafHash),
    proofs: receipts.map((r) => r.proof),
    jws: receipts.map((receipt) =>
      signReceiptClaims({ signer, claims: receiptClaims({ receipt, signer }) }),
    ),
  };
}

void serveThread(async (data) => {
  const { jwk, alg, kid, issuer } = data as {
    jwk: object;
    alg: Algorithm;
    kid: string;
    issuer: string;
  };
  const signer = receiptSigner({
    key: createPrivateKey({ key: jwk as never, format: 'jwk' }),
    alg,
    kid,
    issuer,
  });
  return (op, args) => (op === 'sign' ? signBatch(signer, args[0] as ReceiptBatch) : undefined);
});
