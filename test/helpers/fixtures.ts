/**
 * Shared fixtures of the unit tests: a fixed clock, identities, keys per algorithm (generated once
 * per test process), a token factory, raw JWS signing for hand-made headers and payloads, and
 * assertions on error codes.
 */
import { strict as assert } from 'node:assert';
import { createPrivateKey, sign, type JsonWebKey, type KeyObject } from 'node:crypto';
import { algorithmSpec, signatureOptions, type Algorithm } from '../../src/crypto/algorithms.js';
import { generateKeyPair, type GeneratedKeyPair } from '../../src/crypto/keys.js';
import { createECT, type CreateOptions, type ECTInput } from '../../src/create/create.js';
import { ECTError, type ECTErrorCode } from '../../src/errors.js';
import { encodeBase64url } from '../../src/format/base64url.js';
import type { JWKSet } from '../../src/identity/jwks.js';
import type { VerifyOptions } from '../../src/verify/options.js';
import type { OneShotVerifyOptions } from '../../src/verify/verify.js';

/** The fixed verification time of every test, Unix seconds. */
export const NOW = 1_700_000_000;
export const ISS = 'spiffe://example.org/agent/a';
export const AUD = 'spiffe://example.org/agent/b';
export const WID = '0b6f2a8e-5c3d-4f1a-9e7b-2d4c6a8e0f13';

/** Deterministic UUIDs for tests: uuid(1) = 00000000-0000-4000-8000-000000000001. */
export function uuid(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

const pairs = new Map<string, GeneratedKeyPair>();

/** A key pair for `alg`, generated once per process per (alg, kid). */
export function keyPair(alg: Algorithm = 'ES256', kid = `test-${alg}`): GeneratedKeyPair {
  const id = `${alg}/${kid}`;
  let pair = pairs.get(id);
  if (pair === undefined) {
    pair = generateKeyPair({ alg, kid });
    pairs.set(id, pair);
  }
  return pair;
}

/** A JWK Set holding the public halves of the given pairs (default: the ES256 pair). */
export function jwksOf(...list: GeneratedKeyPair[]): JWKSet {
  return { keys: (list.length > 0 ? list : [keyPair()]).map((p) => p.publicJwk) };
}

/** The ECT input of a root task issued at NOW; overrides are merged. */
export function claims(overrides: Record<string, unknown> = {}): ECTInput {
  return {
    iss: ISS,
    aud: AUD,
    exec_act: 'review_spec',
    iat: NOW,
    exp: NOW + 600,
    jti: uuid(1),
    pred: [],
    ...overrides,
  };
}

/** An L2 token signed with the ES256 test key (or `options.key`), issued at NOW. */
export function token(
  overrides: Record<string, unknown> = {},
  options: CreateOptions = {},
): string {
  return createECT(claims(overrides), { key: keyPair().privateJwk, now: NOW, ...options });
}

/** An L1 token of the same claims. */
export function l1Token(overrides: Record<string, unknown> = {}): string {
  return createECT(claims(overrides), { level: 1, now: NOW });
}

/** Overrides of `verifyOptions`; a member set to `undefined` is removed (the library default applies). */
export type OptionOverrides = { [K in keyof VerifyOptions]?: VerifyOptions[K] | undefined };

/**
 * Verifier options: the test audience, the ES256 key set, the fixed clock, no replay cache
 * (`replay: false`, which `verifyECT` requires to be said).
 */
export function verifyOptions(overrides: OptionOverrides = {}): OneShotVerifyOptions {
  const options: Record<string, unknown> = {
    audience: AUD,
    keys: jwksOf(),
    now: NOW,
    replay: false,
    ...overrides,
  };
  for (const [name, value] of Object.entries(options))
    if (value === undefined) delete options[name];
  return options as unknown as OneShotVerifyOptions;
}

function privateKeyObject(key: JsonWebKey | KeyObject): KeyObject {
  return 'type' in key && typeof (key as KeyObject).export === 'function'
    ? (key as KeyObject)
    : createPrivateKey({ key: key as JsonWebKey, format: 'jwk' });
}

/**
 * Signs arbitrary header and payload TEXT (not objects), so tests can build tokens the library would
 * never create: duplicate members, odd typ values, `crit`, `alg` values the key does not fit.
 * `signAs` is the algorithm actually used to sign (default: the ES256 test key with ES256).
 */
export function signText(
  headerText: string,
  payloadText: string,
  signAs: Algorithm = 'ES256',
  key: JsonWebKey | KeyObject = keyPair(signAs).privateJwk,
): string {
  const spec = algorithmSpec(signAs)!;
  const input = `${encodeBase64url(headerText)}.${encodeBase64url(payloadText)}`;
  const signature = sign(spec.hash, Buffer.from(input, 'latin1'), {
    key: privateKeyObject(key),
    ...signatureOptions(spec),
  });
  return `${input}.${signature.toString('base64url')}`;
}

/** Signs a header object and a payload object (see `signText`). */
export function signJSON(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  signAs: Algorithm = 'ES256',
  key?: JsonWebKey | KeyObject,
): string {
  return signText(
    JSON.stringify(header),
    JSON.stringify(payload),
    signAs,
    key ?? keyPair(signAs).privateJwk,
  );
}

/** The header `createECT` writes for the ES256 test key. */
export function ecHeader(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { alg: 'ES256', typ: 'exec+jwt', kid: 'test-ES256', ...overrides };
}

/** The payload of a valid root task at NOW (a plain object, for `signJSON`). */
export function payload(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const base: Record<string, unknown> = { ...claims(), ...overrides };
  for (const [name, value] of Object.entries(overrides)) if (value === undefined) delete base[name];
  return base;
}

/** Asserts that `caught` is an `ECTError` carrying exactly `code`; returns it. */
export function expectECTError(caught: unknown, code: ECTErrorCode): ECTError {
  assert.ok(caught !== undefined, `expected ${code}, but nothing was thrown`);
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- any thrown value, as String() shows it
  assert.ok(caught instanceof ECTError, `expected an ECTError, got ${String(caught)}`);
  assert.equal(caught.code, code, `expected ${code}, got ${caught.code}: ${caught.message}`);
  return caught;
}

/** Asserts that `action` fails with an `ECTError` carrying exactly `code`; returns the error. */
export async function rejectsWith(
  action: Promise<unknown> | (() => unknown),
  code: ECTErrorCode,
): Promise<ECTError> {
  try {
    await (typeof action === 'function' ? action() : action);
  } catch (error) {
    return expectECTError(error, code);
  }
  return expectECTError(undefined, code);
}

/** Synchronous variant of `rejectsWith`. */
export function throwsWith(action: () => unknown, code: ECTErrorCode): ECTError {
  try {
    action();
  } catch (error) {
    return expectECTError(error, code);
  }
  return expectECTError(undefined, code);
}
