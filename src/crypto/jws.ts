/**
 * JWS Compact Serialization signing and signature checks (RFC 7515 §5), on `node:crypto`.
 * @module
 */
import { sign, verify, type KeyObject } from 'node:crypto';
import { encodeBase64url } from '../format/base64url.js';
import {
  algorithmSpec,
  signatureOptions,
  type Algorithm,
  type AlgorithmSpec,
} from './algorithms.js';

// The options object of `crypto.sign`/`verify` for a (key, algorithm) pair, built once: building it
// per call was a measurable share of the non-crypto time.
const keyOptions = new WeakMap<KeyObject, Map<string, Record<string, unknown>>>();

function optionsFor(
  key: KeyObject,
  spec: AlgorithmSpec,
): Record<string, unknown> & { key: KeyObject } {
  let byAlg = keyOptions.get(key);
  if (byAlg === undefined)
    keyOptions.set(key, (byAlg = new Map<string, Record<string, unknown>>()));
  let options = byAlg.get(spec.alg);
  if (options === undefined) {
    options = Object.freeze({ key, ...signatureOptions(spec) });
    byAlg.set(spec.alg, options);
  }
  return options as Record<string, unknown> & { key: KeyObject };
}

/** Signs a payload under a fixed, already encoded header. */
export type CompactSigner = (encodedHeader: string, payload: Record<string, unknown>) => string;

/** A signing function for one (key, algorithm) pair: the lookups are done once, not per token. */
export function compactSigner(key: KeyObject, alg: Algorithm): CompactSigner {
  const spec = algorithmSpec(alg)!;
  const options = optionsFor(key, spec) as never;
  return (encodedHeader, payload) => {
    const signingInput = `${encodedHeader}.${encodeBase64url(JSON.stringify(payload))}`;
    return `${signingInput}.${sign(spec.hash, Buffer.from(signingInput, 'latin1'), options).toString('base64url')}`;
  };
}

/**
 * Signs into a compact JWS. `header` is a JSON object, or its base64url encoding (callers that sign
 * many tokens with one key encode it once). The key must fit `alg`.
 */
export function signCompact(
  header: Record<string, unknown> | string,
  payload: Record<string, unknown>,
  key: KeyObject,
  alg: Algorithm,
): string {
  const encodedHeader =
    typeof header === 'string' ? header : encodeBase64url(JSON.stringify(header));
  return compactSigner(key, alg)(encodedHeader, payload);
}

/**
 * `signCompact` on libuv's thread pool (the callback form of `crypto.sign`): the signature is
 * computed on another core while the event loop goes on (the ledger signs one receipt per
 * append this way, beside the verifications of a busy verifier).
 */
export function signCompactAsync(
  header: Record<string, unknown> | string,
  payload: Record<string, unknown>,
  key: KeyObject,
  alg: Algorithm,
): Promise<string> {
  const spec = algorithmSpec(alg)!;
  const encodedHeader =
    typeof header === 'string' ? header : encodeBase64url(JSON.stringify(header));
  const signingInput = `${encodedHeader}.${encodeBase64url(JSON.stringify(payload))}`;
  return new Promise((resolve, reject) => {
    sign(
      spec.hash,
      Buffer.from(signingInput, 'latin1'),
      optionsFor(key, spec),
      (error, signature) => {
        if (error) reject(error);
        else resolve(`${signingInput}.${signature.toString('base64url')}`);
      },
    );
  });
}

/** True when `signature` is valid for `signingInput` under `key` and `alg`. Never throws. */
export function verifySignature(
  alg: Algorithm,
  key: KeyObject,
  signingInput: string,
  signature: Uint8Array,
): boolean {
  const spec = algorithmSpec(alg);
  if (!spec) return false;
  // RFC 7518 §3.4: an ECDSA signature has exactly the curve's length; anything else is invalid.
  if (spec.signatureLength !== undefined && signature.length !== spec.signatureLength) return false;
  try {
    return verify(spec.hash, Buffer.from(signingInput, 'latin1'), optionsFor(key, spec), signature);
  } catch {
    return false;
  }
}

/**
 * `verifySignature` on libuv's thread pool (the callback form of `crypto.verify`): the event loop
 * stays free and concurrent verifications use every core. It costs a thread hop per call, so it pays
 * only when many tokens are verified at once (a busy server), not for one token at a time.
 */
export function verifySignatureAsync(
  alg: Algorithm,
  key: KeyObject,
  signingInput: string,
  signature: Uint8Array,
): Promise<boolean> {
  const spec = algorithmSpec(alg);
  if (!spec || (spec.signatureLength !== undefined && signature.length !== spec.signatureLength))
    return Promise.resolve(false);
  return new Promise((resolve) => {
    try {
      verify(
        spec.hash,
        Buffer.from(signingInput, 'latin1'),
        optionsFor(key, spec),
        signature,
        (error, ok) => resolve(!error && ok),
      );
    } catch {
      resolve(false);
    }
  });
}
