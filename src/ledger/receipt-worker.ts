/**
 * The ledger's receipt signer thread (LED-5): a batch of receipts is signed here in one request,
 * so the signatures of a large group commit cost the verifying thread one message instead of one
 * signature each. The key arrives as a JWK and never leaves this thread otherwise.
 * @module
 */
import { createPrivateKey } from 'node:crypto';
import type { Algorithm } from '../crypto/algorithms.js';
import { receiptClaims, receiptSigner, signReceiptClaims } from './receipt.js';
import { serveThread } from './thread.js';
import type { Receipt } from './types.js';

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
  return (op, args) =>
    op === 'sign'
      ? (args[0] as Omit<Receipt, 'jws'>[]).map((receipt) =>
          signReceiptClaims({ signer, claims: receiptClaims({ receipt, signer }) }),
        )
      : undefined;
});
